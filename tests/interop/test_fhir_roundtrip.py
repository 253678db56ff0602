"""Round trip: a chart exported as FHIR R4, validated, and its vital signs imported into another
patient as PHR data come back with the same values, units and times. Demo patients export
to valid R4 too."""

from __future__ import annotations

import json
from datetime import date

from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle
from sqlalchemy import select

from emr.demo import generate
from emr.interop.fhir.bundle import export_patient
from emr.models.observations import Observation
from emr.models.patients import Patient
from emr.services.patients import PatientInput, register_patient
from emr.services.phr import import_phr
from tests.interop.test_fhir_export import build_chart


def vitals_of(db, patient_id: int) -> list[tuple[str, object, float, str]]:
    with db.read() as s:
        return sorted(
            s.execute(
                select(
                    Observation.loinc_code,
                    Observation.observed_at,
                    Observation.value_num,
                    Observation.unit,
                ).where(
                    Observation.patient_id == patient_id,
                    Observation.category == "vital-signs",
                    Observation.entered_in_error.is_(False),
                )
            ).all()
        )


def validate(bundle: dict) -> None:
    Bundle.parse_obj(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).parse_obj(entry["resource"])
        text = json.dumps(entry["resource"])
        for part in text.split('"reference": "')[1:]:
            assert part.split('"')[0] in urls


def test_exported_vitals_come_back_as_phr_data(db, operator):
    chart = build_chart(db, operator)
    bundle = export_patient(chart.doctor, chart.patient_id)
    validate(bundle)
    other = register_patient(
        operator,
        PatientInput(
            family_name="Mirror", given_name="Mia", date_of_birth=date(1970, 1, 1), sex="F"
        ),
    )
    data = json.dumps(bundle).encode()
    report = import_phr(chart.doctor, other.id, data, source_name="Clinic export")

    original = vitals_of(db, chart.patient_id)
    copied = vitals_of(db, other.id)
    assert (
        len(original) == 11
    )  # 2 x (systolic, diastolic), HR, weight, height, BMI, T, SpO2, glucose
    assert copied == original
    assert report.imported == len(original)
    assert report.duplicates == 0
    # The laboratory results are not patient measurements: each skipped with its reason.
    assert sorted(reason for _ref, reason in report.skipped) == [
        "LOINC 2823-3 (Potassium) is not a measurement this chart keeps",
        "it has no LOINC code, so what was measured is unknown",
    ]
    with db.read() as s:
        sources = set(
            s.execute(
                select(Observation.source, Observation.source_name).where(
                    Observation.patient_id == other.id
                )
            ).all()
        )
    assert sources == {("phr", "Clinic export")}

    # Exported again, the PHR values say who measured them: the patient, with their app.
    again = export_patient(chart.doctor, other.id)
    validate(again)
    patient_url = next(
        e["fullUrl"] for e in again["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    for entry in again["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation":
            assert resource["performer"] == [{"reference": patient_url}]
            assert resource["device"] == {"display": "Clinic export"}
    # And imported once more into the same patient: all duplicates.
    repeat = import_phr(chart.doctor, other.id, json.dumps(again).encode())
    assert (repeat.imported, repeat.duplicates) == (0, len(original))


def test_demo_patients_export_as_valid_r4(db, operator, physician):
    generate(db, patients=3, seed=8, appointments=0)
    with db.read() as s:
        ids = list(s.scalars(select(Patient.id).order_by(Patient.id)))
    kinds: set[str] = set()
    for patient_id in ids:
        bundle = export_patient(physician, patient_id)
        validate(bundle)
        kinds |= {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Organization", "Encounter", "Observation"} <= kinds
