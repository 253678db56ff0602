"""Past medical, surgical, family and social history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.services.history import (
    HistoryInput,
    add_history,
    list_history,
    mark_history_entered_in_error,
    update_history,
)


def test_each_kind_is_kept_and_listed_in_order(nurse, patient, db):
    pid = patient.id
    nina = nurse
    smoke = add_history(nina, pid, HistoryInput("social", "10 pack-years, quit 2010", "Tobacco"))
    mother = add_history(
        nina, pid, HistoryInput("family", "Breast cancer", relative="Mother", when_text="at 52")
    )
    appendix = add_history(nina, pid, HistoryInput("surgical", "Appendectomy", when_text="1990"))
    asthma = add_history(nina, pid, HistoryInput("medical", "Asthma", icd10_code="j45"))
    assert smoke.category == "tobacco"
    assert smoke.display == "Tobacco: 10 pack-years, quit 2010"
    assert mother.display == "Mother: Breast cancer"
    assert asthma.icd10_code == "J45"  # any valid code, a category too, in printed form
    listed = list_history(nina, pid)
    assert [h.id for h in listed] == [asthma.id, appendix.id, mother.id, smoke.id]
    assert [h.id for h in list_history(nina, pid, kind="family")] == [mother.id]
    with db.read() as s:
        actions = list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity == "history_entries")
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["create"] * 4 + ["view"] * 2


def test_kinds_categories_and_relatives_are_checked(physician, patient):
    pid = patient.id
    doc = physician
    cases = [
        (HistoryInput("past", "Asthma"), {"kind"}),
        (HistoryInput("family", "Diabetes"), {"relative"}),
        (HistoryInput("social", "Teacher", category="hobby"), {"category"}),
        (
            HistoryInput("medical", "Asthma", category="tobacco", relative="Father"),
            {"category", "relative"},
        ),
        (HistoryInput("surgical", "  "), {"description"}),
        (HistoryInput("medical", "Asthma", icd10_code="Q99.99"), {"icd10_code"}),
    ]
    for entry, fields in cases:
        with pytest.raises(ValidationError) as caught:
            add_history(doc, pid, entry)
        assert set(caught.value.field_errors) == fields, entry
    assert list_history(doc, pid) == []


def test_update_keeps_the_kind_checks_the_version_and_errors_are_struck(physician, patient):
    pid = patient.id
    doc = physician
    job = add_history(doc, pid, HistoryInput("social", "Teacher", "occupation"))
    changed = update_history(
        doc, job.id, job.version, HistoryInput("social", "Retired teacher", "occupation")
    )
    assert changed.description == "Retired teacher"
    with pytest.raises(ConflictError):
        update_history(doc, job.id, job.version, HistoryInput("social", "Nurse", "occupation"))
    with pytest.raises(ValidationError, match="kind"):
        update_history(doc, job.id, changed.version, HistoryInput("medical", "Teacher"))
    mark_history_entered_in_error(doc, job.id, changed.version, "another patient's")
    assert list_history(doc, pid) == []
    assert [h.error_reason for h in list_history(doc, pid, include_errors=True)] == [
        "another patient's"
    ]


def test_front_desk_is_refused(front_desk_user, patient):
    pid = patient.id
    with pytest.raises(PermissionDenied):
        add_history(front_desk_user, pid, HistoryInput("medical", "Asthma"))
    with pytest.raises(PermissionDenied):
        list_history(front_desk_user, pid)
