from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.security import EmergencyAccess
from emr.security.permissions import Permission
from emr.services.emergency import (
    grant_emergency_access,
    list_emergency_grants,
    mark_reviewed,
    require_chart_access,
)


def _access(actor, patient_id, permission=Permission.CHART_READ):
    with actor.write() as s:
        return require_chart_access(s, actor, patient_id, permission)


def test_front_desk_needs_the_glass_broken(staff, patient):
    fran, doc = staff["fran"], staff["doc"]
    assert _access(doc, patient.id) is False  # allowed by role
    with pytest.raises(PermissionDenied, match="emergency access"):
        _access(fran, patient.id)
    with pytest.raises(ValidationError):
        grant_emergency_access(fran, patient.id, "urgent")  # reason too short
    grant = grant_emergency_access(fran, patient.id, "Collapsed in the waiting room", minutes=30)
    assert grant.expires_at - grant.granted_at == timedelta(minutes=30)
    assert _access(fran, patient.id) is True  # allowed, as an emergency
    with pytest.raises(PermissionDenied):  # reading only: never signing or prescribing
        _access(fran, patient.id, Permission.NOTE_SIGN)
    with staff["boss"].read() as s:
        flagged = s.execute(select(AuditEvent).where(AuditEvent.emergency)).scalars().all()
        assert [(e.username, e.patient_id) for e in flagged] == [("fran", patient.id)]


def test_grants_expire(staff, patient, db):
    grant = grant_emergency_access(staff["nina"], patient.id, "Chest pain on the phone line")
    with db.write() as s:
        s.get(EmergencyAccess, grant.id).expires_at = grant.granted_at - timedelta(seconds=1)
    # A nurse reads charts by role anyway; the expired grant matters for the front desk.
    grant = grant_emergency_access(staff["fran"], patient.id, "Fainted at the front desk")
    with db.write() as s:
        s.get(EmergencyAccess, grant.id).expires_at = grant.granted_at - timedelta(seconds=1)
    with pytest.raises(PermissionDenied):
        _access(staff["fran"], patient.id)


def test_admin_reviews_grants(staff, patient):
    grant_emergency_access(staff["fran"], patient.id, "Collapsed in the waiting room")
    with pytest.raises(PermissionDenied):
        list_emergency_grants(staff["fran"])
    [grant] = list_emergency_grants(staff["boss"], unreviewed_only=True)
    assert (grant.username, grant.patient_mrn, grant.reviewed) == ("fran", patient.mrn, False)
    mark_reviewed(staff["boss"], grant.id)
    assert list_emergency_grants(staff["boss"], unreviewed_only=True) == []
    assert list_emergency_grants(staff["boss"])[0].reviewed
