"""The problem list service: billable ICD-10-CM codes only, statuses, order, entered in error,
who may do it, and the audit events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.services.problems import (
    add_problem,
    list_problems,
    mark_problem_entered_in_error,
    resolve_problem,
    update_problem,
)


def _events(db, entity="problems"):
    """(action, entity_id, patient_id, username) of the audit events about `entity`."""
    with db.read() as s:
        rows = s.execute(
            select(
                AuditEvent.action, AuditEvent.entity_id, AuditEvent.patient_id, AuditEvent.username
            )
            .where(AuditEvent.entity == entity)
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]


def test_a_billable_code_is_stored_with_its_description(physician, patient, db):
    pid = patient.id
    problem = add_problem(physician, pid, "e11.9", onset=date(2019, 5, 1), notes=" diet ")
    assert problem.icd10_code == "E11.9"
    assert problem.description == "Type 2 diabetes mellitus without complications"
    assert (problem.status, problem.onset, problem.notes) == ("active", date(2019, 5, 1), "diet")
    assert problem.resolved_on is None
    assert _events(db) == [("create", problem.id, pid, "doc")]


def test_a_category_is_refused_with_a_clear_message(physician, patient):
    pid = patient.id
    with pytest.raises(ValidationError) as caught:
        add_problem(physician, pid, "E11")
    message = caught.value.field_errors["icd10_code"]
    assert "E11 is a category, not a billable code" in message
    assert "E11.9" in message  # names codes to choose instead
    with pytest.raises(ValidationError, match="not an ICD-10-CM code"):
        add_problem(physician, pid, "Q99.99")
    assert list_problems(physician, pid) == []


def test_dates_and_status_are_checked(physician, patient):
    pid = patient.id
    doc = physician
    with pytest.raises(ValidationError) as caught:
        add_problem(doc, pid, "I10", onset=date.today() + timedelta(days=1), status="chronic")
    assert set(caught.value.field_errors) == {"onset", "status"}
    with pytest.raises(ValidationError, match="before the onset"):
        add_problem(
            doc, pid, "I10", onset=date(2020, 1, 1), status="resolved", resolved_on=date(2019, 1, 1)
        )


def test_a_nurse_adds_and_updates_front_desk_is_refused(front_desk_user, nurse, patient, db):
    pid = patient.id
    problem = add_problem(nurse, pid, "I10")
    changed = update_problem(
        nurse, problem.id, problem.version, status="inactive", onset=None, notes="ok"
    )
    assert (changed.status, changed.notes) == ("inactive", "ok")
    with pytest.raises(PermissionDenied):
        add_problem(front_desk_user, pid, "I10")
    with pytest.raises(PermissionDenied):
        list_problems(front_desk_user, pid)
    assert [e[0] for e in _events(db)] == ["create", "update"]


def test_resolve_sets_the_date_and_a_stale_version_is_refused(physician, patient):
    pid = patient.id
    doc = physician
    problem = add_problem(doc, pid, "J06.9", onset=date.today() - timedelta(days=10))
    resolved = resolve_problem(doc, problem.id, problem.version)
    assert (resolved.status, resolved.resolved_on) == ("resolved", date.today())
    assert resolved.onset == problem.onset
    with pytest.raises(ConflictError):
        update_problem(doc, problem.id, problem.version, status="active", onset=None, notes="")
    active_again = update_problem(
        doc, problem.id, resolved.version, status="active", onset=None, notes=""
    )
    assert active_again.resolved_on is None


def test_list_order_status_filter_errors_and_view_audit(physician, patient, db):
    pid = patient.id
    doc = physician
    old = add_problem(doc, pid, "J06.9", status="resolved")
    flu = add_problem(doc, pid, "E11.9", onset=date(2015, 1, 1))
    htn = add_problem(doc, pid, "I10", onset=date(2018, 1, 1))
    wrong = add_problem(doc, pid, "K21.9")
    assert [p.id for p in list_problems(doc, pid)] == [htn.id, flu.id, wrong.id, old.id]
    assert [p.id for p in list_problems(doc, pid, status="resolved")] == [old.id]
    with pytest.raises(ValidationError):
        mark_problem_entered_in_error(doc, wrong.id, wrong.version, "  ")
    mark_problem_entered_in_error(doc, wrong.id, wrong.version, "wrong patient")
    assert wrong.id not in [p.id for p in list_problems(doc, pid)]
    struck = [p for p in list_problems(doc, pid, include_errors=True) if p.entered_in_error]
    assert [(p.id, p.error_reason) for p in struck] == [(wrong.id, "wrong patient")]
    with pytest.raises(ValidationError, match="entered in error"):
        update_problem(doc, wrong.id, struck[0].version, status="active", onset=None, notes="")
    actions = [e[0] for e in _events(db)]
    assert actions.count("view") == 4 and actions.count("delete") == 1
