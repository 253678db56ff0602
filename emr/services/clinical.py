"""What every chart service shares: opening a patient's chart inside a transaction (role or
emergency access), the audit event of clinical work, version checks, and marking a record
entered in error (the soft delete of clinical data: nothing is erased)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from emr.errors import ConflictError, NotFound, ValidationError
from emr.models.chart import Encounter
from emr.models.patients import Patient
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.emergency import require_chart_access

AUDIT_DETAIL_MAX = 500


def open_chart_in(
    s: Session, actor: Actor, patient_id: int, permission: Permission = Permission.CHART_READ
) -> bool:
    """Check that the patient exists and the actor may do this in their chart; True when the
    access is by an emergency grant (the audit event must say so)."""
    if s.get(Patient, patient_id) is None:
        raise NotFound(f"There is no patient with id {patient_id}.")
    return require_chart_access(s, actor, patient_id, permission)


def record_clinical(
    s: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    patient_id: int,
    detail: str = "",
    *,
    emergency: bool = False,
) -> None:
    """The audit event of one piece of chart work (action: view, create, update, delete, sign)."""
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=detail[:AUDIT_DETAIL_MAX],
        emergency=emergency,
    )


def encounter_problem(s: Session, patient_id: int, encounter_id: int | None) -> str | None:
    """Why this encounter cannot hold a record of this patient, or None."""
    if encounter_id is None:
        return None
    encounter = s.get(Encounter, encounter_id)
    if encounter is None or encounter.patient_id != patient_id:
        return "That encounter is not one of this patient's."
    return None


def check_encounter(s: Session, patient_id: int, encounter_id: int | None) -> None:
    if problem := encounter_problem(s, patient_id, encounter_id):
        raise ValidationError({"encounter_id": problem})


def load_row(s: Session, model: type, row_id: int, what: str) -> Any:
    row = s.get(model, row_id)
    if row is None:
        raise NotFound(f"There is no {what} with id {row_id}.")
    return row


def check_version(row: Any, expected_version: int, what: str) -> None:
    if row.version != expected_version:
        raise ConflictError(
            f"This {what} was changed by someone else since you opened it. Nothing was saved: "
            "look at it again and redo your change."
        )


def mark_entered_in_error(
    actor: Actor, model: type, row_id: int, expected_version: int, reason: str, what: str
) -> None:
    """Mark a clinical record entered in error, with the reason; it stays in the chart, struck."""
    with actor.write() as s:
        row = load_row(s, model, row_id, what)
        mark_entered_in_error_in(s, actor, row, reason, what, expected_version)


def mark_entered_in_error_in(
    s: Session,
    actor: Actor,
    row: Any,
    reason: str,
    what: str,
    expected_version: int | None = None,
) -> None:
    """The same, inside the caller's transaction (e.g. with the amendment it answers)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason this {what} is entered in error."})
    emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
    if expected_version is not None:
        check_version(row, expected_version, what)
    if row.entered_in_error:
        raise ValidationError({"": f"This {what} is marked entered in error already."})
    row.entered_in_error = True
    row.error_reason = reason
    s.flush()
    record_clinical(
        s,
        actor,
        "delete",
        type(row).__tablename__,
        row.id,
        row.patient_id,
        f"entered in error: {reason}",
        emergency=emergency,
    )
