"""Reading the audit trail: the "who looked at my record" report, and the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from emr.db import Database
from emr.errors import NotFound
from emr.models.audit import AuditEvent
from emr.models.patients import Patient
from emr.security import audit
from emr.security.audit import ChainReport, verify_chain
from emr.security.permissions import Permission
from emr.services.context import Actor


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: datetime
    username: str
    action: str
    entity: str
    entity_id: int | None
    patient_mrn: str | None
    detail: str
    emergency: bool


def list_events(
    actor: Actor,
    *,
    patient_mrn: str | None = None,
    username: str | None = None,
    since: date | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Newest first. Reading the trail is itself audited."""
    actor.require(Permission.AUDIT_READ)
    with actor.write() as s:
        query = (
            select(AuditEvent, Patient.mrn)
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
        patient_id = None
        if patient_mrn:
            patient_id = s.execute(
                select(Patient.id).where(Patient.mrn == patient_mrn.strip())
            ).scalar_one_or_none()
            if patient_id is None:
                raise NotFound(f"There is no patient with MRN {patient_mrn}.")
            query = query.where(AuditEvent.patient_id == patient_id)
        if username:
            query = query.where(AuditEvent.username == username.strip().lower())
        if since:
            start = datetime.combine(since, time.min).astimezone()
            query = query.where(AuditEvent.occurred_at >= start)
        entries = [
            AuditEntry(
                id=e.id,
                occurred_at=e.occurred_at,
                username=e.username,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                patient_mrn=mrn,
                detail=e.detail,
                emergency=e.emergency,
            )
            for e, mrn in s.execute(query)
        ]
        filters = ", ".join(
            f"{k}={v}" for k, v in (("mrn", patient_mrn), ("user", username), ("since", since)) if v
        )
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="view",
            entity="audit_trail",
            patient_id=patient_id,
            detail=filters or "all",
        )
        return entries


def verify_trail(db: Database) -> ChainReport:
    """Operator check of the whole chain."""
    with db.read() as s:
        return verify_chain(s)
