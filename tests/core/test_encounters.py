"""Encounters and SOAP notes against a real database: drafts, signing, addenda, signatures
that detect tampering, permissions and the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select, text

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models import AuditEvent, Medication, Observation, Problem
from emr.models.base import utcnow
from emr.schedule_rules import Stretch
from emr.security.audit import verify_chain
from emr.services.encounters import (
    ENCOUNTER_TYPES,
    add_addendum,
    get_encounter,
    list_encounters,
    mark_encounter_entered_in_error,
    save_draft,
    sign_note,
    start_encounter,
    start_from_appointment,
    verify_note,
)
from emr.services.note_templates import save_note_template
from emr.services.schedule_setup import save_appointment_type, set_working_hours
from emr.services.scheduling import AppointmentInput, book_appointment

VISIT = datetime(2024, 3, 5, 14, 0)


@pytest.fixture
def clinic(physician, nurse, front_desk_user, patient):
    class Clinic:
        pass

    c = Clinic()
    c.doc_id = physician.user_id
    c.patient_id = patient.id
    c.doc = physician
    c.nurse = nurse
    c.desk = front_desk_user
    return c


def visit(clinic, actor=None, **extra):
    return start_encounter(
        actor or clinic.doc,
        clinic.patient_id,
        provider_id=clinic.doc_id,
        occurred_at=extra.pop("occurred_at", VISIT),
        encounter_type=extra.pop("encounter_type", "Office visit"),
        reason=extra.pop("reason", "Cough for two weeks"),
        **extra,
    )


SOAP = ("Cough, no fever.", "Lungs clear. BP 128/82.", "Acute bronchitis.", "Fluids, rest.")


def drafted(clinic, actor=None):
    encounter = visit(clinic)
    note = get_encounter(clinic.doc, encounter.id).note
    return encounter, save_draft(actor or clinic.doc, note.id, note.version, *SOAP)


def events(db, **where):
    with db.read() as s:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for column, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, column) == value)
        return [(e.action, e.entity, e.detail, e.username) for e in s.execute(stmt).scalars()]


def test_a_draft_is_saved_and_read_back(clinic):
    encounter = visit(clinic)
    assert encounter.provider_name == "Doc Tester"
    assert encounter.occurred_at == VISIT
    detail = get_encounter(clinic.nurse, encounter.id)
    assert detail.note.status == "draft" and detail.note.sections == ("", "", "", "")
    saved = save_draft(clinic.nurse, detail.note.id, detail.note.version, *SOAP)
    assert saved.version > detail.note.version
    again = get_encounter(clinic.doc, encounter.id).note
    assert again.sections == SOAP
    assert again.author_name == "Doc Tester"
    assert again.last_editor_name == "Nina Tester"


def test_a_physician_signs_and_the_signature_verifies(clinic):
    _, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    assert signed.signed and signed.signed_by_name == "Doc Tester"
    assert signed.signed_at is not None and len(signed.signed_hash or "") == 64
    assert verify_note(clinic.doc, draft.id) is True


def test_a_nurse_cannot_sign(clinic):
    _, draft = drafted(clinic, clinic.nurse)
    with pytest.raises(PermissionDenied, match="Only a physician signs"):
        sign_note(clinic.nurse, draft.id, draft.version)


def test_an_empty_note_is_not_signed(clinic):
    encounter = visit(clinic)
    note = get_encounter(clinic.doc, encounter.id).note
    with pytest.raises(ValidationError, match="empty"):
        sign_note(clinic.doc, note.id, note.version)


def test_a_signed_note_refuses_a_draft_save(clinic):
    _, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    with pytest.raises(ValidationError, match="never edited: add an addendum"):
        save_draft(clinic.doc, signed.id, signed.version, "changed", "", "", "")
    assert get_encounter(clinic.doc, draft.encounter_id).note.sections == SOAP


def test_an_addendum_keeps_the_signed_text(clinic):
    encounter, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    addendum = add_addendum(clinic.doc, signed.id, "Chest X-ray normal.")
    assert addendum.author_name == "Doc Tester" and len(addendum.signed_hash) == 64
    detail = get_encounter(clinic.doc, encounter.id)
    assert detail.note.sections == SOAP
    assert detail.note.signed_hash == signed.signed_hash
    assert [a.text for a in detail.addenda] == ["Chest X-ray normal."]
    assert verify_note(clinic.doc, signed.id) is True


def test_a_nurse_adds_no_addendum_and_a_draft_takes_none(clinic):
    _, draft = drafted(clinic)
    with pytest.raises(ValidationError, match="draft"):
        add_addendum(clinic.doc, draft.id, "Too early")
    signed = sign_note(clinic.doc, draft.id, draft.version)
    with pytest.raises(PermissionDenied):
        add_addendum(clinic.nurse, signed.id, "Not mine to add")


def test_tampering_with_the_note_row_breaks_the_signature(clinic, db):
    _, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    with db.write() as s:
        s.execute(text("UPDATE notes SET plan = 'Antibiotics.' WHERE id = :id"), {"id": signed.id})
    assert verify_note(clinic.doc, signed.id) is False


def test_tampering_with_an_addendum_breaks_the_signature(clinic, db):
    _, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    addendum = add_addendum(clinic.doc, signed.id, "Culture pending.")
    with db.write() as s:
        s.execute(text("UPDATE addenda SET text = 'x' WHERE id = :id"), {"id": addendum.id})
    assert verify_note(clinic.doc, signed.id) is False


def test_a_stale_version_is_a_conflict(clinic):
    encounter = visit(clinic)
    note = get_encounter(clinic.doc, encounter.id).note
    save_draft(clinic.nurse, note.id, note.version, "Nurse's intake", "", "", "")
    with pytest.raises(ConflictError):
        save_draft(clinic.doc, note.id, note.version, "Doctor's text", "", "", "")
    assert get_encounter(clinic.doc, encounter.id).note.subjective == "Nurse's intake"


def test_front_desk_cannot_read_or_write_encounters(clinic):
    encounter = visit(clinic)
    with pytest.raises(PermissionDenied):
        get_encounter(clinic.desk, encounter.id)
    with pytest.raises(PermissionDenied):
        list_encounters(clinic.desk, clinic.patient_id)
    with pytest.raises(PermissionDenied):
        verify_note(clinic.desk, encounter.note_id)
    with pytest.raises(PermissionDenied):
        visit(clinic, clinic.desk)


def test_the_audit_trail_has_each_step(clinic, db):
    encounter = visit(clinic)
    note = get_encounter(clinic.doc, encounter.id).note
    saved = save_draft(clinic.doc, note.id, note.version, *SOAP, autosave=True)
    unchanged = save_draft(clinic.doc, note.id, saved.version, *SOAP, autosave=True)
    assert unchanged.version == saved.version
    signed = sign_note(clinic.doc, note.id, saved.version)
    add_addendum(clinic.doc, signed.id, "Seen again.")
    list_encounters(clinic.doc, clinic.patient_id)
    trail = [
        (action, entity, detail)
        for action, entity, detail, _ in events(db, patient_id=clinic.patient_id)
        if entity in ("encounter", "note", "addendum")
    ]
    assert trail == [
        ("create", "encounter", "Office visit"),
        ("view", "encounter", ""),
        ("update", "note", "autosave"),  # once: the unchanged autosave wrote nothing
        ("sign", "note", "signed"),
        ("sign", "addendum", f"addendum to note {note.id}"),
        ("view", "encounter", "list"),
    ]
    assert all(e[3] == "doc" for e in events(db, entity="note"))
    assert not any("Cough" in e[2] for e in events(db))  # no note text in the trail
    with db.read() as s:
        assert verify_chain(s).ok


def test_encounter_types_and_provider_are_checked(clinic, operator):
    with pytest.raises(ValidationError, match="type of visit"):
        visit(clinic, encounter_type="Séance")
    with pytest.raises(ValidationError, match="physician"):
        start_encounter(
            clinic.doc,
            clinic.patient_id,
            provider_id=clinic.nurse.user_id,
            occurred_at=VISIT,
            encounter_type="Nurse visit",
        )
    assert "Telehealth" in ENCOUNTER_TYPES


def test_a_template_fills_the_new_note(clinic):
    template = save_note_template(
        clinic.doc,
        name="Annual",
        visit_type="Annual physical",
        subjective="No complaints.",
        plan="Return in a year.",
    )
    encounter = visit(clinic, encounter_type="Annual physical", template_id=template.id)
    note = get_encounter(clinic.doc, encounter.id).note
    assert note.sections == ("No complaints.", "", "", "Return in a year.")
    assert note.template_id == template.id


def test_one_encounter_per_appointment(clinic, operator):
    set_working_hours(operator, clinic.doc_id, [Stretch(d, time(7), time(19)) for d in range(7)])
    kind = save_appointment_type(
        operator, name="Diabetes check", default_minutes=20, colour="#4a90d9"
    )
    starts = datetime.combine(date.today() + timedelta(days=1), time(9))
    appointment = book_appointment(
        operator,
        AppointmentInput(clinic.patient_id, clinic.doc_id, kind.id, starts, 20, reason="A1c"),
    )
    first = start_from_appointment(clinic.nurse, appointment.id)
    assert (first.encounter_type, first.reason, first.occurred_at) == (
        "Diabetes check",
        "A1c",
        starts,
    )
    assert first.provider_id == clinic.doc_id and first.appointment_id == appointment.id
    again = start_from_appointment(clinic.doc, appointment.id)
    assert again.id == first.id
    assert len(list_encounters(clinic.doc, clinic.patient_id)) == 1


def test_list_is_newest_first_and_hides_errors(clinic):
    old = visit(clinic, occurred_at=VISIT - timedelta(days=30), reason="Old")
    new = visit(clinic, reason="New")
    wrong = visit(clinic, occurred_at=VISIT + timedelta(days=1), reason="Wrong patient")
    with pytest.raises(ValidationError, match="reason"):
        mark_encounter_entered_in_error(clinic.doc, wrong.id, wrong.version, " ")
    mark_encounter_entered_in_error(clinic.doc, wrong.id, wrong.version, "Wrong patient chart")
    listed = list_encounters(clinic.doc, clinic.patient_id)
    assert [e.id for e in listed] == [new.id, old.id]
    assert listed[0].note_status == "draft" and listed[0].provider_name == "Doc Tester"
    with_errors = list_encounters(clinic.doc, clinic.patient_id, include_errors=True)
    assert [e.id for e in with_errors] == [wrong.id, new.id, old.id]
    assert with_errors[0].entered_in_error and with_errors[0].error_reason == "Wrong patient chart"
    note = get_encounter(clinic.doc, wrong.id).note
    with pytest.raises(ValidationError, match="entered in error"):
        save_draft(clinic.doc, note.id, note.version, "late text", "", "", "")


def test_a_signed_encounter_is_not_entered_in_error(clinic):
    encounter, draft = drafted(clinic)
    sign_note(clinic.doc, draft.id, draft.version)
    with pytest.raises(ValidationError, match="addendum"):
        mark_encounter_entered_in_error(clinic.doc, encounter.id, encounter.version, "Mistake")


def test_what_was_made_in_the_visit(clinic, db):
    encounter = visit(clinic)
    other = visit(clinic, reason="Another day")
    with db.write(clinic.doc_id) as s:
        for enc_id, value in ((encounter.id, 128.0), (other.id, 150.0)):
            s.add(
                Observation(
                    patient_id=clinic.patient_id,
                    encounter_id=enc_id,
                    category="vital-signs",
                    loinc_code="8480-6",
                    name="Systolic blood pressure",
                    value_num=value,
                    unit="mm[Hg]",
                    observed_at=utcnow(),
                )
            )
        s.add(
            Problem(
                patient_id=clinic.patient_id,
                encounter_id=encounter.id,
                icd10_code="J20.9",
                description="Acute bronchitis, unspecified",
            )
        )
        s.add(
            Medication(
                patient_id=clinic.patient_id,
                encounter_id=encounter.id,
                name="Benzonatate",
                dose="100 mg",
                frequency="three times a day",
            )
        )
    made = get_encounter(clinic.doc, encounter.id).made
    assert [(m.kind, m.description) for m in made] == [
        ("vitals", "Systolic blood pressure: 128 mmHg"),
        ("diagnosis", "J20.9 Acute bronchitis, unspecified"),
        ("medication", "Benzonatate 100 mg three times a day"),
    ]


def test_listing_many_encounters_is_one_query(clinic, db):
    for day in range(40):
        visit(clinic, occurred_at=VISIT - timedelta(days=day))
    statements: list[str] = []

    from sqlalchemy import event

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = list_encounters(clinic.doc, clinic.patient_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(listed) == 40
    assert sum("FROM encounters" in s for s in statements) == 1


def test_an_addendum_from_an_amendment_request_verifies(clinic):
    from emr.services.amendments import accept_request, record_request

    encounter, draft = drafted(clinic)
    signed = sign_note(clinic.doc, draft.id, draft.version)
    request = record_request(
        clinic.nurse, clinic.patient_id, date.today(), "The plan", "I was told to rest a week"
    )
    accept_request(
        clinic.doc,
        request.id,
        request.version,
        note_id=signed.id,
        addendum_text="Rest for one week, per the patient.",
    )
    own = add_addendum(clinic.doc, signed.id, "Reviewed.", amendment_request_id=None)
    detail = get_encounter(clinic.doc, encounter.id)
    assert [(a.text, a.amendment_request_id) for a in detail.addenda] == [
        ("Rest for one week, per the patient.", request.id),
        ("Reviewed.", None),
    ]
    assert detail.addenda[1].id == own.id
    assert verify_note(clinic.doc, signed.id) is True
