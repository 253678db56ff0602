"""Prescriptions through the service: draft (a nurse may), check against the chart, sign with
reasons for the alerts overridden (physician only, DEA for controlled substances), the
medication list kept in step, renew, discontinue, who may, what is audited."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.prescribing import Prescription
from emr.services.allergies import add_allergy
from emr.services.auth import login
from emr.services.medications import add_medication, list_medications
from emr.services.prescriptions import (
    PrescriptionInput,
    PrescriptionNeedsOverride,
    check_prescription,
    discontinue_prescription,
    draft_prescription,
    get_prescription,
    list_prescriptions,
    mark_prescription_entered_in_error,
    number_in_words,
    quantity_in_words,
    render_sig,
    renew_prescription,
    sign_prescription,
    update_draft,
)
from emr.services.users import create_user

PRESCRIBER_PASSWORD = "prescriber pw 1"
IBUPROFEN = PrescriptionInput(
    drug_name="ibuprofen",
    strength="400 mg",
    dose_form="tablet",
    route="oral",
    dose_amount="1",
    dose_unit="tablet",
    frequency="every 8 hours",
    as_needed=True,
    as_needed_reason="pain",
    duration_days=5,
    quantity="15",
    quantity_unit="tablets",
)
AMOXICILLIN = PrescriptionInput(
    drug_name="Amoxil",
    strength="500 mg",
    dose_form="capsule",
    dose_amount="1",
    dose_unit="capsule",
    frequency="tid",
    duration_days=10,
    quantity="30",
    quantity_unit="capsules",
)
OXYCODONE = PrescriptionInput(
    drug_name="oxycodone",
    strength="5 mg",
    dose_form="tablet",
    dose_amount="1",
    dose_unit="tablet",
    frequency="every 6 hours",
    as_needed=True,
    as_needed_reason="severe pain",
    quantity="12",
    quantity_unit="tablets",
)


@pytest.fixture
def prescriber(db, operator):
    """A physician with an NPI and a DEA number."""
    create_user(
        operator,
        username="rxdoc",
        full_name="Rita Prescriber",
        role="physician",
        password=PRESCRIBER_PASSWORD,
        npi="1234567893",
        dea_number="AB1234563",
    )
    return login(db, "rxdoc", PRESCRIBER_PASSWORD)


def audit_details(db, patient_id: int, action: str) -> list[str]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.detail)
                .where(AuditEvent.patient_id == patient_id, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


# --- the sig and the quantity ------------------------------------------------------------------


def test_the_sig_reads_as_directions():
    assert (
        render_sig(
            dose_amount="1",
            dose_unit="tablet",
            route="oral",
            frequency="bid",
            duration_days=10,
        )
        == "Take 1 tablet by mouth twice daily for 10 days"
    )
    assert (
        render_sig(
            dose_amount="1-2",
            dose_unit="tablet",
            route="by mouth",
            frequency="every 6 hours",
            as_needed=True,
            as_needed_reason="pain",
        )
        == "Take 1-2 tablets by mouth every 6 hours as needed for pain"
    )
    assert (
        render_sig(dose_amount="2", dose_unit="puff", route="inhalation", frequency="q4h")
        == "Inhale 2 puffs by mouth every 4 hours"
    )
    assert (
        render_sig(dose_amount="5", dose_unit="mL", route="oral", frequency="once daily")
        == "Take 5 mL by mouth once daily"
    )


def test_quantities_in_words():
    assert quantity_in_words("30") == "thirty (30)"
    assert number_in_words(0) == "zero"
    assert number_in_words(12) == "twelve"
    assert number_in_words(45) == "forty-five"
    assert number_in_words(120) == "one hundred twenty"
    assert number_in_words(1001) == "one thousand one"


# --- drafting ----------------------------------------------------------------------------------


def test_a_nurse_drafts_and_the_formulary_fills_in_the_drug(nurse, physician, patient):
    draft = draft_prescription(nurse, patient.id, AMOXICILLIN)
    assert draft.status == "draft"
    assert draft.drug_name == "amoxicillin" and draft.brand_name == "Amoxil"
    assert "penicillins" in draft.drug_classes
    assert draft.sig == "Take 1 capsule by mouth three times daily for 10 days"
    assert draft.frequency == "three times daily"
    assert draft.prescriber_name == "Nina Tester"
    assert draft.quantity_text == "30 capsules"
    assert list_prescriptions(physician, patient.id) == [draft]


def test_draft_refuses_what_is_missing_or_wrong(physician, patient):
    with pytest.raises(ValidationError) as caught:
        draft_prescription(
            physician,
            patient.id,
            PrescriptionInput(drug_name="", dose_amount="two", quantity="-3", refills=20),
        )
    errors = caught.value.field_errors
    assert {"drug_name", "dose_amount", "dose_unit", "frequency", "quantity", "refills"} <= set(
        errors
    )
    with pytest.raises(ValidationError) as caught:
        draft_prescription(physician, patient.id, replace(OXYCODONE, refills=1))
    assert "no refills" in caught.value.field_errors["refills"]
    with pytest.raises(ValidationError) as caught:
        draft_prescription(physician, patient.id, replace(OXYCODONE, quantity="12.5"))
    assert "whole" in caught.value.field_errors["quantity"]


def test_front_desk_and_admin_cannot_draft(front_desk_user, admin_user, patient):
    for actor in (front_desk_user, admin_user):
        with pytest.raises(PermissionDenied):
            draft_prescription(actor, patient.id, AMOXICILLIN)


def test_update_draft_checks_the_version_and_only_drafts_change(prescriber, patient):
    draft = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    changed = update_draft(prescriber, draft.id, draft.version, replace(AMOXICILLIN, refills=1))
    assert changed.refills == 1
    with pytest.raises(ConflictError):
        update_draft(prescriber, draft.id, draft.version, AMOXICILLIN)
    signed = sign_prescription(prescriber, changed.id, changed.version)
    with pytest.raises(ValidationError):
        update_draft(prescriber, signed.id, signed.version, AMOXICILLIN)


# --- checking and signing ----------------------------------------------------------------------


def test_penicillin_allergy_alerts_on_amoxicillin_and_is_overridden_with_a_reason(
    db, prescriber, nurse, patient
):
    add_allergy(nurse, patient.id, "Penicillin", "drug", reaction="rash")
    draft = draft_prescription(nurse, patient.id, AMOXICILLIN)
    [alert] = check_prescription(nurse, draft.id)
    assert (alert.kind, alert.severity, alert.needs_reason) == ("allergy", "major", True)

    with pytest.raises(PrescriptionNeedsOverride) as caught:
        sign_prescription(prescriber, draft.id, draft.version)
    assert [a.key for a in caught.value.alerts] == [alert.key]
    with pytest.raises(PrescriptionNeedsOverride):
        sign_prescription(prescriber, draft.id, draft.version, {alert.key: "   "})
    assert get_prescription(prescriber, draft.id).status == "draft"

    reason = "Tolerated amoxicillin in 2023; rash was viral"
    signed = sign_prescription(prescriber, draft.id, draft.version, {alert.key: reason})
    assert signed.status == "signed" and signed.signed_at is not None
    assert signed.prescriber_name == "Rita Prescriber"
    assert [(o.key, o.reason) for o in signed.overridden] == [(alert.key, reason)]
    with db.read() as s:
        stored = json.loads(s.get(Prescription, draft.id).alerts_overridden)
    assert stored[0]["reason"] == reason and stored[0]["severity"] == "major"
    assert any(reason in d for d in audit_details(db, patient.id, "sign"))


def test_interaction_with_a_current_medication_and_with_another_draft(prescriber, patient):
    add_medication(prescriber, patient.id, "Coumadin 5 mg tablet", dose="1 tablet")
    draft = draft_prescription(prescriber, patient.id, IBUPROFEN)
    [alert] = check_prescription(prescriber, draft.id)
    assert (alert.kind, alert.severity) == ("interaction", "major")
    assert "Coumadin 5 mg tablet (current medication)" in alert.text

    sildenafil = draft_prescription(
        prescriber,
        patient.id,
        replace(IBUPROFEN, drug_name="sildenafil", strength="50 mg", as_needed_reason=""),
    )
    nitrate = draft_prescription(
        prescriber,
        patient.id,
        replace(IBUPROFEN, drug_name="isosorbide mononitrate", strength="30 mg", as_needed=False),
    )
    alerts = check_prescription(prescriber, sildenafil.id)
    assert [(a.kind, a.severity) for a in alerts] == [("interaction", "contraindicated")]
    assert "(another draft)" in alerts[0].text
    assert check_prescription(prescriber, nitrate.id)[0].severity == "contraindicated"


def test_a_stopped_medication_does_not_interact(prescriber, patient):
    from emr.services.medications import stop_medication

    warfarin = add_medication(prescriber, patient.id, "warfarin 5 mg", started_on=date(2020, 1, 1))
    stop_medication(prescriber, warfarin.id, warfarin.version, date.today(), "Course completed")
    draft = draft_prescription(prescriber, patient.id, IBUPROFEN)
    assert check_prescription(prescriber, draft.id) == []


def test_duplicate_therapy_with_a_current_medication(prescriber, patient):
    add_medication(prescriber, patient.id, "simvastatin 20 mg")
    draft = draft_prescription(
        prescriber,
        patient.id,
        replace(AMOXICILLIN, drug_name="atorvastatin", strength="20 mg", duration_days=None),
    )
    [alert] = check_prescription(prescriber, draft.id)
    assert (alert.kind, alert.severity, alert.needs_reason) == ("duplicate", "moderate", False)
    # A moderate alert is signed without a reason; it is kept with the prescription.
    signed = sign_prescription(prescriber, draft.id, draft.version)
    assert [(o.kind, o.reason) for o in signed.overridden] == [("duplicate", "")]


def test_only_a_physician_signs(nurse, patient):
    draft = draft_prescription(nurse, patient.id, AMOXICILLIN)
    with pytest.raises(PermissionDenied):
        sign_prescription(nurse, draft.id, draft.version)


def test_a_controlled_substance_needs_the_prescribers_dea_number(physician, prescriber, patient):
    draft = draft_prescription(physician, patient.id, OXYCODONE)
    assert draft.controlled and draft.schedule == "II"
    assert draft.quantity_text == "twelve (12) tablets"
    with pytest.raises(ValidationError, match="DEA number"):
        sign_prescription(physician, draft.id, draft.version)
    signed = sign_prescription(prescriber, draft.id, draft.version)
    assert signed.status == "signed"


def test_signing_puts_the_drug_on_the_medication_list(db, prescriber, patient):
    draft = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    signed = sign_prescription(prescriber, draft.id, draft.version)
    [med] = list_medications(prescriber, patient.id, current_only=True)
    assert med.id == signed.medication_id
    assert (med.source, med.prescription_id) == ("here", signed.id)
    assert med.name == "amoxicillin 500 mg capsule"
    assert med.instructions == signed.sig
    assert med.started_on == date.today()


def test_discontinue_stops_the_medication_too(prescriber, nurse, patient):
    draft = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    signed = sign_prescription(prescriber, draft.id, draft.version)
    with pytest.raises(PermissionDenied):
        discontinue_prescription(nurse, signed.id, signed.version, "Side effects")
    with pytest.raises(ValidationError):
        discontinue_prescription(prescriber, signed.id, signed.version, "  ")
    stopped = discontinue_prescription(prescriber, signed.id, signed.version, "Side effects")
    assert stopped.status == "discontinued" and stopped.discontinue_reason == "Side effects"
    assert list_medications(prescriber, patient.id, current_only=True) == []
    [past] = list_medications(prescriber, patient.id)
    assert (past.stopped_on, past.stop_reason) == (date.today(), "Side effects")
    with pytest.raises(ValidationError):
        discontinue_prescription(prescriber, stopped.id, stopped.version, "again")


def test_renewal_copies_and_carries_on_the_same_medication(prescriber, nurse, patient):
    draft = draft_prescription(prescriber, patient.id, IBUPROFEN)
    first = sign_prescription(prescriber, draft.id, draft.version)
    renewal = renew_prescription(nurse, first.id)
    assert renewal.status == "draft" and renewal.renewed_from_id == first.id
    assert (renewal.sig, renewal.quantity, renewal.drug_name) == (
        first.sig,
        first.quantity,
        first.drug_name,
    )
    # The medication it continues is no duplicate of it.
    assert check_prescription(prescriber, renewal.id) == []
    second = sign_prescription(prescriber, renewal.id, renewal.version)
    [med] = list_medications(prescriber, patient.id, current_only=True)
    assert med.id == first.medication_id == second.medication_id
    assert med.prescription_id == second.id
    with pytest.raises(ValidationError):
        renew_prescription(prescriber, renew_prescription(prescriber, second.id).id)


def test_a_draft_is_entered_in_error_and_hidden_unless_asked(prescriber, patient):
    draft = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    mark_prescription_entered_in_error(prescriber, draft.id, draft.version, "Wrong patient")
    assert list_prescriptions(prescriber, patient.id) == []
    [struck] = list_prescriptions(prescriber, patient.id, include_errors=True)
    assert struck.entered_in_error and struck.error_reason == "Wrong patient"
    other = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    signed = sign_prescription(prescriber, other.id, other.version)
    with pytest.raises(ValidationError, match="discontinue"):
        mark_prescription_entered_in_error(prescriber, signed.id, signed.version, "x")


def test_lists_and_views_are_audited(db, prescriber, patient):
    draft = draft_prescription(prescriber, patient.id, AMOXICILLIN)
    list_prescriptions(prescriber, patient.id)
    get_prescription(prescriber, draft.id)
    check_prescription(prescriber, draft.id)
    views = audit_details(db, patient.id, "view")
    assert "prescriptions" in views and "amoxicillin" in views
    assert any(v.startswith("checked amoxicillin") for v in views)
    assert "draft amoxicillin" in audit_details(db, patient.id, "create")
