"""A patient's record as one FHIR R4 `collection` Bundle: the patient, the practice, the
clinicians named in the record, and the chart (encounters, problems, allergies, medications,
vital signs and results, immunizations, signed notes and attached documents, referrals).

Every reference is a `urn:uuid:` full URL of an entry of the same Bundle. Entered-in-error
records are left out, and so are drafts (unsigned notes and prescriptions, unsent
referrals): they are not yet part of the record. Exporting is audited ("export", "fhir").
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import UserError
from emr.interop.fhir import resources as r
from emr.models.chart import Addendum, Encounter, Note
from emr.models.clinical import Allergy, AllergyStatus, Immunization, Medication, Problem
from emr.models.documents import Document, DocumentContent
from emr.models.observations import Observation
from emr.models.patients import Patient
from emr.models.practice import PracticeProfile
from emr.models.prescribing import Prescription, Referral
from emr.models.users import User
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.clinical import open_chart_in
from emr.services.context import Actor

log = logging.getLogger(__name__)

SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"


class DocumentDamaged(UserError):
    """An attached file no longer matches its SHA-256: it is not exported as if intact."""


def export_patient(actor: Actor, patient_id: int) -> dict:
    """The patient's record as a FHIR R4 collection Bundle (a JSON-ready dict); audited."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        bundle = build_bundle(s, patient_id)
        counts: dict[str, int] = {}
        for entry in bundle["entry"]:
            kind = entry["resource"]["resourceType"]
            counts[kind] = counts.get(kind, 0) + 1
        detail = "FHIR R4 bundle: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="export",
            entity="fhir",
            entity_id=None,
            patient_id=patient_id,
            detail=detail[:500],
            emergency=emergency,
        )
    log.info("FHIR export of patient %s: %s entries", patient_id, len(bundle["entry"]))
    return bundle


def _live(model: Any, patient_id: int):
    return (
        select(model)
        .where(model.patient_id == patient_id, model.entered_in_error.is_(False))
        .order_by(model.id)
    )


def build_bundle(s: Session, patient_id: int, *, now: datetime | None = None) -> dict:
    """The Bundle, read in the caller's session (no permission check, no audit)."""
    patient = s.get(Patient, patient_id)
    practice = s.get(PracticeProfile, 1)
    refs = r.Refs.for_practice(practice)

    encounters = list(s.scalars(_live(Encounter, patient_id)))
    problems = list(s.scalars(_live(Problem, patient_id)))
    allergies = list(s.scalars(_live(Allergy, patient_id)))
    allergy_status = s.scalars(
        select(AllergyStatus).where(AllergyStatus.patient_id == patient_id)
    ).first()
    medications = list(s.scalars(_live(Medication, patient_id)))
    prescriptions = [p for p in s.scalars(_live(Prescription, patient_id)) if p.status != "draft"]
    observations = list(
        s.scalars(
            _live(Observation, patient_id)
            .order_by(None)
            .order_by(Observation.observed_at, Observation.id)
        )
    )
    immunizations = list(s.scalars(_live(Immunization, patient_id)))
    notes = list(
        s.scalars(
            select(Note)
            .join(Encounter, Encounter.id == Note.encounter_id)
            .where(
                Note.patient_id == patient_id,
                Note.status == "signed",
                Encounter.entered_in_error.is_(False),
            )
            .order_by(Note.id)
        )
    )
    addenda = list(
        s.scalars(
            select(Addendum)
            .where(Addendum.note_id.in_([n.id for n in notes]))
            .order_by(Addendum.signed_at, Addendum.id)
        )
    )
    documents = list(s.scalars(_live(Document, patient_id)))
    referrals = [r_ for r_ in s.scalars(_live(Referral, patient_id)) if r_.status != "draft"]

    clinician_ids = (
        {e.provider_id for e in encounters}
        | {n.signed_by for n in notes if n.signed_by}
        | {a.signed_by for a in addenda}
        | {p.prescriber_id for p in prescriptions}
        | {x.referring_provider_id for x in referrals}
    )
    clinicians = {
        u.id: u for u in s.scalars(select(User).where(User.id.in_(clinician_ids)).order_by(User.id))
    }
    names = {uid: u.full_name for uid, u in clinicians.items()}

    # Everything that will be in the bundle, before any reference is written.
    refs.add("Patient", patient_id)
    refs.add("Organization", 1)
    for uid in clinicians:
        refs.add("Practitioner", uid)
    for e in encounters:
        refs.add("Encounter", e.id)
    for p in problems:
        refs.add("Condition", p.id)

    resources: list[dict] = [
        r.patient(patient, refs, practice),
        r.organization(practice, refs),
        *(r.practitioner(u, refs) for u in clinicians.values()),
        *(r.encounter(e, refs, names.get(e.provider_id, "")) for e in encounters),
        *(r.condition(p, refs) for p in problems),
        *(r.allergy_intolerance(a, refs) for a in allergies),
    ]
    active_allergies = [a for a in allergies if a.status == "active"]
    if allergy_status is not None and allergy_status.no_known_allergies and not active_allergies:
        resources.append(r.no_known_allergies(patient_id, allergy_status.updated_at, refs))

    exported_prescriptions = {p.id for p in prescriptions}
    resources += [
        r.medication_request_from_prescription(p, refs, names.get(p.prescriber_id, ""))
        for p in prescriptions
    ]
    resources += [
        r.medication_request_from_list(m, refs)
        for m in medications
        if m.prescription_id not in exported_prescriptions
    ]
    resources += _observations(observations, refs)
    resources += [r.immunization(i, refs) for i in immunizations]

    encounters_by_id = {e.id: e for e in encounters}
    addenda_by_note: dict[int, list[tuple[Addendum, str]]] = {}
    for a in addenda:
        addenda_by_note.setdefault(a.note_id, []).append((a, names.get(a.signed_by, "")))
    resources += [
        r.clinical_note(
            n,
            encounters_by_id.get(n.encounter_id),
            addenda_by_note.get(n.id, []),
            refs,
            names.get(n.signed_by or 0, ""),
        )
        for n in notes
    ]
    resources += [r.attached_document(d, _content(s, d), refs) for d in documents]
    resources += [
        r.service_request(x, refs, names.get(x.referring_provider_id, "")) for x in referrals
    ]

    stamp = r.instant(now or datetime.now(UTC))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": stamp},
        "type": "collection",
        "timestamp": stamp,
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def _observations(rows: list[Observation], refs: r.Refs) -> list[dict]:
    """Vital signs (a systolic and diastolic measured together as one blood pressure panel)
    and laboratory results."""
    result: list[dict] = []
    pairs: dict[tuple[str, datetime], dict[str, Observation]] = {}
    for row in rows:
        if row.category == "vital-signs" and row.loinc_code in (SYSTOLIC, DIASTOLIC):
            group = row.group_id or f"{row.source}:{row.source_name}"
            pairs.setdefault((group, row.observed_at), {})[row.loinc_code] = row
    paired: set[int] = set()
    for pair in pairs.values():
        if SYSTOLIC in pair and DIASTOLIC in pair:
            paired |= {pair[SYSTOLIC].id, pair[DIASTOLIC].id}
    for row in rows:
        if row.id in paired:
            pair = pairs[(row.group_id or f"{row.source}:{row.source_name}", row.observed_at)]
            if row.loinc_code == SYSTOLIC:
                result.append(r.blood_pressure(pair[SYSTOLIC], pair[DIASTOLIC], refs))
        elif row.category == "vital-signs":
            result.append(r.vital_sign(row, refs))
        else:
            result.append(r.lab_result(row, refs))
    return result


def _content(s: Session, document: Document) -> bytes:
    data = s.execute(
        select(DocumentContent.data).where(DocumentContent.sha256 == document.sha256)
    ).scalar_one_or_none()
    if data is None or hashlib.sha256(data).hexdigest() != document.sha256:
        log.error("document %s: stored content does not match its SHA-256", document.id)
        raise DocumentDamaged(
            f"The file of “{document.title}” is damaged (its SHA-256 no longer matches), so the "
            "record was not exported. Restore it from a backup or mark it entered in error."
        )
    return data
