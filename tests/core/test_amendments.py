"""A patient's requests to amend their record: recorded, accepted by a physician as an addendum
or an entered-in-error mark, or denied; the statement of disagreement; who may do what."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.base import utcnow
from emr.models.chart import Addendum, Encounter, Note
from emr.services.amendments import (
    accept_request,
    attach_disagreement,
    correctable_records,
    deny_request,
    list_requests,
    record_request,
    signed_notes,
)
from emr.services.patients import PatientInput, register_patient
from emr.services.problems import add_problem, list_problems

SIGNED_PLAN = "Metformin 500 mg twice daily."


def make_note(db, doc, patient_id: int, *, signed: bool = True) -> int:
    """A note as the encounter service leaves it (signed or a draft)."""
    with db.write(doc.user_id) as s:
        encounter = Encounter(
            patient_id=patient_id,
            provider_id=doc.user_id,
            occurred_at=utcnow(),
            encounter_type="office visit",
        )
        s.add(encounter)
        s.flush()
        note = Note(encounter_id=encounter.id, patient_id=patient_id, plan=SIGNED_PLAN)
        if signed:
            note.status = "signed"
            note.signed_by = doc.user_id
            note.signed_at = utcnow()
            note.signed_hash = hashlib.sha256(SIGNED_PLAN.encode()).hexdigest()
        s.add(note)
        s.flush()
        return note.id


def _request(actor, pid, what="The plan of my March visit"):
    return record_request(actor, pid, date.today(), what, "I never took metformin.")


def test_accepted_as_an_addendum_to_a_signed_note(nurse, physician, patient, db):
    pid = patient.id
    doc = physician
    note_id = make_note(db, doc, pid)
    request = _request(nurse, pid)  # a nurse records what the patient asked
    assert (request.status, request.decided_by) == ("pending", "")
    accepted = accept_request(
        doc,
        request.id,
        request.version,
        "addendum",
        note_id=note_id,
        addendum_text="Patient reports never taking metformin; plan corrected.",
    )
    assert (accepted.status, accepted.correction) == ("accepted", "addendum")
    assert (accepted.linked_entity, accepted.linked_id) == ("notes", note_id)
    assert accepted.decided_by == "Doc Tester" and accepted.decided_at is not None
    assert accepted.addendum_text.startswith("Patient reports")
    with db.read() as s:
        addendum = s.scalars(select(Addendum)).one()
        note = s.get(Note, note_id)
        assert addendum.amendment_request_id == request.id
        assert addendum.signed_by == doc.user_id
        assert addendum.signed_hash == hashlib.sha256(addendum.text.encode()).hexdigest()
        assert note.plan == SIGNED_PLAN  # the signed text is unchanged
        sign = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign")).one()
        assert (sign.entity, sign.entity_id, sign.patient_id) == ("addendum", addendum.id, pid)
    assert [r.id for r in list_requests(nurse, pid)] == [request.id]
    with pytest.raises(ValidationError, match="accepted already"):
        accept_request(doc, request.id, accepted.version, note_id=note_id, addendum_text="x")


def test_an_addendum_needs_a_signed_note_of_this_patient(physician, patient, db, operator):
    pid = patient.id
    doc = physician
    other = register_patient(
        operator,
        PatientInput(family_name="Berg", given_name="Ole", date_of_birth=date(1970, 1, 1), sex="M"),
    )
    request = _request(doc, pid)
    with pytest.raises(ValidationError) as caught:
        accept_request(doc, request.id, request.version, "addendum")
    assert set(caught.value.field_errors) == {"addendum_text", "note_id"}
    draft = make_note(db, doc, pid, signed=False)
    with pytest.raises(ValidationError, match="draft"):
        accept_request(doc, request.id, request.version, note_id=draft, addendum_text="x")
    theirs = make_note(db, doc, other.id)
    with pytest.raises(ValidationError, match="another patient"):
        accept_request(doc, request.id, request.version, note_id=theirs, addendum_text="x")
    with pytest.raises(ValidationError, match="correction"):
        accept_request(doc, request.id, request.version, "rewrite")
    assert list_requests(doc, pid)[0].status == "pending"


def test_accepted_as_entered_in_error(physician, patient):
    pid = patient.id
    doc = physician
    problem = add_problem(doc, pid, "E11.9")
    request = _request(doc, pid, what="Diabetes on my problem list")
    accepted = accept_request(
        doc,
        request.id,
        request.version,
        "entered_in_error",
        entity="problems",
        entity_id=problem.id,
        error_reason="Never diagnosed with diabetes",
    )
    assert (accepted.correction, accepted.linked_entity, accepted.linked_id) == (
        "entered_in_error",
        "problems",
        problem.id,
    )
    assert accepted.outcome == f"problem {problem.id} marked entered in error"
    assert list_problems(doc, pid) == []
    struck = list_problems(doc, pid, include_errors=True)[0]
    assert struck.error_reason == f"Never diagnosed with diabetes (amendment request {request.id})"


def test_denied_with_a_reason_then_the_disagreement_attached(nurse, physician, patient):
    pid = patient.id
    doc, nina = physician, nurse
    request = _request(nina, pid)
    with pytest.raises(ValidationError, match="denied request only"):
        attach_disagreement(nina, request.id, request.version, "I disagree", date.today())
    with pytest.raises(ValidationError):
        deny_request(doc, request.id, request.version, " ")
    denied = deny_request(doc, request.id, request.version, "The record is accurate.")
    assert (denied.status, denied.decision_reason) == ("denied", "The record is accurate.")
    with pytest.raises(ConflictError):
        attach_disagreement(nina, request.id, request.version, "I disagree", date.today())
    final = attach_disagreement(nina, request.id, denied.version, "I never took it.", date.today())
    assert (final.disagreement, final.disagreement_received_on) == (
        "I never took it.",
        date.today(),
    )
    listed = list_requests(doc, pid)[0]
    assert (listed.status, listed.decision_reason, listed.disagreement) == (
        "denied",
        "The record is accurate.",
        "I never took it.",
    )


def test_only_a_physician_decides_and_front_desk_sees_nothing(
    front_desk_user, nurse, physician, patient, db
):
    pid = patient.id
    nina, fran = nurse, front_desk_user
    note_id = make_note(db, physician, pid)
    request = _request(nina, pid)
    with pytest.raises(PermissionDenied):
        accept_request(nina, request.id, request.version, note_id=note_id, addendum_text="x")
    with pytest.raises(PermissionDenied):
        deny_request(nina, request.id, request.version, "no")
    with pytest.raises(PermissionDenied):
        record_request(fran, pid, date.today(), "what", "why")
    with pytest.raises(PermissionDenied):
        list_requests(fran, pid)
    with pytest.raises(ValidationError) as caught:
        record_request(nina, pid, date(2999, 1, 1), " ", "")
    assert set(caught.value.field_errors) == {"what", "why", "requested_on"}
    with db.read() as s:
        addenda = s.scalars(select(Addendum)).all()
    assert addenda == []


def test_what_a_physician_may_choose_to_correct(front_desk_user, physician, patient, db):
    pid = patient.id
    doc = physician
    signed = make_note(db, doc, pid)
    make_note(db, doc, pid, signed=False)
    assert [(c.entity, c.id) for c in signed_notes(doc, pid)] == [("notes", signed)]
    assert signed_notes(doc, pid)[0].label.endswith("office visit")
    htn = add_problem(doc, pid, "I10")
    choices = correctable_records(doc, pid, "problems")
    assert [(c.id, c.label, c.version) for c in choices] == [
        (htn.id, "I10 Essential (primary) hypertension (active)", htn.version)
    ]
    assert len(correctable_records(doc, pid, "encounters")) == 2
    with pytest.raises(ValidationError):
        correctable_records(doc, pid, "users")
    with pytest.raises(PermissionDenied):
        signed_notes(front_desk_user, pid)
