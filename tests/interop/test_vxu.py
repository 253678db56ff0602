"""VXU^V04 as the CDC immunization guide (Release 1.5) asks: given, historical and refused."""

from __future__ import annotations

from datetime import date

from emr.models.clinical import Immunization
from emr.services.immunizations import record_historical, record_immunization, record_refusal
from tests.interop import at, build, make_chart, py, segs, strict, value


def test_a_dose_given_here(db, operator, physician):
    chart = make_chart(operator, physician)
    dose = record_immunization(
        physician,
        chart.patient_id,
        "197",
        date(2026, 11, 20),
        lot_number="LOT^42",
        expires_on=date(2027, 6, 30),
        manufacturer="Sanofi Pasteur",
        site="LD",
        route="IM",
        dose="0.5 mL",
        administered_by="Nina Nurse",
        encounter_id=chart.encounter_id,
    )
    with db.write(None) as s:
        s.get(Immunization, dose.id).mvx_code = "PMC"
    built = build(db, "VXU^V04", "immunizations", dose.id)
    m = strict(built.er7)
    assert m.name == "VXU_V04"
    h = py(built.er7)
    assert value(h, "ORC.F1") == "RE"
    assert value(h, "ORC.F3.R1.C1") == f"imm-{dose.id}"
    assert value(h, "ORC.F12.R1.C2") == "Tester"  # the visit's physician ordered it
    (rxa,) = segs(h, "RXA")
    assert at(h, rxa, 3) == "20261120"
    assert (at(h, rxa, 5), at(h, rxa, 5, comp=3)) == ("197", "CVX")
    assert at(h, rxa, 6) == "0.5" and at(h, rxa, 7) == "mL"
    assert (at(h, rxa, 9), at(h, rxa, 9, comp=3)) == ("00", "NIP001")
    assert at(h, rxa, 10, comp=2) == "Nurse"
    assert at(h, rxa, 15) == "LOT^42"
    assert at(h, rxa, 16) == "20270630"
    assert (at(h, rxa, 17), at(h, rxa, 17, comp=2), at(h, rxa, 17, comp=3)) == (
        "PMC",
        "Sanofi Pasteur",
        "MVX",
    )
    assert at(h, rxa, 20) == "CP"
    assert at(h, rxa, 21) == "A"
    assert value(h, "RXR.F1.R1.C4") == "IM"
    assert value(h, "RXR.F1.R1.C6") == "HL70162"
    assert value(h, "RXR.F2.R1.C1") == "LD"


def test_a_historical_dose_says_so(db, operator, physician):
    chart = make_chart(operator, physician)
    dose = record_historical(physician, chart.patient_id, "03", date(1990, 5, 1), "old card")
    built = build(db, "VXU^V04", "immunizations", dose.id)
    strict(built.er7)
    h = py(built.er7)
    assert value(h, "RXA.F9.R1.C1") == "01"
    assert value(h, "RXA.F6") == "999"  # amount unknown
    assert value(h, "RXA.F20") == "CP"
    assert not segs(h, "RXR")  # no route recorded


def test_a_refusal_has_its_reason_and_status_re(db, operator, physician):
    chart = make_chart(operator, physician)
    refusal = record_refusal(
        physician, chart.patient_id, "03", date(2026, 11, 20), "Parental decision"
    )
    built = build(db, "VXU^V04", "immunizations", refusal.id)
    strict(built.er7)
    h = py(built.er7)
    assert value(h, "RXA.F18.R1.C1") == "00"
    assert value(h, "RXA.F18.R1.C2") == "Parental decision"
    assert value(h, "RXA.F18.R1.C3") == "NIP002"
    assert value(h, "RXA.F20") == "RE"
    assert value(h, "RXA.F6") == "999"
    assert value(h, "RXA.F9") == ""
