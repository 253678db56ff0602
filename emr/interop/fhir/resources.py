"""One function per FHIR R4 resource type, each mapping the chart's rows to a plain dict (JSON
as FHIR writes it). References go through `Refs`: a reference is written only to a resource
that is in the same Bundle, as its `urn:uuid:` full URL, so every reference resolves inside it.

Entered-in-error records are left out of an export (the bundle module never passes them):
a patient's copy of their record holds what is true, and a resource with status
entered-in-error would only tell their app to hide it again.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from emr.codes import loinc, units
from emr.models.chart import Addendum, Encounter, Note
from emr.models.clinical import Allergy, Immunization, Medication, Problem
from emr.models.documents import Document
from emr.models.observations import Observation
from emr.models.patients import Patient
from emr.models.practice import PracticeProfile
from emr.models.prescribing import Prescription, Referral
from emr.models.users import User

# Code systems
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier type
V2_0162 = "http://terminology.hl7.org/CodeSystem/v2-0162"  # route of administration
V2_0163 = "http://terminology.hl7.org/CodeSystem/v2-0163"  # body site
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MEDREQ_CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
US_CORE_DOC_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
BP_PROFILE = "http://hl7.org/fhir/StructureDefinition/bp"

NO_KNOWN_ALLERGY = ("716186003", "No known allergy (situation)")
PATIENT_REFERRAL = ("3457005", "Patient referral (procedure)")
PROGRESS_NOTE = ("11506-3", "Progress note")
REFERRAL_NOTE = ("57133-1", "Referral note")
BP_PANEL = "85354-9"

_GENDER = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
_ALLERGY_CATEGORY = {
    "drug": "medication",
    "drug_class": "medication",
    "food": "food",
    "environmental": "environment",
}
_CODE_SYSTEMS = {"rxnorm": RXNORM, "snomed": SNOMED, "snomed ct": SNOMED, "unii": ""}
_INTERPRETATION = {
    "L": "Low",
    "H": "High",
    "LL": "Critical low",
    "HH": "Critical high",
    "A": "Abnormal",
    "N": "Normal",
}
_REFUSAL_REASON = {  # CDC NIP002 labels -> the v3 ActReason codes US Core names for refusals
    "patient decision": ("PATOBJ", "patient objection"),
    "parental decision": ("PATOBJ", "patient objection"),
    "religious exemption": ("RELIG", "religious objection"),
}
_REFERRAL_STATUS = {
    "draft": "draft",
    "sent": "active",
    "appointment_made": "active",
    "report_received": "completed",
    "cancelled": "revoked",
}
_ENCOUNTER_CLASS = {
    "Telehealth": ("VR", "virtual"),
}
_AMBULATORY = ("AMB", "ambulatory")
_DOSE_ML = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*ml\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


@dataclass
class Refs:
    """Stable ids for the bundle's resources (the same record gets the same id on every export
    of this practice's data) and references to those that are in the bundle."""

    namespace: uuid.UUID
    included: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def for_practice(cls, practice: PracticeProfile | None) -> Refs:
        seed = f"smallpractice-emr:{practice.npi if practice else ''}:{practice.name if practice else ''}"
        return cls(uuid.uuid5(uuid.NAMESPACE_URL, seed))

    def id(self, kind: str, row_id: int | str) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}/{row_id}"))

    def url(self, kind: str, row_id: int | str) -> str:
        return f"urn:uuid:{self.id(kind, row_id)}"

    def add(self, kind: str, row_id: int) -> None:
        self.included.add((kind, row_id))

    def to(self, kind: str, row_id: int | None, display: str = "") -> dict | None:
        """A reference to the resource if it is in the bundle, else None (left out)."""
        if row_id is None or (kind, row_id) not in self.included:
            return None
        return compact({"reference": self.url(kind, row_id), "display": display})


def compact(value: Any) -> Any:
    """The value without empty strings, None, empty lists and dicts (FHIR allows none)."""
    if isinstance(value, dict):
        items = ((k, compact(v)) for k, v in value.items())
        return {k: v for k, v in items if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [compact(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def instant(moment: datetime | None) -> str | None:
    """An aware datetime as FHIR dateTime/instant in UTC: 2024-03-01T14:05:00Z."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def coding(system: str, code: str, display: str = "") -> dict:
    return compact({"system": system, "code": code, "display": display})


def concept(*codings: dict | None, text: str = "") -> dict:
    return compact({"coding": [c for c in codings if c], "text": text})


def mrn_system(practice: PracticeProfile | None) -> str:
    """The identifier system of the practice's medical record numbers."""
    npi = practice.npi if practice and practice.npi else "practice"
    return f"urn:smallpractice-emr:{npi}:mrn"


def quantity(value: float, unit: str) -> dict:
    """A UCUM valueQuantity: the unit as people read it, the UCUM code beside it."""
    result: dict[str, Any] = {"value": _number(value)}
    if unit:
        result |= {"unit": units.unit_label(unit), "system": UCUM, "code": unit}
    return result


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def split_name(full_name: str) -> dict:
    """A HumanName from one full name ("Dr. Jane Q Doe" -> family Doe, given Jane Q)."""
    parts = full_name.replace(",", " ").split()
    parts = [p for p in parts if p.lower().rstrip(".") not in {"dr", "md", "do", "np", "pa"}]
    name: dict[str, Any] = {"text": full_name}
    if parts:
        name["family"] = parts[-1]
        name["given"] = parts[:-1]
    return compact(name)


# --- resources ----------------------------------------------------------------------------


def organization(practice: PracticeProfile | None, refs: Refs) -> dict:
    p = practice
    return compact(
        {
            "resourceType": "Organization",
            "id": refs.id("Organization", 1),
            "identifier": [{"system": NPI, "value": p.npi}] if p and p.npi else [],
            "active": True,
            "name": (p.name if p else "") or "The practice",
            "telecom": [
                {"system": "phone", "value": p.phone, "use": "work"} if p else None,
                {"system": "fax", "value": p.fax, "use": "work"} if p else None,
            ]
            if p
            else [],
            "address": [_address(p.address_line1, p.address_line2, p.city, p.state, p.postal_code)]
            if p
            else [],
        }
    )


def _address(line1: str, line2: str, city: str, state: str, postal: str, country: str = ""):
    return compact(
        {
            "line": [line1, line2],
            "city": city,
            "state": state,
            "postalCode": postal,
            "country": country,
        }
    )


def patient(row: Patient, refs: Refs, practice: PracticeProfile | None) -> dict:
    return compact(
        {
            "resourceType": "Patient",
            "id": refs.id("Patient", row.id),
            "identifier": [
                {
                    "use": "usual",
                    "type": concept(coding(V2_0203, "MR", "Medical record number")),
                    "system": mrn_system(practice),
                    "value": row.mrn,
                    "assigner": refs.to("Organization", 1),
                }
            ],
            "active": row.active,
            "name": [
                {
                    "use": "official",
                    "family": row.family_name,
                    "given": [row.given_name, row.middle_name],
                }
            ],
            "telecom": [
                {"system": "phone", "value": row.phone_home, "use": "home"},
                {"system": "phone", "value": row.phone_mobile, "use": "mobile"},
                {"system": "phone", "value": row.phone_work, "use": "work"},
                {"system": "email", "value": row.email},
            ],
            "gender": _GENDER.get(row.sex, "unknown"),
            "birthDate": day(row.date_of_birth),
            **(
                {"deceasedDateTime": day(row.deceased_date)}
                if row.deceased and row.deceased_date
                else {"deceasedBoolean": True}
                if row.deceased
                else {}
            ),
            "address": [
                {"use": "home"}
                | _address(
                    row.address_line1,
                    row.address_line2,
                    row.city,
                    row.state,
                    row.postal_code,
                    row.country,
                )
                if (row.address_line1 or row.city or row.postal_code)
                else None
            ],
            "contact": [
                {
                    "relationship": [concept(text=row.emergency_contact_relationship)],
                    "name": {"text": row.emergency_contact_name},
                    "telecom": [{"system": "phone", "value": row.emergency_contact_phone}],
                }
                if row.emergency_contact_name
                else None
            ],
            "communication": [
                {"language": concept(text=row.preferred_language)}
                if row.preferred_language
                else None
            ],
            "managingOrganization": refs.to("Organization", 1),
        }
    )


def practitioner(row: User, refs: Refs) -> dict:
    return compact(
        {
            "resourceType": "Practitioner",
            "id": refs.id("Practitioner", row.id),
            "identifier": [{"system": NPI, "value": row.npi}] if row.npi else [],
            "active": row.active,
            "name": [split_name(row.full_name)],
        }
    )


def encounter(row: Encounter, refs: Refs, provider_name: str = "") -> dict:
    code, display = _ENCOUNTER_CLASS.get(row.encounter_type, _AMBULATORY)
    return compact(
        {
            "resourceType": "Encounter",
            "id": refs.id("Encounter", row.id),
            "status": "finished",
            "class": coding(V3_ACT_CODE, code, display),
            "type": [concept(text=row.encounter_type)],
            "subject": refs.to("Patient", row.patient_id),
            "participant": [
                {
                    "type": [
                        concept(
                            coding(
                                "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "PPRF",
                                "primary performer",
                            )
                        )
                    ],
                    "individual": refs.to("Practitioner", row.provider_id, provider_name),
                }
            ]
            if refs.to("Practitioner", row.provider_id)
            else [],
            "period": {"start": instant(row.occurred_at)},
            "reasonCode": [concept(text=row.reason)] if row.reason else [],
            "serviceProvider": refs.to("Organization", 1),
        }
    )


def condition(row: Problem, refs: Refs) -> dict:
    return compact(
        {
            "resourceType": "Condition",
            "id": refs.id("Condition", row.id),
            "clinicalStatus": concept(coding(CONDITION_CLINICAL, row.status)),
            "verificationStatus": concept(coding(CONDITION_VERIFICATION, "confirmed")),
            "category": [
                concept(coding(CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))
            ],
            "code": concept(coding(ICD10CM, row.icd10_code, row.description), text=row.description),
            "subject": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "onsetDateTime": day(row.onset),
            "abatementDateTime": day(row.resolved_on) if row.status == "resolved" else None,
            "recordedDate": instant(row.created_at),
            "note": [{"text": row.notes}] if row.notes else [],
        }
    )


def allergy_intolerance(row: Allergy, refs: Refs) -> dict:
    system = _CODE_SYSTEMS.get(row.code_system.strip().lower(), "")
    reaction = (
        [
            {
                "manifestation": [concept(text=row.reaction)],
                "severity": row.severity if row.severity in {"mild", "moderate", "severe"} else "",
            }
        ]
        if row.reaction
        else []
    )
    notes = row.notes
    if row.severity and not row.reaction:
        notes = f"Severity: {row.severity}. {notes}".strip()
    return compact(
        {
            "resourceType": "AllergyIntolerance",
            "id": refs.id("AllergyIntolerance", row.id),
            "clinicalStatus": concept(coding(ALLERGY_CLINICAL, row.status)),
            "verificationStatus": concept(coding(ALLERGY_VERIFICATION, "confirmed")),
            "type": "allergy",
            "category": [_ALLERGY_CATEGORY.get(row.category, "")],
            "code": concept(
                coding(system, row.code, row.substance) if system and row.code else None,
                text=row.substance,
            ),
            "patient": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "onsetDateTime": day(row.onset),
            "recordedDate": instant(row.created_at),
            "reaction": reaction,
            "note": [{"text": notes}] if notes else [],
        }
    )


def no_known_allergies(patient_id: int, recorded_at: datetime, refs: Refs) -> dict:
    """'No known allergies', as recorded (never assumed): SNOMED 716186003."""
    code, display = NO_KNOWN_ALLERGY
    return compact(
        {
            "resourceType": "AllergyIntolerance",
            "id": refs.id("AllergyIntolerance", f"nka-{patient_id}"),
            "clinicalStatus": concept(coding(ALLERGY_CLINICAL, "active")),
            "verificationStatus": concept(coding(ALLERGY_VERIFICATION, "confirmed")),
            "code": concept(coding(SNOMED, code, display), text="No known allergies"),
            "patient": refs.to("Patient", patient_id),
            "recordedDate": instant(recorded_at),
        }
    )


def _drug(name: str, rxnorm: str, *more: str) -> dict:
    text = " ".join(p for p in (name, *more) if p)
    return concept(coding(RXNORM, rxnorm, name) if rxnorm else None, text=text)


def medication_request_from_prescription(
    row: Prescription, refs: Refs, prescriber_name: str = ""
) -> dict:
    """A signed (or discontinued) prescription: an order of this practice."""
    status = "stopped" if row.status == "discontinued" else "active"
    quantity_value: dict | None = None
    if _NUMBER.match(row.quantity or ""):
        quantity_value = compact({"value": _number(float(row.quantity)), "unit": row.quantity_unit})
    return compact(
        {
            "resourceType": "MedicationRequest",
            "id": refs.id("MedicationRequest", row.id),
            "status": status,
            "statusReason": concept(text=row.discontinue_reason) if status == "stopped" else None,
            "intent": "order",
            "category": [concept(coding(MEDREQ_CATEGORY, "community", "Community"))],
            "reportedBoolean": False,
            "medicationCodeableConcept": _drug(
                row.drug_name, row.rxnorm, row.strength, row.dose_form
            ),
            "subject": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "authoredOn": instant(row.signed_at or row.created_at),
            "requester": refs.to("Practitioner", row.prescriber_id, prescriber_name),
            "reasonCode": [
                concept(coding(ICD10CM, row.diagnosis_code)) if row.diagnosis_code else None
            ],
            "reasonReference": [refs.to("Condition", row.problem_id)],
            "dosageInstruction": [
                {
                    "text": row.sig_text,
                    "asNeededBoolean": row.as_needed or None,
                    "route": concept(text=row.route),
                }
            ],
            "dispenseRequest": {
                "numberOfRepeatsAllowed": row.refills,
                "quantity": quantity_value,
                "expectedSupplyDuration": {
                    "value": row.duration_days,
                    "unit": "days",
                    "system": UCUM,
                    "code": "d",
                }
                if row.duration_days
                else None,
            },
            "substitution": {"allowedBoolean": not row.dispense_as_written},
        }
    )


def medication_request_from_list(row: Medication, refs: Refs) -> dict:
    """A medication on the patient's list not ordered by a prescription here: intent "plan",
    reported (by the patient or another prescriber) when it comes from elsewhere."""
    stopped = row.stopped_on is not None and row.stopped_on <= date.today()
    dosage = ", ".join(p for p in (row.dose, row.route, row.frequency) if p)
    if row.instructions:
        dosage = f"{dosage}. {row.instructions}" if dosage else row.instructions
    return compact(
        {
            "resourceType": "MedicationRequest",
            "id": refs.id("MedicationRequest", f"med-{row.id}"),
            "status": "stopped" if stopped else "active",
            "statusReason": concept(text=row.stop_reason) if stopped else None,
            "intent": "plan",
            "reportedBoolean": row.source != "here",
            "medicationCodeableConcept": _drug(row.name, row.rxnorm),
            "subject": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "authoredOn": day(row.started_on) or instant(row.created_at),
            "reasonCode": [concept(text=row.reason)] if row.reason else [],
            "dosageInstruction": [
                {"text": dosage, "route": concept(text=row.route) if row.route else None}
            ],
        }
    )


def _interpretation(flag: str) -> list[dict]:
    if flag not in _INTERPRETATION:
        return []
    return [concept(coding(V3_INTERPRETATION, flag, _INTERPRETATION[flag]))]


def _observation_base(row: Observation, refs: Refs, kind_id: str, category: str) -> dict:
    """What every observation resource shares; patient-reported values name the patient as
    performer and their app or device."""
    category_display = "Vital Signs" if category == "vital-signs" else "Laboratory"
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "id": refs.id("Observation", kind_id),
        "status": "final",
        "category": [concept(coding(OBSERVATION_CATEGORY, category, category_display))],
        "subject": refs.to("Patient", row.patient_id),
        "encounter": refs.to("Encounter", row.encounter_id),
        "effectiveDateTime": instant(row.observed_at),
    }
    if row.source == "phr":
        base["performer"] = [refs.to("Patient", row.patient_id)]
        base["device"] = {"display": row.source_name} if row.source_name else None
    elif row.performing_lab:
        base["performer"] = [{"display": row.performing_lab}]
    return base


def vital_sign(row: Observation, refs: Refs) -> dict:
    """One vital sign (FHIR vital-signs profile): LOINC code, UCUM valueQuantity."""
    result = _observation_base(row, refs, str(row.id), "vital-signs")
    result |= {
        "meta": {"profile": [VITAL_SIGNS_PROFILE]},
        "code": concept(coding(LOINC, row.loinc_code, row.name), text=row.name),
        "valueQuantity": quantity(row.value_num, row.unit) if row.value_num is not None else None,
        "valueString": row.value_text if row.value_num is None else None,
        "interpretation": _interpretation(row.flag),
    }
    return compact(result)


def blood_pressure(systolic: Observation, diastolic: Observation, refs: Refs) -> dict:
    """Systolic and diastolic measured together: one 85354-9 panel with two components."""
    panel = loinc.vital_sign(loinc.BLOOD_PRESSURE_PANEL)
    result = _observation_base(systolic, refs, f"bp-{systolic.id}-{diastolic.id}", "vital-signs")
    result |= {
        "meta": {"profile": [VITAL_SIGNS_PROFILE, BP_PROFILE]},
        "code": concept(coding(LOINC, panel.loinc_code, panel.display_name), text="Blood pressure"),
        "component": [
            {
                "code": concept(coding(LOINC, row.loinc_code, row.name), text=row.name),
                "valueQuantity": quantity(row.value_num or 0.0, row.unit),
                "interpretation": _interpretation(row.flag),
            }
            for row in (systolic, diastolic)
        ],
    }
    return compact(result)


def lab_result(row: Observation, refs: Refs) -> dict:
    """A laboratory result with its reference range and interpretation (HL7 0078 flag)."""
    result = _observation_base(row, refs, str(row.id), "laboratory")
    code = coding(LOINC, row.loinc_code, row.name) if row.loinc_code else None
    reference = compact(
        {
            "low": quantity(row.ref_low, row.unit) if row.ref_low is not None else None,
            "high": quantity(row.ref_high, row.unit) if row.ref_high is not None else None,
            "text": row.ref_text,
        }
    )
    result |= {
        "code": concept(code, text=row.name),
        "valueQuantity": quantity(row.value_num, row.unit) if row.value_num is not None else None,
        "valueString": row.value_text if row.value_num is None else None,
        "interpretation": _interpretation(row.flag),
        "referenceRange": [reference],
    }
    return compact(result)


def immunization(row: Immunization, refs: Refs) -> dict:
    refused = row.refused
    reason_code = _REFUSAL_REASON.get(row.refusal_reason.strip().lower())
    dose = _DOSE_ML.match(row.dose or "")
    return compact(
        {
            "resourceType": "Immunization",
            "id": refs.id("Immunization", row.id),
            "status": "not-done" if refused else "completed",
            "statusReason": concept(
                coding(V3_ACT_REASON, *reason_code) if reason_code else None,
                text=row.refusal_reason,
            )
            if refused
            else None,
            "vaccineCode": concept(coding(CVX, row.cvx_code, row.vaccine), text=row.vaccine),
            "patient": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "occurrenceDateTime": day(row.given_on),
            "recorded": instant(row.created_at),
            "primarySource": not row.historical,
            "reportOrigin": concept(text=row.source) if row.historical and row.source else None,
            "manufacturer": {"display": row.manufacturer} if row.manufacturer else None,
            "lotNumber": row.lot_number,
            "expirationDate": day(row.expires_on),
            "site": concept(coding(V2_0163, row.site)) if row.site else None,
            "route": concept(coding(V2_0162, row.route)) if row.route else None,
            "doseQuantity": {
                "value": _number(float(dose.group(1))),
                "unit": "mL",
                "system": UCUM,
                "code": "mL",
            }
            if dose
            else None,
            "performer": [{"actor": {"display": row.administered_by}}]
            if row.administered_by and not refused
            else [],
            "note": [{"text": f"Dose: {row.dose}"}] if row.dose and not dose else [],
        }
    )


def note_text(note: Note, addenda: Iterable[tuple[Addendum, str]]) -> str:
    """The signed note as plain text, SOAP sections under headings, addenda after it."""
    parts = []
    for title, text in (
        ("Subjective", note.subjective),
        ("Objective", note.objective),
        ("Assessment", note.assessment),
        ("Plan", note.plan),
    ):
        if text.strip():
            parts.append(f"{title}\n{text.strip()}")
    for addendum, author in addenda:
        signed = instant(addendum.signed_at)
        parts.append(f"Addendum ({signed}, {author})\n{addendum.text.strip()}")
    return "\n\n".join(parts) + "\n"


def _attachment(data: bytes, content_type: str, title: str, created: str | None) -> dict:
    return compact(
        {
            "contentType": content_type,
            "data": base64.b64encode(data).decode("ascii"),
            "size": len(data),
            # R4's Attachment.hash is the SHA-1 of the data, base64-encoded.
            "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
            "title": title,
            "creation": created,
        }
    )


def clinical_note(
    note: Note,
    encounter_row: Encounter | None,
    addenda: Iterable[tuple[Addendum, str]],
    refs: Refs,
    author_name: str = "",
) -> dict:
    """A signed note: a progress note as a text/plain attachment."""
    code, display = PROGRESS_NOTE
    title = f"{encounter_row.encounter_type} note" if encounter_row else "Progress note"
    text = note_text(note, addenda).encode("utf-8")
    return compact(
        {
            "resourceType": "DocumentReference",
            "id": refs.id("DocumentReference", f"note-{note.id}"),
            "status": "current",
            "docStatus": "final",
            "type": concept(coding(LOINC, code, display), text=display),
            "category": [concept(coding(US_CORE_DOC_CATEGORY, "clinical-note", "Clinical Note"))],
            "subject": refs.to("Patient", note.patient_id),
            "date": instant(note.signed_at),
            "author": [refs.to("Practitioner", note.signed_by, author_name)],
            "authenticator": refs.to("Practitioner", note.signed_by, author_name),
            "custodian": refs.to("Organization", 1),
            "description": title,
            "content": [
                {
                    "attachment": _attachment(
                        text, "text/plain; charset=utf-8", title, instant(note.signed_at)
                    )
                }
            ],
            "context": {
                "encounter": [refs.to("Encounter", note.encounter_id)],
                "period": {"start": instant(encounter_row.occurred_at)} if encounter_row else None,
            },
        }
    )


def attached_document(row: Document, data: bytes, refs: Refs) -> dict:
    """A file attached to the chart, with its media type and hash."""
    return compact(
        {
            "resourceType": "DocumentReference",
            "id": refs.id("DocumentReference", f"doc-{row.id}"),
            # The SHA-256 the chart addresses the file by, as a named-information URI.
            "masterIdentifier": {
                "system": "urn:ietf:rfc:3986",
                "value": f"ni:///sha-256;{row.sha256}",
            },
            "status": "current",
            "type": concept(text=row.category),
            "category": [concept(text=row.category)],
            "subject": refs.to("Patient", row.patient_id),
            "date": instant(row.created_at),
            "custodian": refs.to("Organization", 1),
            "description": row.title,
            "content": [
                {
                    "attachment": _attachment(
                        data, row.media_type, row.file_name or row.title, day(row.document_date)
                    )
                }
            ],
            "context": {"encounter": [refs.to("Encounter", row.encounter_id)]},
        }
    )


def service_request(row: Referral, refs: Refs, referrer_name: str = "") -> dict:
    """A referral to another provider."""
    code, display = PATIENT_REFERRAL
    to = ", ".join(p for p in (row.to_name, row.to_specialty, row.to_organization) if p)
    diagnoses = [c.strip() for c in row.diagnosis_codes.split(",") if c.strip()]
    return compact(
        {
            "resourceType": "ServiceRequest",
            "id": refs.id("ServiceRequest", row.id),
            "status": _REFERRAL_STATUS.get(row.status, "unknown"),
            "intent": "order",
            "priority": row.urgency if row.urgency in {"routine", "urgent", "stat"} else None,
            "code": concept(
                coding(SNOMED, code, display),
                text=f"Referral to {row.to_specialty}" if row.to_specialty else "Referral",
            ),
            "subject": refs.to("Patient", row.patient_id),
            "encounter": refs.to("Encounter", row.encounter_id),
            "occurrenceDateTime": day(row.appointment_on),
            "authoredOn": day(row.sent_on) or instant(row.created_at),
            "requester": refs.to("Practitioner", row.referring_provider_id, referrer_name),
            "performer": [
                compact(
                    {
                        "display": to,
                        "identifier": {"system": NPI, "value": row.to_npi} if row.to_npi else None,
                    }
                )
            ],
            "reasonCode": [concept(coding(ICD10CM, c)) for c in diagnoses]
            + [concept(text=row.reason)],
            "note": [{"text": row.status_note}] if row.status_note else [],
        }
    )
