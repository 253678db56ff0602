"""ORU^R01 for vital signs and lab panels: OBR per report, OBX per observation."""

from __future__ import annotations

from datetime import datetime

from emr.interop.hl7.encoding import timestamp
from emr.localtime import to_utc
from emr.services.labs import LabResultInput, record_lab_panel
from emr.services.vitals import record_vitals
from tests.interop import at, build, make_chart, py, segs, strict, value

TAKEN = datetime(2026, 11, 20, 9, 5)


def _vitals(doctor, chart):
    return record_vitals(
        doctor,
        chart.patient_id,
        TAKEN,
        {"systolic": (150, "mm[Hg]"), "diastolic": (70, "mm[Hg]"), "weight": (70.5, "kg")},
        encounter_id=chart.encounter_id,
    )


def test_a_vitals_entry_is_one_obr_with_an_obx_per_value(db, operator, physician):
    chart = make_chart(operator, physician)
    rows = _vitals(physician, chart)
    built = build(db, "ORU^R01", "observations", rows[0].id)
    m = strict(built.er7)
    assert m.name == "ORU_R01"

    h = py(built.er7)
    assert value(h, "OBR.F4.R1.C1") == "85353-1"
    assert value(h, "OBR.F25") == "F"
    assert value(h, "PV1.F19.R1.C1") == str(chart.encounter_id)
    observations = segs(h, "OBX")
    assert [at(h, o, 3) for o in observations] == ["8480-6", "8462-4", "29463-7"]
    systolic = observations[0]
    assert at(h, systolic, 1) == "1"
    assert at(h, systolic, 2) == "NM"
    assert at(h, systolic, 3, comp=3) == "LN"
    assert at(h, systolic, 5) == "150"
    assert at(h, systolic, 6) == "mm[Hg]" and at(h, systolic, 6, comp=3) == "UCUM"
    assert at(h, systolic, 7) == "90-119"
    assert at(h, systolic, 8) == "H"
    assert at(h, systolic, 11) == "F"
    assert at(h, systolic, 14) == timestamp(to_utc(TAKEN))
    assert at(h, observations[2], 5) == "70.5"


def test_a_lab_panel_with_numbers_text_ranges_and_flags(db, operator, physician):
    chart = make_chart(operator, physician)
    panel = record_lab_panel(
        physician,
        chart.patient_id,
        name="Basic metabolic panel",
        collected_at=datetime(2026, 11, 19, 7, 30),
        performing_lab="Quest | Lab",
        loinc_code="51990-0",
        results=[
            LabResultInput(
                test="Potassium",
                loinc_code="2823-3",
                value=5.9,
                unit="mmol/L",
                ref_low=3.5,
                ref_high=5.1,
            ),
            LabResultInput(test="Urine culture", value="No growth ^ 48h", ref_text="negative"),
        ],
        encounter_id=chart.encounter_id,
    )
    built = build(db, "ORU^R01", "lab_panels", panel.id)
    strict(built.er7)
    h = py(built.er7)
    assert value(h, "OBR.F4.R1.C1") == "51990-0"
    assert value(h, "OBR.F4.R1.C2") == "Basic metabolic panel"
    assert value(h, "OBR.F3.R1.C1") == f"panel-{panel.id}"
    potassium, culture = segs(h, "OBX")
    assert at(h, potassium, 5) == "5.9"
    assert at(h, potassium, 7) == "3.5-5.1"
    assert at(h, potassium, 8) == "H"
    assert at(h, potassium, 23) == "Quest | Lab"
    assert at(h, culture, 2) == "ST"
    assert at(h, culture, 5) == "No growth ^ 48h"
    assert at(h, culture, 7) == "negative"


def test_a_visit_sends_every_report_of_it(db, operator, physician):
    chart = make_chart(operator, physician)
    _vitals(physician, chart)
    _vitals(physician, chart)
    built = build(db, "ORU^R01", "encounter", chart.encounter_id)
    strict(built.er7)
    h = py(built.er7)
    assert [at(h, o, 1) for o in segs(h, "OBR")] == ["1", "2"]
    assert len(segs(h, "OBX")) == 6


def test_an_observation_entered_in_error_goes_as_wrong(db, operator, physician):
    from emr.services.vitals import mark_vital_in_error

    chart = make_chart(operator, physician)
    rows = _vitals(physician, chart)
    mark_vital_in_error(physician, rows[0].id, rows[0].version, "wrong patient")
    h = py(build(db, "ORU^R01", "observations", rows[0].id).er7)
    assert at(h, segs(h, "OBX")[0], 11) == "W"
