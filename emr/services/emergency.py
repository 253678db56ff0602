"""Break the glass: a nurse or front-desk user opens a chart their role does not allow, in an
emergency, for a limited time, with a reason; every such grant and use is flagged for review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.models.base import utcnow
from emr.models.patients import Patient
from emr.models.security import EmergencyAccess
from emr.models.users import User
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

DEFAULT_MINUTES = 60
MAX_MINUTES = 8 * 60
MIN_REASON_LENGTH = 10


@dataclass(frozen=True)
class EmergencyGrant:
    id: int
    username: str
    full_name: str
    patient_id: int
    patient_mrn: str
    patient_name: str
    reason: str
    granted_at: datetime
    expires_at: datetime
    reviewed: bool


def grant_emergency_access(
    actor: Actor, patient_id: int, reason: str, *, minutes: int = DEFAULT_MINUTES
) -> EmergencyGrant:
    actor.require(Permission.EMERGENCY_ACCESS)
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": "Say why this is an emergency (10 characters at least)."})
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValidationError({"minutes": f"Emergency access lasts 1 to {MAX_MINUTES} minutes."})
    now = utcnow()
    with actor.write() as s:
        patient = s.get(Patient, patient_id)
        if patient is None:
            raise NotFound("There is no such patient.")
        grant = EmergencyAccess(
            user_id=actor.user_id,
            patient_id=patient_id,
            reason=reason,
            granted_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        s.add(grant)
        s.flush()
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="emergency_access",
            entity="patient",
            entity_id=patient_id,
            patient_id=patient_id,
            detail=f"{minutes} min: {reason}"[:500],
            emergency=True,
        )
        return _grant(grant, actor.username, actor.full_name, patient)


def live_grant(s: Session, actor: Actor, patient_id: int) -> EmergencyAccess | None:
    return s.execute(
        select(EmergencyAccess)
        .where(
            EmergencyAccess.user_id == actor.user_id,
            EmergencyAccess.patient_id == patient_id,
            EmergencyAccess.expires_at > utcnow(),
        )
        .limit(1)
    ).scalar_one_or_none()


def require_chart_access(
    s: Session, actor: Actor, patient_id: int, permission: Permission = Permission.CHART_READ
) -> bool:
    """Allowed by role (False), or by a live emergency grant (True: audit it as emergency).
    Chart services call this inside their transaction."""
    if actor.can(permission):
        return False
    if permission == Permission.CHART_READ and live_grant(s, actor, patient_id) is not None:
        return True
    if actor.can(Permission.EMERGENCY_ACCESS) and permission == Permission.CHART_READ:
        raise PermissionDenied(
            "Your role does not open charts. In an emergency, use emergency access and give "
            "the reason; it is recorded for review."
        )
    actor.require(permission)
    return False


def list_emergency_grants(actor: Actor, *, unreviewed_only: bool = False) -> list[EmergencyGrant]:
    """For the administrator's review, newest first."""
    actor.require(Permission.AUDIT_READ)
    with actor.read() as s:
        query = (
            select(EmergencyAccess, User.username, User.full_name, Patient)
            .join(User, User.id == EmergencyAccess.user_id)
            .join(Patient, Patient.id == EmergencyAccess.patient_id)
            .order_by(EmergencyAccess.id.desc())
        )
        if unreviewed_only:
            query = query.where(EmergencyAccess.reviewed_at.is_(None))
        return [_grant(g, name, full, p) for g, name, full, p in s.execute(query)]


def mark_reviewed(actor: Actor, grant_id: int) -> None:
    actor.require(Permission.AUDIT_READ)
    with actor.write() as s:
        grant = s.get(EmergencyAccess, grant_id)
        if grant is None:
            raise NotFound("There is no such emergency access.")
        grant.reviewed_by = actor.user_id
        grant.reviewed_at = utcnow()
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="emergency_access",
            entity_id=grant.id,
            patient_id=grant.patient_id,
            detail="reviewed",
        )


def _grant(g: EmergencyAccess, username: str, full_name: str, p: Patient) -> EmergencyGrant:
    return EmergencyGrant(
        id=g.id,
        username=username,
        full_name=full_name,
        patient_id=p.id,
        patient_mrn=p.mrn,
        patient_name=f"{p.family_name}, {p.given_name}",
        reason=g.reason,
        granted_at=g.granted_at,
        expires_at=g.expires_at,
        reviewed=g.reviewed_at is not None,
    )
