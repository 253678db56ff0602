"""Opening a patient's chart: the header every chart pane sits under (who, allergies, active
problems, current medications), read in one transaction and audited as a view of the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, or_, select

from emr.models.clinical import Allergy, AllergyStatus, Medication, Problem
from emr.models.patients import Patient, PatientPhoto
from emr.security.permissions import Permission
from emr.services.clinical import open_chart_in, record_clinical
from emr.services.context import Actor
from emr.services.patients import PatientRecord, patient_record

NOT_RECORDED = "not_recorded"
NO_KNOWN = "no_known"
RECORDED = "recorded"


@dataclass(frozen=True)
class ChartHeader:
    patient: PatientRecord
    photo: bytes | None
    allergy_state: str  # recorded, no_known, not_recorded
    allergies: tuple[str, ...]  # "Penicillin — hives (severe)"
    problems: tuple[str, ...]  # "E11.9 Type 2 diabetes mellitus without complications"
    medications: tuple[str, ...]  # "Metformin 500 mg PO twice daily"
    emergency: bool  # opened by an emergency grant, not by role
    can_write: bool
    can_sign: bool

    @property
    def allergy_text(self) -> str:
        if self.allergy_state == RECORDED:
            return "Allergies: " + "; ".join(self.allergies)
        if self.allergy_state == NO_KNOWN:
            return "No known allergies"
        return "Allergies not recorded"


def open_chart(actor: Actor, patient_id: int) -> ChartHeader:
    """The chart's header; refused (PermissionDenied) to roles without chart access unless an
    emergency grant is live. Audited as a view of the chart."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        patient = s.get(Patient, patient_id)
        header = ChartHeader(
            patient=patient_record(patient),
            photo=s.execute(
                select(PatientPhoto.image).where(PatientPhoto.patient_id == patient_id)
            ).scalar(),
            allergy_state=_allergy_state(s, patient_id),
            allergies=tuple(_allergies(s, patient_id)),
            problems=tuple(_problems(s, patient_id)),
            medications=tuple(_medications(s, patient_id)),
            emergency=emergency,
            can_write=not emergency and actor.can(Permission.CHART_WRITE),
            can_sign=not emergency and actor.can(Permission.NOTE_SIGN),
        )
        record_clinical(
            s, actor, "view", "chart", patient_id, patient_id, "chart opened", emergency=emergency
        )
        return header


def _allergy_state(s, patient_id: int) -> str:
    active = s.execute(
        select(Allergy.id)
        .where(
            Allergy.patient_id == patient_id,
            Allergy.entered_in_error == false(),
            Allergy.status == "active",
        )
        .limit(1)
    ).first()
    if active:
        return RECORDED
    nka = s.execute(
        select(AllergyStatus.no_known_allergies).where(AllergyStatus.patient_id == patient_id)
    ).scalar()
    return NO_KNOWN if nka else NOT_RECORDED


def _allergies(s, patient_id: int) -> list[str]:
    rows = s.execute(
        select(Allergy.substance, Allergy.reaction, Allergy.severity)
        .where(
            Allergy.patient_id == patient_id,
            Allergy.entered_in_error == false(),
            Allergy.status == "active",
        )
        .order_by(Allergy.substance)
    )
    return [
        substance + (f" — {reaction}" if reaction else "") + (f" ({severity})" if severity else "")
        for substance, reaction, severity in rows
    ]


def _problems(s, patient_id: int) -> list[str]:
    rows = s.execute(
        select(Problem.icd10_code, Problem.description)
        .where(
            Problem.patient_id == patient_id,
            Problem.entered_in_error == false(),
            Problem.status == "active",
        )
        .order_by(Problem.onset.is_(None), Problem.onset, Problem.id)
    )
    return [f"{code} {description}" for code, description in rows]


def _medications(s, patient_id: int) -> list[str]:
    today = date.today()
    rows = s.execute(
        select(Medication.name, Medication.dose, Medication.route, Medication.frequency)
        .where(
            Medication.patient_id == patient_id,
            Medication.entered_in_error == false(),
            or_(Medication.stopped_on.is_(None), Medication.stopped_on > today),
        )
        .order_by(Medication.name)
    )
    return [
        " ".join(p for p in (name, dose, route, frequency) if p)
        for name, dose, route, frequency in rows
    ]
