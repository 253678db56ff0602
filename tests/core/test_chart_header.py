"""Opening a chart: who may, what the header says, and that it is audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied
from emr.models import Allergy, AllergyStatus, AuditEvent, Medication, Problem
from emr.services.auth import login
from emr.services.chart import NO_KNOWN, NOT_RECORDED, RECORDED, open_chart
from emr.services.emergency import grant_emergency_access
from emr.services.patients import PatientInput, register_patient
from emr.services.users import create_user

PEOPLE = {
    "doc": ("physician", "physician pw 1"),
    "nina": ("nurse", "nurse pw 12345"),
    "fran": ("front_desk", "front desk pw 1"),
    "boss": ("admin", "admin password 1"),
}


@pytest.fixture
def people(db, operator):
    for name, (role, password) in PEOPLE.items():
        create_user(operator, username=name, full_name=name.title(), role=role, password=password)
    return {name: login(db, name, password) for name, (_role, password) in PEOPLE.items()}


@pytest.fixture
def patient(operator):
    return register_patient(
        operator,
        PatientInput(family_name="Doe", given_name="Jane", date_of_birth=date(1970, 5, 5), sex="F"),
    )


def test_clinicians_open_the_chart_and_it_is_audited(db, people, patient):
    header = open_chart(people["nina"], patient.id)
    assert header.patient.id == patient.id and not header.emergency
    assert header.can_write and not header.can_sign
    assert open_chart(people["doc"], patient.id).can_sign
    with db.read() as s:
        views = s.execute(
            select(AuditEvent.username).where(
                AuditEvent.entity == "chart", AuditEvent.action == "view"
            )
        ).scalars()
        assert list(views) == ["nina", "doc"]


@pytest.mark.parametrize("who", ["fran", "boss"])
def test_the_service_refuses_roles_without_chart_access(people, patient, who):
    with pytest.raises(PermissionDenied):
        open_chart(people[who], patient.id)


def test_emergency_access_opens_read_only_and_is_marked(db, people, patient):
    grant_emergency_access(people["fran"], patient.id, "Patient collapsed in the waiting room")
    header = open_chart(people["fran"], patient.id)
    assert header.emergency and not header.can_write
    with db.read() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.entity == "chart")).scalar_one()
        assert event.emergency


def test_allergy_states(db, people, patient):
    nina = people["nina"]
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


def test_active_problems_and_current_medications(db, people, patient):
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
    header = open_chart(people["doc"], patient.id)
    assert header.problems == ("E11.9 Type 2 diabetes mellitus without complications",)
    assert header.medications == ("Metformin 500 mg PO twice daily",)
