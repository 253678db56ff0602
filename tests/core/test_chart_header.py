"""Opening a chart: who may, what the header says, and that it is audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied
from emr.models import Allergy, AllergyStatus, AuditEvent, Medication, Problem
from emr.services.chart import NO_KNOWN, NOT_RECORDED, RECORDED, open_chart
from emr.services.emergency import grant_emergency_access


def test_clinicians_open_the_chart_and_it_is_audited(db, staff, patient):
    header = open_chart(staff["nina"], patient.id)
    assert header.patient.id == patient.id and not header.emergency
    assert header.can_write and not header.can_sign
    assert open_chart(staff["doc"], patient.id).can_sign
    with db.read() as s:
        views = s.execute(
            select(AuditEvent.username).where(
                AuditEvent.entity == "chart", AuditEvent.action == "view"
            )
        ).scalars()
        assert list(views) == ["nina", "doc"]


@pytest.mark.parametrize("who", ["fran", "boss"])
def test_the_service_refuses_roles_without_chart_access(staff, patient, who):
    with pytest.raises(PermissionDenied):
        open_chart(staff[who], patient.id)


def test_emergency_access_opens_read_only_and_is_marked(db, staff, patient):
    grant_emergency_access(staff["fran"], patient.id, "Patient collapsed in the waiting room")
    header = open_chart(staff["fran"], patient.id)
    assert header.emergency and not header.can_write
    with db.read() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.entity == "chart")).scalar_one()
        assert event.emergency


def test_allergy_states(db, staff, patient):
    nina = staff["nina"]
    assert open_chart(nina, patient.id).allergy_state == NOT_RECORDED
    assert open_chart(nina, patient.id).allergy_text == "Allergies not recorded"
    with db.write() as s:
        s.add(AllergyStatus(patient_id=patient.id, no_known_allergies=True))
    assert open_chart(nina, patient.id).allergy_text == "No known allergies"
    assert open_chart(nina, patient.id).allergy_state == NO_KNOWN
    with db.write() as s:
        s.add(
            Allergy(
                patient_id=patient.id,
                substance="Penicillin",
                category="drug",
                reaction="hives",
                severity="severe",
            )
        )
        s.add(
            Allergy(
                patient_id=patient.id,
                substance="Latex",
                category="environmental",
                entered_in_error=True,
                error_reason="wrong patient",
            )
        )
    header = open_chart(nina, patient.id)
    assert header.allergy_state == RECORDED
    assert header.allergy_text == "Allergies: Penicillin — hives (severe)"


def test_active_problems_and_current_medications(db, staff, patient):
    today = date.today()
    with db.write() as s:
        s.add(
            Problem(
                patient_id=patient.id,
                icd10_code="E11.9",
                description="Type 2 diabetes mellitus without complications",
            )
        )
        s.add(
            Problem(
                patient_id=patient.id,
                icd10_code="J02.9",
                description="Acute pharyngitis",
                status="resolved",
            )
        )
        s.add(
            Medication(
                patient_id=patient.id,
                name="Metformin",
                dose="500 mg",
                route="PO",
                frequency="twice daily",
                started_on=today - timedelta(days=300),
            )
        )
        s.add(
            Medication(
                patient_id=patient.id,
                name="Amoxicillin",
                stopped_on=today - timedelta(1),
                stop_reason="course finished",
            )
        )
    header = open_chart(staff["doc"], patient.id)
    assert header.problems == ("E11.9 Type 2 diabetes mellitus without complications",)
    assert header.medications == ("Metformin 500 mg PO twice daily",)
