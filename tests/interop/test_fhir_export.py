"""FHIR R4 export: a patient's chart, built through the services, as a collection Bundle that
the fhir.resources R4 (4.0.1) models accept resource by resource, with every value checked."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import fhir.resources
import pytest
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle
from sqlalchemy import select

from emr.errors import PermissionDenied
from emr.interop.fhir import resources as r
from emr.interop.fhir.bundle import export_patient
from emr.localtime import to_utc
from emr.models.audit import AuditEvent
from emr.services.allergies import add_allergy, list_allergies, record_no_known_allergies
from emr.services.auth import login
from emr.services.documents import attach_document
from emr.services.encounters import add_addendum, save_draft, sign_note, start_encounter
from emr.services.immunizations import (
    list_immunizations,
    mark_immunization_entered_in_error,
    record_historical,
    record_immunization,
    record_refusal,
)
from emr.services.labs import LabResultInput, record_lab_panel
from emr.services.medications import add_medication
from emr.services.patients import PatientInput, register_patient
from emr.services.practice import PracticeInput, get_practice, update_practice
from emr.services.prescriptions import PrescriptionInput, draft_prescription, sign_prescription
from emr.services.problems import add_problem
from emr.services.referrals import ReferralInput, create_referral, set_referral_status
from emr.services.users import create_user
from emr.services.vitals import record_vitals

PRACTICE_NPI = "1234567893"
DOCTOR_NPI = "1245319599"
DOC_PASSWORD = "fhir doctor pw 1"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Chart:
    doctor: object  # the Actor
    patient_id: int
    mrn: str
    visit_at: datetime  # local
    vitals_at: datetime  # local
    home_at: datetime  # local


def build_chart(db, operator) -> Chart:
    """A demo-like chart: a visit with a signed note and addendum, vitals on two days, a lab
    panel, problems, allergies, medications (listed and prescribed), immunizations (given,
    historical, refused, one entered in error), a document and a referral."""
    if "FHIR" not in get_practice(operator).name:
        current = get_practice(operator)
        update_practice(
            operator,
            current.version,
            PracticeInput(
                name="Maple Street FHIR Clinic",
                address_line1="12 Maple Street",
                city="Springfield",
                state="IL",
                postal_code="62701",
                phone="(217) 555-0100",
                npi=PRACTICE_NPI,
            ),
        )
        create_user(
            operator,
            username="fhirdoc",
            full_name="Grace Hopper",
            role="physician",
            password=DOC_PASSWORD,
            npi=DOCTOR_NPI,
        )
    doctor = login(db, "fhirdoc", DOC_PASSWORD)
    patient = register_patient(
        operator,
        PatientInput(
            family_name="Okonkwo",
            given_name="Chidi",
            middle_name="Ebuka",
            date_of_birth=date(1961, 4, 9),
            sex="M",
            address_line1="4 Elm Road",
            city="Springfield",
            state="IL",
            postal_code="62704",
            phone_mobile="(217) 555-0199",
            email="chidi@example.org",
        ),
        allow_duplicate=True,
    )
    pid = patient.id
    today = date.today()
    visit_at = datetime.combine(today - timedelta(days=30), datetime.min.time()).replace(hour=9)
    encounter = start_encounter(
        doctor,
        pid,
        provider_id=doctor.user_id,
        occurred_at=visit_at,
        encounter_type="Office visit",
        reason="Blood pressure check",
    )
    note = save_draft(
        doctor,
        encounter.note_id,
        1,
        "Headaches in the morning.",
        "BP 148/92.",
        "Essential hypertension.",
        "Start lisinopril; recheck in 4 weeks.",
    )
    signed = sign_note(doctor, note.id, note.version)
    add_addendum(doctor, signed.id, "Home readings to be brought next visit.")

    vitals_at = visit_at + timedelta(minutes=10)
    record_vitals(
        doctor,
        pid,
        vitals_at,
        {
            "systolic": (148, "mmHg"),
            "diastolic": (92, "mmHg"),
            "heart_rate": (78, "/min"),
            "weight": (190, "lb"),
            "height": (70, "in"),
            "temperature": (98.6, "°F"),
            "spo2": (97, "%"),
        },
        encounter_id=encounter.id,
    )
    home_at = visit_at + timedelta(days=7, hours=-2)
    record_vitals(doctor, pid, home_at, {"systolic": (132, "mmHg"), "diastolic": (84, "mmHg")})
    record_vitals(doctor, pid, home_at, {"glucose": (5.8, "mmol/L")})

    record_lab_panel(
        doctor,
        pid,
        name="Basic metabolic panel",
        collected_at=visit_at + timedelta(minutes=30),
        performing_lab="Springfield Lab",
        results=[
            LabResultInput(
                test="Potassium",
                loinc_code="2823-3",
                value=5.6,
                unit="mmol/L",
                ref_low=3.5,
                ref_high=5.1,
            ),
            LabResultInput(test="Urine color", value="yellow", ref_text="yellow"),
        ],
        encounter_id=encounter.id,
    )
    add_problem(doctor, pid, "I10", onset=today - timedelta(days=30), encounter_id=encounter.id)
    add_problem(
        doctor,
        pid,
        "J06.9",
        status="resolved",
        onset=date(2020, 1, 3),
        resolved_on=date(2020, 1, 20),
        notes="Viral.",
    )
    add_allergy(
        doctor,
        pid,
        "Penicillin",
        "drug",
        reaction="Hives",
        severity="moderate",
        onset=date(1990, 5, 1),
    )
    add_medication(
        doctor,
        pid,
        "atorvastatin",
        dose="20 mg",
        route="oral",
        frequency="daily",
        reason="cholesterol",
        started_on=date(2019, 2, 1),
        rxnorm="83367",
    )
    rx = draft_prescription(
        doctor,
        pid,
        PrescriptionInput(
            drug_name="lisinopril",
            strength="10 mg",
            dose_form="tablet",
            dose_amount="1",
            dose_unit="tablet",
            frequency="daily",
            duration_days=30,
            quantity="30",
            quantity_unit="tablets",
            refills=2,
            diagnosis_code="I10",
            encounter_id=encounter.id,
            rxnorm="314076",
        ),
    )
    sign_prescription(doctor, rx.id, rx.version)

    record_immunization(
        doctor,
        pid,
        "141",
        today - timedelta(days=30),
        lot_number="FLU123",
        expires_on=today + timedelta(days=200),
        manufacturer="Sanofi Pasteur",
        site="LD",
        route="IM",
        dose="0.5 mL",
        administered_by="Nina Nurse",
        encounter_id=encounter.id,
    )
    record_historical(doctor, pid, "115", date(2015, 6, 1), "State immunization registry")
    record_refusal(doctor, pid, "213", today - timedelta(days=30), "Religious exemption")
    wrong = record_historical(doctor, pid, "03", date(1965, 1, 1), "Mother's memory")
    mark_immunization_entered_in_error(doctor, wrong.id, wrong.version, "Wrong patient")

    attach_document(
        doctor,
        pid,
        PDF,
        title="Cardiology letter",
        category="letter",
        document_date=today - timedelta(days=3),
        file_name="cardio.pdf",
    )
    referral = create_referral(
        doctor,
        pid,
        ReferralInput(
            to_name="Dr. Ada Heart",
            reason="Resistant hypertension",
            to_specialty="Cardiology",
            to_npi="1234567893",
            urgency="urgent",
            diagnosis_codes=("I10",),
            letter_text="Dear Dr. Heart, please see Mr. Okonkwo.",
            encounter_id=encounter.id,
        ),
    )
    set_referral_status(doctor, referral.id, referral.version, "sent")
    return Chart(doctor, pid, patient.mrn, visit_at, vitals_at, home_at)


@pytest.fixture
def chart(db, operator) -> Chart:
    return build_chart(db, operator)


@pytest.fixture
def bundle(chart) -> dict:
    return export_patient(chart.doctor, chart.patient_id)


def by_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def one(bundle: dict, kind: str, **match) -> dict:
    found = [x for x in by_type(bundle, kind) if all(x.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (kind, match, found)
    return found[0]


def coded(concept: dict, system: str) -> str:
    return next(c["code"] for c in concept["coding"] if c["system"] == system)


def utc(local: datetime) -> str:
    return to_utc(local).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- validity ---------------------------------------------------------------------------------


def test_the_models_are_fhir_r4():
    assert fhir.resources.__fhir_version__ == "4.0.1"


def test_every_resource_and_the_bundle_validate_against_r4(bundle):
    assert bundle["type"] == "collection"
    kinds = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kinds.add(resource["resourceType"])
        model = get_fhir_model_class(resource["resourceType"]).parse_obj(resource)
        # What the model writes back is what we wrote: no field was dropped or renamed.
        assert model.dict(exclude_none=True)["id"] == resource["id"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    Bundle.parse_obj(bundle)
    assert kinds == {
        "Patient",
        "Organization",
        "Practitioner",
        "Encounter",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Observation",
        "Immunization",
        "DocumentReference",
        "ServiceRequest",
    }


def _references(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference":
                yield path, item
            else:
                yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _references(item, path)


def test_every_reference_resolves_inside_the_bundle(bundle):
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(urls) == len(bundle["entry"])
    found = list(_references(bundle["entry"]))
    assert len(found) > 30
    for path, reference in found:
        assert reference in urls, (path, reference)


def test_ids_are_stable_between_exports(chart, bundle):
    again = export_patient(chart.doctor, chart.patient_id)
    assert [e["fullUrl"] for e in again["entry"]] == [e["fullUrl"] for e in bundle["entry"]]
    assert again["id"] != bundle["id"]


# --- field by field -----------------------------------------------------------------------------


def test_patient_organization_and_practitioner(chart, bundle):
    patient = one(bundle, "Patient")
    assert patient["identifier"] == [
        {
            "use": "usual",
            "type": {
                "coding": [{"system": r.V2_0203, "code": "MR", "display": "Medical record number"}]
            },
            "system": f"urn:smallpractice-emr:{PRACTICE_NPI}:mrn",
            "value": chart.mrn,
            "assigner": {"reference": patient["managingOrganization"]["reference"]},
        }
    ]
    assert patient["name"] == [
        {"use": "official", "family": "Okonkwo", "given": ["Chidi", "Ebuka"]}
    ]
    assert patient["gender"] == "male"
    assert patient["birthDate"] == "1961-04-09"
    assert patient["address"] == [
        {
            "use": "home",
            "line": ["4 Elm Road"],
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62704",
        }
    ]
    assert {"system": "email", "value": "chidi@example.org"} in patient["telecom"]
    assert {"system": "phone", "value": "(217) 555-0199", "use": "mobile"} in patient["telecom"]

    org = one(bundle, "Organization")
    assert org["name"] == "Maple Street FHIR Clinic"
    assert org["identifier"] == [{"system": r.NPI, "value": PRACTICE_NPI}]
    assert org["address"][0]["line"] == ["12 Maple Street"]

    doctor = one(bundle, "Practitioner")
    assert doctor["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": DOCTOR_NPI}
    ]
    assert doctor["name"] == [{"text": "Grace Hopper", "family": "Hopper", "given": ["Grace"]}]


def test_encounter_and_conditions(chart, bundle):
    encounter = one(bundle, "Encounter")
    assert encounter["status"] == "finished"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["period"]["start"] == utc(chart.visit_at)
    assert encounter["reasonCode"] == [{"text": "Blood pressure check"}]
    assert encounter["participant"][0]["individual"]["display"] == "Grace Hopper"

    conditions = {coded(c["code"], r.ICD10CM): c for c in by_type(bundle, "Condition")}
    assert set(conditions) == {"I10", "J06.9"}
    htn = conditions["I10"]
    assert coded(htn["clinicalStatus"], r.CONDITION_CLINICAL) == "active"
    assert htn["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert htn["encounter"]["reference"] == f"urn:uuid:{encounter['id']}"
    cold = conditions["J06.9"]
    assert coded(cold["clinicalStatus"], r.CONDITION_CLINICAL) == "resolved"
    assert cold["onsetDateTime"] == "2020-01-03"
    assert cold["abatementDateTime"] == "2020-01-20"
    assert cold["note"] == [{"text": "Viral."}]


def test_allergy_and_no_known_allergies(db, operator, chart, bundle):
    allergy = one(bundle, "AllergyIntolerance")
    assert allergy["code"] == {"text": "Penicillin"}
    assert allergy["category"] == ["medication"]
    assert coded(allergy["clinicalStatus"], r.ALLERGY_CLINICAL) == "active"
    assert allergy["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "moderate"}]
    assert allergy["onsetDateTime"] == "1990-05-01"

    other = register_patient(
        operator,
        PatientInput(family_name="Nka", given_name="Nora", date_of_birth=date(1980, 1, 1), sex="F"),
    )
    assert by_type(export_patient(chart.doctor, other.id), "AllergyIntolerance") == []
    record_no_known_allergies(chart.doctor, other.id)
    nka = one(export_patient(chart.doctor, other.id), "AllergyIntolerance")
    assert nka["code"]["coding"] == [
        {
            "system": "http://snomed.info/sct",
            "code": "716186003",
            "display": "No known allergy (situation)",
        }
    ]
    assert coded(nka["verificationStatus"], r.ALLERGY_VERIFICATION) == "confirmed"
    assert list_allergies(chart.doctor, other.id) == []


def test_medication_requests(chart, bundle):
    requests = {
        x["medicationCodeableConcept"]["text"]: x for x in by_type(bundle, "MedicationRequest")
    }
    # The signed prescription put lisinopril on the list too: it is exported once, as the order.
    assert set(requests) == {"lisinopril 10 mg tablet", "atorvastatin"}
    order = requests["lisinopril 10 mg tablet"]
    assert order["intent"] == "order"
    assert order["status"] == "active"
    assert order["reportedBoolean"] is False
    assert coded(order["medicationCodeableConcept"], r.RXNORM) == "314076"
    assert order["dosageInstruction"][0]["text"] == "Take 1 tablet by mouth once daily for 30 days"
    assert order["dispenseRequest"]["numberOfRepeatsAllowed"] == 2
    assert order["dispenseRequest"]["quantity"] == {"value": 30, "unit": "tablets"}
    assert coded(order["reasonCode"][0], r.ICD10CM) == "I10"
    assert order["requester"]["display"] == "Grace Hopper"

    listed = requests["atorvastatin"]
    assert listed["intent"] == "plan"
    assert listed["reportedBoolean"] is True
    assert listed["status"] == "active"
    assert listed["medicationCodeableConcept"]["coding"] == [
        {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "83367",
            "display": "atorvastatin",
        }
    ]
    assert listed["authoredOn"] == "2019-02-01"
    assert listed["dosageInstruction"][0]["text"] == "20 mg, oral, daily"


def _vitals(bundle: dict) -> dict[str, list[dict]]:
    result: dict[str, list[dict]] = {}
    for o in by_type(bundle, "Observation"):
        if o["category"][0]["coding"][0]["code"] == "vital-signs":
            result.setdefault(coded(o["code"], r.LOINC), []).append(o)
    return result


def test_vital_signs_in_loinc_and_ucum(chart, bundle):
    vitals = _vitals(bundle)
    assert set(vitals) == {
        "85354-9",
        "8867-4",
        "29463-7",
        "8302-2",
        "39156-5",
        "8310-5",
        "59408-5",
        "2339-0",
    }
    clinic_bp, home_bp = sorted(vitals["85354-9"], key=lambda o: o["effectiveDateTime"])
    assert clinic_bp["effectiveDateTime"] == utc(chart.vitals_at)
    assert "valueQuantity" not in clinic_bp
    components = {coded(c["code"], r.LOINC): c for c in clinic_bp["component"]}
    assert components["8480-6"]["valueQuantity"] == {
        "value": 148,
        "unit": "mmHg",
        "system": r.UCUM,
        "code": "mm[Hg]",
    }
    assert components["8462-4"]["valueQuantity"]["value"] == 92
    assert coded(components["8480-6"]["interpretation"][0], r.V3_INTERPRETATION) == "H"
    assert clinic_bp["meta"]["profile"] == [r.VITAL_SIGNS_PROFILE, r.BP_PROFILE]
    assert home_bp["effectiveDateTime"] == utc(chart.home_at)
    assert "encounter" not in home_bp and "encounter" in clinic_bp

    (weight,) = vitals["29463-7"]
    assert weight["valueQuantity"] == {"value": 86.18, "unit": "kg", "system": r.UCUM, "code": "kg"}
    (temperature,) = vitals["8310-5"]
    assert temperature["valueQuantity"]["code"] == "Cel"
    assert temperature["valueQuantity"]["value"] == 37
    (height,) = vitals["8302-2"]
    assert height["valueQuantity"]["value"] == 177.8
    (glucose,) = vitals["2339-0"]
    assert glucose["valueQuantity"] == {
        "value": 104.49,
        "unit": "mg/dL",
        "system": r.UCUM,
        "code": "mg/dL",
    }
    (bmi,) = vitals["39156-5"]
    assert bmi["valueQuantity"]["code"] == "kg/m2"


def test_laboratory_results(bundle):
    labs = [
        o
        for o in by_type(bundle, "Observation")
        if o["category"][0]["coding"][0]["code"] == "laboratory"
    ]
    by_name = {o["code"]["text"]: o for o in labs}
    potassium = by_name["Potassium"]
    assert coded(potassium["code"], r.LOINC) == "2823-3"
    assert potassium["valueQuantity"] == {
        "value": 5.6,
        "unit": "mmol/L",
        "system": r.UCUM,
        "code": "mmol/L",
    }
    assert potassium["referenceRange"] == [
        {
            "low": {"value": 3.5, "unit": "mmol/L", "system": r.UCUM, "code": "mmol/L"},
            "high": {"value": 5.1, "unit": "mmol/L", "system": r.UCUM, "code": "mmol/L"},
        }
    ]
    assert coded(potassium["interpretation"][0], r.V3_INTERPRETATION) == "H"
    assert potassium["performer"] == [{"display": "Springfield Lab"}]
    colour = by_name["Urine color"]
    assert colour["valueString"] == "yellow"
    assert "coding" not in colour["code"]
    assert colour["referenceRange"] == [{"text": "yellow"}]


def test_immunizations(chart, bundle):
    shots = {coded(i["vaccineCode"], r.CVX): i for i in by_type(bundle, "Immunization")}
    assert set(shots) == {"141", "115", "213"}  # the one entered in error is left out
    flu = shots["141"]
    assert flu["status"] == "completed"
    assert flu["primarySource"] is True
    assert flu["lotNumber"] == "FLU123"
    assert flu["expirationDate"] == (date.today() + timedelta(days=200)).isoformat()
    assert flu["site"]["coding"] == [{"system": r.V2_0163, "code": "LD"}]
    assert flu["route"]["coding"] == [{"system": r.V2_0162, "code": "IM"}]
    assert flu["doseQuantity"] == {"value": 0.5, "unit": "mL", "system": r.UCUM, "code": "mL"}
    assert flu["manufacturer"] == {"display": "Sanofi Pasteur"}
    assert flu["performer"] == [{"actor": {"display": "Nina Nurse"}}]
    historical = shots["115"]
    assert historical["primarySource"] is False
    assert historical["reportOrigin"] == {"text": "State immunization registry"}
    assert historical["occurrenceDateTime"] == "2015-06-01"
    refused = shots["213"]
    assert refused["status"] == "not-done"
    assert refused["statusReason"] == {
        "coding": [{"system": r.V3_ACT_REASON, "code": "RELIG", "display": "religious objection"}],
        "text": "Religious exemption",
    }
    assert len(list_immunizations(chart.doctor, chart.patient_id, include_errors=True)) == 4


def test_signed_note_and_attached_document(bundle):
    docs = by_type(bundle, "DocumentReference")
    note = next(d for d in docs if d["type"].get("coding"))
    assert coded(note["type"], r.LOINC) == "11506-3"
    assert note["category"][0]["coding"][0]["code"] == "clinical-note"
    attachment = note["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain; charset=utf-8"
    text = base64.b64decode(attachment["data"]).decode("utf-8")
    assert text.startswith("Subjective\nHeadaches in the morning.\n\nObjective\nBP 148/92.")
    assert "Plan\nStart lisinopril; recheck in 4 weeks." in text
    assert "Home readings to be brought next visit." in text  # the addendum
    assert note["author"][0]["display"] == "Grace Hopper"
    assert len(note["context"]["encounter"]) == 1

    letter = next(d for d in docs if d["description"] == "Cardiology letter")
    attachment = letter["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf"
    assert base64.b64decode(attachment["data"]) == PDF
    assert attachment["size"] == len(PDF)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(PDF).digest()).decode()
    assert letter["masterIdentifier"]["value"] == f"ni:///sha-256;{hashlib.sha256(PDF).hexdigest()}"


def test_referral_as_service_request(bundle):
    referral = one(bundle, "ServiceRequest")
    assert referral["status"] == "active"
    assert referral["intent"] == "order"
    assert referral["priority"] == "urgent"
    assert coded(referral["code"], r.SNOMED) == "3457005"
    assert referral["performer"] == [
        {
            "display": "Dr. Ada Heart, Cardiology",
            "identifier": {"system": r.NPI, "value": "1234567893"},
        }
    ]
    assert [coded(c, r.ICD10CM) for c in referral["reasonCode"] if "coding" in c] == ["I10"]
    assert {"text": "Resistant hypertension"} in referral["reasonCode"]
    assert referral["authoredOn"] == date.today().isoformat()


# --- who may, and the audit trail -------------------------------------------------------------


def test_export_is_audited_and_needs_chart_access(db, chart, front_desk_user):
    with db.read() as s:
        events = list(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "export", AuditEvent.patient_id == chart.patient_id
                )
            )
        )
    assert events == []
    export_patient(chart.doctor, chart.patient_id)
    with db.read() as s:
        entity, username, detail = s.execute(
            select(AuditEvent.entity, AuditEvent.username, AuditEvent.detail).where(
                AuditEvent.action == "export", AuditEvent.patient_id == chart.patient_id
            )
        ).one()
    assert (entity, username) == ("fhir", "fhirdoc")
    assert "3 Immunization" in detail
    with pytest.raises(PermissionDenied):
        export_patient(front_desk_user, chart.patient_id)
