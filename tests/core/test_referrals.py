"""Referrals: templates and their merge fields, drafting, the status flow, who may do what, and
the audit trail."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.services.allergies import add_allergy, record_no_known_allergies
from emr.services.encounters import start_encounter
from emr.services.labs import LabResultInput, record_lab_panel
from emr.services.medications import add_medication
from emr.services.problems import add_problem
from emr.services.referrals import (
    MERGE_FIELDS,
    ReferralInput,
    create_referral,
    get_referral,
    list_referrals,
    list_templates,
    mark_referral_entered_in_error,
    merge_letter,
    merge_text,
    retire_template,
    save_template,
    seed_starter_templates,
    set_referral_status,
    templates_folder,
    unknown_fields,
    update_referral,
)

CARDIOLOGY = ReferralInput(
    to_name="Dr Grace Lee",
    to_specialty="Cardiology",
    to_organization="Heart Clinic",
    to_npi="1234567893",
    reason="exertional chest pain",
    urgency="urgent",
    diagnosis_codes=("i20.9", "E11.9"),
    letter_text="Dear Dr Lee,\n\nPlease see Ada.\n",
)


def events(db, patient_id: int) -> list[tuple[str, int | None, str, str]]:
    with db.read() as s:
        return [
            tuple(row)
            for row in s.execute(
                select(
                    AuditEvent.action, AuditEvent.entity_id, AuditEvent.username, AuditEvent.detail
                )
                .where(AuditEvent.entity == "referrals", AuditEvent.patient_id == patient_id)
                .order_by(AuditEvent.id)
            )
        ]


def test_merge_text_fills_known_fields_keeps_braces_and_leaves_other_text_alone():
    body = "Dear {receiving_provider}, {{not a field}} {patient_name.__class__} {unknown} {reason}"
    merged = merge_text(body, {"receiving_provider": "Dr Lee", "reason": "chest pain"})
    assert merged == "Dear Dr Lee, {not a field} {patient_name.__class__} {unknown} chest pain"
    assert unknown_fields(body) == ["unknown"]
    assert unknown_fields("{{patient}} {today}") == []


def test_starter_templates_load_on_first_use_and_only_once(physician):
    files = sorted(templates_folder().glob("referral_*.txt"))
    assert len(files) >= 3
    templates = list_templates(physician)
    assert len(templates) == len(files)
    assert seed_starter_templates(physician) == 0  # already there
    assert len(list_templates(physician)) == len(files)
    for t in templates:
        assert unknown_fields(t.body) == [], t.name
    cardiology = list_templates(physician, specialty="cardiology")
    assert {t.specialty for t in cardiology} == {"", "Cardiology"}


def test_merge_letter_reads_the_chart(physician, nurse, patient):
    add_problem(physician, patient.id, "E11.9", onset=date(2020, 1, 1))
    add_medication(physician, patient.id, "Metformin", dose="500 mg", frequency="twice daily")
    add_allergy(physician, patient.id, "Penicillin", "drug", reaction="hives", severity="severe")
    record_lab_panel(
        physician,
        patient.id,
        name="HbA1c",
        collected_at=datetime.now() - timedelta(days=30),
        results=[LabResultInput("HbA1c", "4548-4", 7.2, "%", 4, 5.6)],
    )
    general = next(t for t in list_templates(physician) if t.name == "General referral")
    letter = merge_letter(
        physician,
        patient.id,
        general.id,
        receiving_provider="Dr Grace Lee",
        reason="exertional chest pain",
    )
    assert "Dear Dr Grace Lee," in letter
    assert "Ada Okafor (date of birth 01/01/1950, MRN " + patient.mrn + ")" in letter
    assert "exertional chest pain" in letter
    assert "- E11.9 Type 2 diabetes mellitus without complications" in letter
    assert "- Metformin 500 mg twice daily" in letter
    assert "Allergies: Penicillin (hives, severe)" in letter
    assert "HbA1c" in letter and "7.2 %" in letter and "(H)" in letter
    assert f"{date.today():%B} {date.today().day}, {date.today().year}" in letter
    assert "{" not in letter

    # A template with every field: all replaced; the nurse may merge too.
    every = save_template(
        physician, None, name="Every field", body=" ".join(f"[{{{f}}}]" for f in MERGE_FIELDS)
    )
    merged = merge_letter(nurse, patient.id, every.id)
    assert "{" not in merged and "[Nina Tester]" in merged  # the referring provider: the user


def test_merge_letter_without_chart_data_says_so(physician, patient):
    general = next(t for t in list_templates(physician) if t.name == "General referral")
    letter = merge_letter(physician, patient.id, general.id)
    assert "No active problems recorded." in letter
    assert "No current medications recorded." in letter
    assert "Allergies: Allergies not recorded" in letter
    record_no_known_allergies(physician, patient.id)
    assert "Allergies: No known allergies" in merge_letter(physician, patient.id, general.id)
    with pytest.raises(ValidationError):
        merge_letter(physician, patient.id, general.id, patient_name="Someone else")
    with pytest.raises(NotFound):
        merge_letter(physician, patient.id, 999_999)


def test_templates_are_kept_by_physicians_and_admins(physician, nurse, admin_user):
    saved = save_template(
        physician, None, name="Sleep", specialty="Sleep medicine", body="{reason}"
    )
    with pytest.raises(ValidationError) as caught:
        save_template(
            physician, saved.id, name="Sleep", body="{reasn}", expected_version=saved.version
        )
    assert "{reasn}" in caught.value.field_errors["body"]
    with pytest.raises(PermissionDenied):
        save_template(nurse, None, name="Mine", body="{reason}")
    changed = save_template(
        admin_user,
        saved.id,
        name="Sleep study",
        body="Please see {patient_name}.",
        expected_version=saved.version,
    )
    assert changed.name == "Sleep study"
    with pytest.raises(ConflictError):
        retire_template(physician, saved.id, saved.version)
    retire_template(physician, changed.id, changed.version)
    assert changed.id not in {t.id for t in list_templates(physician)}
    assert changed.id in {t.id for t in list_templates(physician, include_retired=True)}


def test_create_referral_stores_codes_and_is_audited(db, physician, patient):
    referral = create_referral(physician, patient.id, CARDIOLOGY)
    assert referral.status == "draft" and referral.status_label == "Draft"
    assert referral.diagnosis_codes == ("I20.9", "E11.9")
    assert referral.referring_provider_name == "Doc Tester"
    assert referral.receiving == "Dr Grace Lee (Cardiology), Heart Clinic"
    assert referral.letter_text.startswith("Dear Dr Lee")
    assert list_referrals(physician, patient.id) == [referral]
    assert ("create", referral.id, "doc", "referral to Cardiology (urgent)") in events(
        db, patient.id
    )
    assert ("view", None, "doc", "referral list") in events(db, patient.id)


def test_bad_referrals_are_refused_field_by_field(physician, patient):
    with pytest.raises(ValidationError) as caught:
        create_referral(
            physician,
            patient.id,
            ReferralInput(
                to_name=" ",
                reason="",
                urgency="whenever",
                to_npi="1234567890",
                diagnosis_codes=("E11",),
            ),
        )
    assert set(caught.value.field_errors) == {
        "to_name",
        "reason",
        "urgency",
        "to_npi",
        "diagnosis_codes",
    }
    assert "not a billable code" in caught.value.field_errors["diagnosis_codes"]


def test_a_nurse_drafts_for_a_physician_and_only_a_physician_sends(
    physician, nurse, front_desk_user, patient
):
    with pytest.raises(ValidationError) as caught:
        create_referral(nurse, patient.id, CARDIOLOGY)
    assert "referring_provider_id" in caught.value.field_errors
    draft = create_referral(
        nurse,
        patient.id,
        ReferralInput(**{**CARDIOLOGY.__dict__, "referring_provider_id": physician.user_id}),
    )
    assert draft.referring_provider_id == physician.user_id
    with pytest.raises(PermissionDenied):
        set_referral_status(nurse, draft.id, draft.version, "sent")
    with pytest.raises(PermissionDenied):
        create_referral(front_desk_user, patient.id, CARDIOLOGY)
    with pytest.raises(PermissionDenied):
        list_referrals(front_desk_user, patient.id)
    sent = set_referral_status(physician, draft.id, draft.version, "sent")
    # The nurse tracks it from there.
    booked = set_referral_status(
        nurse, sent.id, sent.version, "appointment_made", on=date.today() + timedelta(days=14)
    )
    assert booked.status == "appointment_made"


def test_status_flow_dates_and_notes(db, physician, patient):
    draft = create_referral(physician, patient.id, CARDIOLOGY)
    edited = update_referral(
        physician,
        draft.id,
        draft.version,
        ReferralInput(**{**CARDIOLOGY.__dict__, "letter_text": "Dear Dr Lee,\n\nEdited."}),
    )
    assert edited.letter_text.endswith("Edited.")
    with pytest.raises(ValidationError):  # not before it is sent
        set_referral_status(physician, edited.id, edited.version, "report_received")
    sent_day = date.today() - timedelta(days=3)
    sent = set_referral_status(
        physician, edited.id, edited.version, "sent", on=sent_day, note="faxed"
    )
    assert (sent.status, sent.sent_on, sent.status_date) == ("sent", sent_day, sent_day)
    with pytest.raises(ValidationError):  # a sent letter stays as sent
        update_referral(physician, sent.id, sent.version, CARDIOLOGY)
    with pytest.raises(ValidationError) as caught:
        set_referral_status(physician, sent.id, sent.version, "appointment_made")
    assert "on" in caught.value.field_errors
    first = date.today() + timedelta(days=10)
    booked = set_referral_status(physician, sent.id, sent.version, "appointment_made", on=first)
    moved = set_referral_status(
        physician, booked.id, booked.version, "appointment_made", on=first + timedelta(days=7)
    )
    assert moved.appointment_on == first + timedelta(days=7)
    with pytest.raises(ValidationError):
        set_referral_status(
            physician, moved.id, moved.version, "report_received", on=date.today() + timedelta(1)
        )
    done = set_referral_status(
        physician, moved.id, moved.version, "report_received", note="echo normal"
    )
    assert done.report_received_on == date.today()
    assert done.next_statuses == ()
    lines = done.status_note.splitlines()
    assert len(lines) == 4
    assert lines[0].endswith(f"Sent ({sent_day:%m/%d/%Y}): faxed")
    assert lines[-1].endswith("Report received: echo normal")
    with pytest.raises(ValidationError):
        set_referral_status(physician, done.id, done.version, "cancelled", note="too late")
    with pytest.raises(ConflictError):
        set_referral_status(physician, done.id, sent.version, "cancelled", note="stale")
    details = [d for action, _, _, d in events(db, patient.id) if action == "update"]
    assert "status sent: faxed" in details and "status report_received: echo normal" in details


def test_cancel_needs_a_reason_and_entered_in_error_hides_it(physician, patient):
    draft = create_referral(physician, patient.id, CARDIOLOGY)
    with pytest.raises(ValidationError) as caught:
        set_referral_status(physician, draft.id, draft.version, "cancelled")
    assert "note" in caught.value.field_errors
    cancelled = set_referral_status(
        physician, draft.id, draft.version, "cancelled", note="patient declined"
    )
    assert cancelled.status == "cancelled"
    mark_referral_entered_in_error(physician, cancelled.id, cancelled.version, "wrong patient")
    assert list_referrals(physician, patient.id) == []
    [struck] = list_referrals(physician, patient.id, include_errors=True)
    assert struck.entered_in_error and struck.error_reason == "wrong patient"
    assert get_referral(physician, struck.id).next_statuses == ()


def test_referral_encounter_must_be_the_patients(physician, patient, operator):
    from emr.services.patients import PatientInput, register_patient

    other = register_patient(
        operator,
        PatientInput(
            family_name="Other", given_name="Olga", date_of_birth=date(1970, 1, 1), sex="F"
        ),
    )
    visit = start_encounter(
        physician,
        other.id,
        provider_id=physician.user_id,
        occurred_at=datetime.now(),
        encounter_type="Office visit",
    )
    with pytest.raises(ValidationError) as caught:
        create_referral(
            physician,
            patient.id,
            ReferralInput(**{**CARDIOLOGY.__dict__, "encounter_id": visit.id}),
        )
    assert "encounter_id" in caught.value.field_errors
