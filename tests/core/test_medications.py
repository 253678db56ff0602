"""The medication list: validation, stopping, current and past, entered in error, who may."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.clinical import Medication
from emr.services.medications import (
    add_medication,
    get_medication,
    list_medications,
    mark_medication_entered_in_error,
    stop_medication,
    update_medication,
)
from emr.services.patients import PatientInput, register_patient

TODAY = date.today()


@pytest.fixture
def patient_id(operator) -> int:
    return register_patient(
        operator,
        PatientInput(
            family_name="Okafor", given_name="Ada", date_of_birth=date(1970, 4, 2), sex="F"
        ),
    ).id


def events(db, action: str, patient_id: int) -> list:
    """(entity_id, username, detail) of the medication audit events of one kind."""
    with db.read() as s:
        return list(
            s.execute(
                select(AuditEvent.entity_id, AuditEvent.username, AuditEvent.detail)
                .where(
                    AuditEvent.action == action,
                    AuditEvent.entity == "medications",
                    AuditEvent.patient_id == patient_id,
                )
                .order_by(AuditEvent.id)
            )
        )


def test_add_keeps_every_detail_and_is_current(nurse, physician, patient_id):
    med = add_medication(
        physician,
        patient_id,
        "  Metformin 500 mg tablet ",
        dose="500 mg",
        route="by mouth",
        frequency="twice daily",
        instructions="with meals",
        reason="type 2 diabetes",
        started_on=date(2020, 1, 15),
        rxnorm="861007",
    )
    assert med.name == "Metformin 500 mg tablet"
    assert med.sig == "500 mg by mouth twice daily"
    assert med.source == "elsewhere" and med.source_label == "Prescribed elsewhere"
    assert med.current and med.stopped_on is None
    again = get_medication(nurse, med.id)
    assert again == med


def test_name_is_required_and_lengths_and_codes_are_checked(physician, patient_id):
    with pytest.raises(ValidationError) as e:
        add_medication(physician, patient_id, "   ", dose="x" * 61, rxnorm="RX12")
    assert e.value.field_errors == {
        "name": "Give the medication's name.",
        "dose": "At most 60 characters (61 given).",
        "rxnorm": "An RxNorm code is digits only (RXCUI).",
    }
    with pytest.raises(ValidationError) as e:
        add_medication(physician, patient_id, "Aspirin", source="pharmacy")
    assert "source" in e.value.field_errors


def test_start_date_not_in_the_future_nor_before_birth(physician, patient_id):
    with pytest.raises(ValidationError) as e:
        add_medication(physician, patient_id, "Aspirin", started_on=TODAY + timedelta(1))
    assert e.value.field_errors["started_on"] == "The start date cannot be in the future."
    with pytest.raises(ValidationError) as e:
        add_medication(physician, patient_id, "Aspirin", started_on=date(1969, 1, 1))
    assert "before the patient's birth (04/02/1970)" in e.value.field_errors["started_on"]
    with pytest.raises(ValidationError):
        update_medication(
            physician,
            add_medication(physician, patient_id, "Aspirin").id,
            1,
            name="Aspirin",
            dose="",
            route="",
            frequency="",
            instructions="",
            reason="",
            started_on=TODAY + timedelta(days=3),
            source="elsewhere",
        )


def test_stop_needs_a_reason_and_a_sane_date(physician, patient_id):
    doc = physician
    med = add_medication(doc, patient_id, "Lisinopril", started_on=date(2021, 3, 1))
    with pytest.raises(ValidationError) as e:
        stop_medication(doc, med.id, med.version, TODAY, "  ")
    assert e.value.field_errors == {"stop_reason": "Give the reason the medication was stopped."}
    with pytest.raises(ValidationError) as e:
        stop_medication(doc, med.id, med.version, TODAY + timedelta(days=1), "cough")
    assert e.value.field_errors == {"stopped_on": "The stop date cannot be in the future."}
    with pytest.raises(ValidationError) as e:
        stop_medication(doc, med.id, med.version, date(2021, 2, 28), "cough")
    assert e.value.field_errors == {
        "stopped_on": "It started on 03/01/2021: it cannot stop before that."
    }
    stopped = stop_medication(doc, med.id, med.version, date(2023, 5, 2), " dry cough ")
    assert not stopped.current
    assert (stopped.stopped_on, stopped.stop_reason) == (date(2023, 5, 2), "dry cough")
    with pytest.raises(ValidationError, match="stopped already, on 05/02/2023"):
        stop_medication(doc, med.id, stopped.version, TODAY, "again")


def test_a_stale_version_is_refused(nurse, physician, patient_id):
    med = add_medication(physician, patient_id, "Atorvastatin")
    stop_medication(nurse, med.id, med.version, TODAY, "myalgia")
    with pytest.raises(ConflictError):
        update_medication(
            physician,
            med.id,
            med.version,
            name="Atorvastatin 20 mg",
            dose="",
            route="",
            frequency="",
            instructions="",
            reason="",
            started_on=None,
            source="elsewhere",
        )


def test_update_changes_the_details(nurse, physician, patient_id, db):
    med = add_medication(physician, patient_id, "Amlodipine", dose="5 mg")
    changed = update_medication(
        nurse,
        med.id,
        med.version,
        name="Amlodipine",
        dose="10 mg",
        route="by mouth",
        frequency="once daily",
        instructions="",
        reason="hypertension",
        started_on=date(2022, 6, 1),
        source="here",
    )
    assert (changed.dose, changed.started_on, changed.source) == ("10 mg", date(2022, 6, 1), "here")
    assert changed.version == med.version + 1
    update = events(db, "update", patient_id)[-1]
    assert update.username == "nina"
    assert "dose" in update.detail and "started_on" in update.detail


def test_current_first_then_past_most_recently_stopped_first(physician, patient_id, db):
    doc = physician
    zoloft = add_medication(doc, patient_id, "sertraline")
    add_medication(doc, patient_id, "Aspirin")
    old = add_medication(doc, patient_id, "Amoxicillin", started_on=date(2019, 1, 1))
    older = add_medication(doc, patient_id, "Prednisone", started_on=date(2018, 1, 1))
    stop_medication(doc, old.id, old.version, date(2019, 1, 10), "course completed")
    stop_medication(doc, older.id, older.version, date(2018, 1, 6), "course completed")
    # A stop date still to come (a course of known length) leaves it current until then.
    with db.write(None) as s:
        s.get(Medication, zoloft.id).stopped_on = TODAY + timedelta(days=5)

    meds = list_medications(doc, patient_id)
    assert [m.name for m in meds] == ["Aspirin", "sertraline", "Amoxicillin", "Prednisone"]
    assert [m.current for m in meds] == [True, True, False, False]
    current = list_medications(doc, patient_id, current_only=True)
    assert [m.name for m in current] == ["Aspirin", "sertraline"]


def test_entered_in_error_is_hidden_unless_asked(physician, patient_id, db):
    doc = physician
    wrong = add_medication(doc, patient_id, "Warfarin")
    with pytest.raises(ValidationError):
        mark_medication_entered_in_error(doc, wrong.id, wrong.version, " ")
    mark_medication_entered_in_error(doc, wrong.id, wrong.version, "wrong patient")
    assert list_medications(doc, patient_id) == []
    [struck] = list_medications(doc, patient_id, include_errors=True)
    assert struck.entered_in_error and struck.error_reason == "wrong patient"
    with pytest.raises(ValidationError, match="entered in error"):
        stop_medication(doc, struck.id, struck.version, TODAY, "not needed")
    assert events(db, "delete", patient_id)[-1].detail == "entered in error: wrong patient"


def test_front_desk_is_refused_by_the_service_and_a_nurse_may_record(
    front_desk_user, nurse, patient_id
):
    with pytest.raises(PermissionDenied):
        add_medication(front_desk_user, patient_id, "Aspirin")
    with pytest.raises(PermissionDenied):  # refused before the input is even looked at
        add_medication(front_desk_user, patient_id, "")
    with pytest.raises(PermissionDenied):
        list_medications(front_desk_user, patient_id)
    med = add_medication(nurse, patient_id, "Aspirin")
    with pytest.raises(PermissionDenied):
        stop_medication(front_desk_user, med.id, med.version, TODAY, "bleeding")
    with pytest.raises(PermissionDenied):
        mark_medication_entered_in_error(front_desk_user, med.id, med.version, "wrong")
    assert list_medications(nurse, patient_id)[0].name == "Aspirin"


def test_every_read_and_change_is_audited(physician, patient_id, db):
    doc = physician
    med = add_medication(doc, patient_id, "Insulin glargine")
    stop_medication(doc, med.id, med.version, TODAY, "changed to pump")
    list_medications(doc, patient_id)
    [created] = events(db, "create", patient_id)
    assert (created.entity_id, created.username, created.detail) == (
        med.id,
        "doc",
        "Insulin glargine",
    )
    [stopped] = events(db, "update", patient_id)
    assert stopped.detail.endswith("changed to pump")
    [viewed] = events(db, "view", patient_id)
    assert viewed.detail == "medication list" and viewed.username == "doc"


def test_a_prescription_row_keeps_its_name(physician, patient_id):
    med = add_medication(physician, patient_id, "Metformin", source="here", prescription_id=7)
    assert (med.source, med.prescription_id) == ("here", 7)
    with pytest.raises(ValidationError, match="prescribed here"):
        update_medication(
            physician,
            med.id,
            med.version,
            name="Glipizide",
            dose="",
            route="",
            frequency="",
            instructions="",
            reason="",
            started_on=None,
            source="here",
        )
