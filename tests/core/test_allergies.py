"""Allergies and the explicit "no known allergies" state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.services.allergies import (
    add_allergy,
    allergy_state,
    list_allergies,
    mark_allergy_entered_in_error,
    record_no_known_allergies,
    update_allergy,
)


def _actions(db, entity):
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.action).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
            )
        )


def _edit(allergy, **changes):
    fields = dict(
        substance=allergy.substance,
        category=allergy.category,
        reaction=allergy.reaction,
        severity=allergy.severity,
        status=allergy.status,
        onset=allergy.onset,
        notes=allergy.notes,
    )
    return fields | changes


def test_never_assumed_none_until_recorded(nurse, patient):
    pid = patient.id
    nina = nurse
    state = allergy_state(nina, pid)
    assert (state.kind, state.allergies, state.text) == (
        "not_recorded",
        (),
        "Allergies not recorded",
    )
    assert record_no_known_allergies(nina, pid).kind == "no_known"
    assert allergy_state(nina, pid).text == "No known allergies"
    record_no_known_allergies(nina, pid)  # asked again: still none
    assert allergy_state(nina, pid).kind == "no_known"


def test_an_allergy_clears_no_known_and_blocks_it(physician, patient, db):
    pid = patient.id
    doc = physician
    record_no_known_allergies(doc, pid)
    penicillin = add_allergy(
        doc, pid, " Penicillin ", "drug_class", reaction="hives", severity="severe"
    )
    assert penicillin.substance == "Penicillin"
    state = allergy_state(doc, pid)
    assert state.kind == "recorded"
    assert [a.id for a in state.allergies] == [penicillin.id]
    assert state.text == "Allergies: Penicillin (hives, severe)"
    with pytest.raises(ValidationError, match="Penicillin"):
        record_no_known_allergies(doc, pid)
    resolved = update_allergy(
        doc, penicillin.id, penicillin.version, **_edit(penicillin, status="resolved")
    )
    # No active allergy left, and nobody said "none": not recorded until someone asks again.
    assert allergy_state(doc, pid).kind == "not_recorded"
    record_no_known_allergies(doc, pid)
    update_allergy(doc, penicillin.id, resolved.version, **_edit(resolved, status="active"))
    assert allergy_state(doc, pid).kind == "recorded"  # reactivating clears "none" again
    assert _actions(db, "allergy_status") == ["update", "update"]


def test_entered_in_error_leaves_the_list_and_the_state(physician, patient):
    pid = patient.id
    doc = physician
    peanut = add_allergy(doc, pid, "Peanut", "food", reaction="anaphylaxis", severity="severe")
    latex = add_allergy(doc, pid, "Latex", "environmental", status="inactive")
    assert [a.id for a in list_allergies(doc, pid)] == [peanut.id, latex.id]  # active first
    mark_allergy_entered_in_error(doc, peanut.id, peanut.version, "other patient's")
    assert [a.id for a in list_allergies(doc, pid)] == [latex.id]
    every = list_allergies(doc, pid, include_errors=True)
    assert [(a.id, a.entered_in_error) for a in every] == [(latex.id, False), (peanut.id, True)]
    assert allergy_state(doc, pid).kind == "not_recorded"
    assert record_no_known_allergies(doc, pid).kind == "no_known"


def test_validation(physician, patient):
    pid = patient.id
    with pytest.raises(ValidationError) as caught:
        add_allergy(physician, pid, " ", "pollen", severity="deadly", status="gone")
    assert set(caught.value.field_errors) == {"substance", "category", "severity", "status"}
    assert add_allergy(physician, pid, "Cats", "environmental").severity == ""  # not known


def test_front_desk_is_refused_and_reads_are_audited(front_desk_user, nurse, patient, db):
    pid = patient.id
    fran = front_desk_user
    for call in (
        lambda: allergy_state(fran, pid),
        lambda: list_allergies(fran, pid),
        lambda: record_no_known_allergies(fran, pid),
        lambda: add_allergy(fran, pid, "Peanut", "food"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    add_allergy(nurse, pid, "Peanut", "food")
    list_allergies(nurse, pid)
    allergy_state(nurse, pid)
    assert _actions(db, "allergies") == ["create", "view", "view"]
