"""RDE^O11: a signed prescription with its drug, RxNorm code, quantity, refills, sig, timing."""

from __future__ import annotations

from tests.interop import build, make_chart, py, strict_rde, value


def test_a_prescription(db, operator, physician):
    chart = make_chart(operator, physician)
    built = build(db, "RDE^O11", "prescription", chart.prescription_id)
    strict_rde(built.er7)
    h = py(built.er7)
    assert value(h, "MSH.F9.R1.C3") == "RDE_O11"
    assert value(h, "ORC.F1") == "NW"
    assert value(h, "ORC.F2.R1.C1") == f"rx-{chart.prescription_id}"
    assert value(h, "ORC.F12.R1.C2") == "Tester"
    assert value(h, "RXE.F2.R1.C1") == "314076"
    assert value(h, "RXE.F2.R1.C2") == "lisinopril 10 MG Oral Tablet"
    assert value(h, "RXE.F2.R1.C3") == "RXNORM"
    assert value(h, "RXE.F3") == "1"
    assert value(h, "RXE.F5.R1.C2") == "tablet"
    assert value(h, "RXE.F7.R1.C2") == "Take 1 tablet by mouth once daily | with water"
    assert value(h, "RXE.F9") == "1"  # dispense as written
    assert value(h, "RXE.F10") == "30"
    assert value(h, "RXE.F12") == "2"
    assert value(h, "RXE.F27.R1.C1") == "I10"
    assert value(h, "RXE.F27.R1.C3") == "I10C"
    assert value(h, "NTE.F3") == "Blister pack ^ please"
    assert value(h, "TQ1.F3.R1.C1.S1") == "QD"
    assert value(h, "TQ1.F3.R1.C1.S2") == "once daily"
    assert value(h, "TQ1.F6.R1.C1") == "30"
    assert value(h, "TQ1.F9.R1.C1") == "R"
    assert value(h, "TQ1.F11") == "Take 1 tablet by mouth once daily | with water"
    assert value(h, "RXR.F1.R1.C1") == "PO"


def test_a_prescription_without_rxnorm_or_route_still_validates(db, operator, physician):
    from emr.models.prescribing import Prescription

    chart = make_chart(operator, physician)
    with db.write(None) as s:
        rx = s.get(Prescription, chart.prescription_id)
        rx.rxnorm = rx.route = rx.frequency = rx.dose_amount = ""
        rx.as_needed, rx.as_needed_reason = True, "pain ^ severe"
    built = build(db, "RDE^O11", "prescription", chart.prescription_id)
    strict_rde(built.er7)
    h = py(built.er7)
    assert value(h, "RXE.F2.R1.C1") == ""
    assert value(h, "RXE.F2.R1.C2") == "lisinopril 10 MG Oral Tablet"
    assert value(h, "RXR.F1.R1.C2") == "Not specified"
    assert value(h, "TQ1.F9.R1.C1") == "PRN"
    assert value(h, "TQ1.F10") == "pain ^ severe"
