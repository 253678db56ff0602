"""Immunizations: doses given here, historical doses, refusals, the rules that guard them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.clinical import Immunization
from emr.services.immunizations import (
    REFUSAL_REASONS,
    ROUTES,
    SITES,
    list_immunizations,
    mark_immunization_entered_in_error,
    record_historical,
    record_immunization,
    record_refusal,
)
from emr.services.patients import PatientInput, register_patient

TODAY = date.today()


@pytest.fixture
def patient_id(operator) -> int:
    return register_patient(
        operator,
        PatientInput(
            family_name="Tanaka", given_name="Yui", date_of_birth=date(2015, 9, 9), sex="F"
        ),
    ).id


def give(actor, patient_id, cvx="150", given_on=TODAY, **changes):
    details = dict(
        lot_number="FL2291",
        expires_on=TODAY + timedelta(days=200),
        manufacturer="Sanofi Pasteur",
        site="LD",
        route="IM",
        dose="0.5 mL",
        administered_by="Nina Tester, RN",
    )
    details.update(changes)
    return record_immunization(actor, patient_id, cvx, given_on, **details)


def test_a_dose_given_here_keeps_the_vaccine_name_from_the_cvx_table(nurse, patient_id, db):
    shot = give(nurse, patient_id, cvx="150 ")
    assert (shot.cvx_code, shot.vaccine) == ("150", "Influenza, split virus, quadrivalent, PF")
    assert (shot.site, shot.site_label, shot.route, shot.route_label) == (
        "LD",
        "Left deltoid",
        "IM",
        "Intramuscular",
    )
    assert shot.kind == "given" and not shot.historical and not shot.refused
    with db.read() as s:
        row = s.get(Immunization, shot.id)
        assert (row.lot_number, row.administered_by, row.site) == (
            "FL2291",
            "Nina Tester, RN",
            "LD",
        )


def test_an_unknown_cvx_code_is_refused(physician, patient_id):
    with pytest.raises(ValidationError) as e:
        give(physician, patient_id, cvx="4242")
    assert e.value.field_errors["cvx_code"].startswith("4242 is not a CVX vaccine code.")
    with pytest.raises(ValidationError):
        record_historical(physician, patient_id, "", date(2016, 1, 1), "old card")


def test_a_product_no_longer_given_is_refused_here_but_fine_as_history(physician, patient_id):
    with pytest.raises(ValidationError, match="record an earlier dose as historical"):
        give(physician, patient_id, cvx="88")  # influenza, unspecified formulation
    old = record_historical(physician, patient_id, "88", date(2016, 10, 1), "state registry")
    assert old.historical and old.source == "state registry" and old.kind == "historical"
    with pytest.raises(
        ValidationError, match=r"not to use CVX 31: use Hep A, unspecified formulation \(CVX 85\)"
    ):
        record_historical(physician, patient_id, "31", date(2016, 10, 1), "old card")


def test_an_expired_lot_is_refused_with_a_clear_message(nurse, patient_id):
    with pytest.raises(ValidationError) as e:
        give(nurse, patient_id, expires_on=TODAY - timedelta(days=1))
    message = e.value.field_errors["expires_on"]
    assert "This lot expired on" in message and "not recorded as a valid dose" in message
    # The last day of the lot is still good.
    assert give(nurse, patient_id, expires_on=TODAY).expires_on == TODAY


def test_dates_and_required_details(nurse, patient_id):
    with pytest.raises(ValidationError) as e:
        give(nurse, patient_id, given_on=TODAY + timedelta(days=1))
    assert e.value.field_errors["given_on"] == "The date cannot be in the future."
    with pytest.raises(ValidationError) as e:
        give(nurse, patient_id, given_on=date(2015, 9, 8))
    assert (
        e.value.field_errors["given_on"] == "The date is before the patient's birth (09/09/2015)."
    )
    with pytest.raises(ValidationError) as e:
        give(
            nurse,
            patient_id,
            lot_number=" ",
            expires_on=None,
            administered_by="",
            site="XX",
            route="IMM",
        )
    assert set(e.value.field_errors) == {
        "lot_number",
        "expires_on",
        "administered_by",
        "site",
        "route",
    }
    assert e.value.field_errors["site"] == "XX is not a body site code (HL7 table 0163)."


def test_refusal_is_recorded_with_its_reason(physician, patient_id):
    with pytest.raises(ValidationError) as e:
        record_refusal(physician, patient_id, "03", TODAY, " ")
    assert e.value.field_errors == {"reason": "Give the reason for the refusal."}
    refusal = record_refusal(physician, patient_id, "03", TODAY, "Parental decision")
    assert refusal.refused and refusal.refusal_reason == "Parental decision"
    assert refusal.kind == "refused" and refusal.vaccine == "MMR"


def test_historical_needs_a_source(nurse, patient_id):
    with pytest.raises(ValidationError) as e:
        record_historical(nurse, patient_id, "08", date(2015, 9, 10), "  ")
    assert "source" in e.value.field_errors


def test_list_is_newest_first_and_hides_entered_in_error(nurse, patient_id, db):
    nina = nurse
    record_historical(nina, patient_id, "08", date(2015, 9, 10), "birth hospital")
    today = give(nina, patient_id)
    record_refusal(nina, patient_id, "03", date(2020, 2, 2), "Patient decision")
    listed = list_immunizations(nina, patient_id)
    assert [(i.given_on, i.kind) for i in listed] == [
        (TODAY, "given"),
        (date(2020, 2, 2), "refused"),
        (date(2015, 9, 10), "historical"),
    ]
    mark_immunization_entered_in_error(nina, today.id, today.version, "wrong patient")
    assert [i.kind for i in list_immunizations(nina, patient_id)] == ["refused", "historical"]
    struck = list_immunizations(nina, patient_id, include_errors=True)[0]
    assert struck.entered_in_error and struck.error_reason == "wrong patient"


def test_front_desk_is_refused_and_a_nurse_may_record(front_desk_user, nurse, patient_id):
    with pytest.raises(PermissionDenied):
        give(front_desk_user, patient_id)
    with pytest.raises(PermissionDenied):
        record_refusal(front_desk_user, patient_id, "03", TODAY, "Patient decision")
    with pytest.raises(PermissionDenied):
        list_immunizations(front_desk_user, patient_id)
    assert give(nurse, patient_id).id > 0


def test_changes_and_reads_are_audited(nurse, physician, patient_id, db):
    shot = give(nurse, patient_id)
    list_immunizations(physician, patient_id)
    with db.read() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.entity_id, AuditEvent.detail)
            .where(AuditEvent.entity == "immunizations", AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id)
        ).all()
    assert [(r.action, r.username, r.entity_id) for r in rows] == [
        ("create", "nina", shot.id),
        ("view", "doc", None),
    ]
    assert rows[0].detail.startswith("given: Influenza, split virus, quadrivalent, PF (CVX 150)")


def test_the_code_lists_carry_codes_and_labels():
    assert ("LA", "Left arm") in [(c.code, c.label) for c in SITES]
    assert {"IM", "SC", "ID", "PO", "IN"} <= {c.code for c in ROUTES}
    assert all(c.ncit.startswith("C") for c in ROUTES)
    assert "Patient decision" in [c.label for c in REFUSAL_REASONS]
