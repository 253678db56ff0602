"""Messages are queued by the audit event of the change, in its transaction, once per subject."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from emr.interop.hl7.encoding import parse
from emr.interop.outbox import queue_for_event
from emr.models.outbox import OutboxMessage
from emr.models.prescribing import Referral
from emr.security import audit
from emr.services.destinations import DestinationInput, create_destination
from emr.services.encounters import ENCOUNTER_TYPES, start_encounter
from emr.services.patients import PatientInput, get_patient, register_patient, update_patient
from emr.services.vitals import record_vitals
from tests.interop import make_chart


def folder_destination(operator, tmp_path, *types: str, name: str = "Engine", **kw):
    return create_destination(
        operator,
        DestinationInput(
            name=name,
            kind="folder",
            folder=str(tmp_path / name),
            message_types=types,
            receiving_application="ENGINE",
            receiving_facility="HIE",
            **kw,
        ),
    )


def queued(db, **where) -> list[OutboxMessage]:
    with db.read() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        rows = list(s.scalars(query))
        s.expunge_all()  # plain objects after the read's rollback
        return rows


def new_patient(operator, family="Okafor"):
    return register_patient(
        operator,
        PatientInput(family_name=family, given_name="Ada", date_of_birth=date(1950, 1, 1), sex="F"),
        allow_duplicate=True,
    )


def test_registering_a_patient_queues_one_adt_a04(db, operator, tmp_path):
    destination = folder_destination(operator, tmp_path, "ADT^A04")
    patient = new_patient(operator)

    [message] = queued(db)
    assert (message.destination_id, message.message_type) == (destination.id, "ADT^A04")
    assert message.status == "pending" and message.attempts == 0
    assert (message.patient_id, message.entity, message.entity_id) == (
        patient.id,
        "patient",
        patient.id,
    )
    header = parse(message.payload).first("MSH")
    assert header.value(9, 1) == "ADT" and header.value(9, 2) == "A04"
    assert header.value(10) == message.control_id
    assert (header.value(5), header.value(6)) == ("ENGINE", "HIE")
    assert parse(message.payload).first("PID").value(3) == patient.mrn


def test_the_message_rolls_back_with_the_change(db, operator, tmp_path):
    folder_destination(operator, tmp_path, "ADT^A08")
    patient = new_patient(operator)

    with pytest.raises(RuntimeError), operator.write() as s:
        assert queue_for_event(
            s, action="update", entity="patient", entity_id=patient.id, patient_id=patient.id
        )
        s.flush()
        assert s.scalar(select(func.count(OutboxMessage.id))) == 1
        raise RuntimeError("the save fails after the event")
    assert queued(db) == []

    record = get_patient(operator, patient.id)
    update_patient(
        operator,
        patient.id,
        record.version,
        PatientInput(
            family_name="Okafor-Smith", given_name="Ada", date_of_birth=date(1950, 1, 1), sex="F"
        ),
    )
    [message] = queued(db)
    assert message.message_type == "ADT^A08"
    assert "Okafor-Smith" in message.payload


def test_a_vitals_entry_is_one_oru_however_many_values(db, operator, physician, tmp_path):
    folder_destination(operator, tmp_path, "ORU^R01")
    patient = new_patient(operator)
    encounter = start_encounter(
        physician,
        patient.id,
        provider_id=physician.user_id,
        occurred_at=datetime(2026, 11, 20, 9, 0),
        encounter_type=ENCOUNTER_TYPES[0],
        reason="check-up",
    )
    rows = record_vitals(
        physician,
        patient.id,
        datetime(2026, 11, 20, 9, 5),
        {"systolic": (150, "mm[Hg]"), "diastolic": (70, "mm[Hg]"), "weight": (70.5, "kg")},
        encounter_id=encounter.id,
    )
    [message] = queued(db)
    assert message.message_type == "ORU^R01"
    observations = parse(message.payload).all("OBX")
    assert len(observations) == len(rows) == 3

    record_vitals(
        physician, patient.id, datetime(2026, 11, 20, 9, 30), {"heart_rate": (72, "/min")}
    )
    assert len(queued(db)) == 2  # a second entry is a second message


def test_each_destination_gets_its_own_message_and_only_the_types_it_wants(db, operator, tmp_path):
    first = folder_destination(operator, tmp_path, "ADT^A04", "ADT^A28", name="Engine")
    second = folder_destination(operator, tmp_path, "ADT^A28", name="Registry")
    folder_destination(operator, tmp_path, "ORU^R01", name="Lab")
    folder_destination(operator, tmp_path, "ADT^A04", name="Old", active=False)
    new_patient(operator)

    sent = [(m.destination_id, m.message_type) for m in queued(db)]
    assert sorted(sent) == sorted(
        [(first.id, "ADT^A04"), (first.id, "ADT^A28"), (second.id, "ADT^A28")]
    )
    assert len({m.control_id for m in queued(db)}) == 3


def test_reading_sends_nothing(db, operator, tmp_path):
    folder_destination(operator, tmp_path, *("ADT^A04", "ADT^A08"))
    patient = new_patient(operator)
    get_patient(operator, patient.id)
    with operator.write() as s:
        for action in ("view", "search", "login", "print", "delete"):
            audit.record(
                s,
                user_id=None,
                username="operator",
                action=action,
                entity="patient",
                entity_id=patient.id,
                patient_id=patient.id,
            )
    assert [m.message_type for m in queued(db)] == ["ADT^A04"]


def test_several_sign_events_of_one_prescription_are_one_rde(db, operator, physician, tmp_path):
    chart = make_chart(operator, physician)
    folder_destination(operator, tmp_path, "RDE^O11")
    with physician.write() as s:
        for detail in ("signed", "alert overridden (major, x): reason", "alert overridden (y)"):
            audit.record(
                s,
                user_id=physician.user_id,
                username=physician.username,
                action="sign",
                entity="prescriptions",
                entity_id=chart.prescription_id,
                patient_id=chart.patient_id,
                detail=detail,
            )
    [message] = queued(db)
    assert message.message_type == "RDE^O11"
    assert parse(message.payload).first("RXE") is not None


def test_a_referral_goes_out_when_its_status_becomes_sent(db, operator, physician, tmp_path):
    chart = make_chart(operator, physician)  # its referral is sent
    folder_destination(operator, tmp_path, "REF^I12")

    def status_event(status: str) -> None:
        with physician.write() as s:
            s.get(Referral, chart.referral_id).status = status
            s.flush()
            audit.record(
                s,
                user_id=physician.user_id,
                username=physician.username,
                action="update",
                entity="referrals",
                entity_id=chart.referral_id,
                patient_id=chart.patient_id,
                detail=f"status {status}",
            )

    status_event("sent")
    status_event("appointment_made")
    [message] = queued(db)
    assert message.message_type == "REF^I12"
    assert parse(message.payload).first("RF1") is not None


def test_a_message_that_cannot_be_built_is_kept_as_failed_and_the_change_is_saved(
    db, operator, physician, tmp_path
):
    folder_destination(operator, tmp_path, "MDM^T02")
    patient = new_patient(operator)
    encounter = start_encounter(
        physician,
        patient.id,
        provider_id=physician.user_id,
        occurred_at=datetime(2026, 11, 20, 9, 0),
        encounter_type=ENCOUNTER_TYPES[0],
        reason="cough",
    )
    with physician.write() as s:  # a "sign" event for a note that is still a draft
        audit.record(
            s,
            user_id=physician.user_id,
            username=physician.username,
            action="sign",
            entity="note",
            entity_id=encounter.note_id,
            patient_id=patient.id,
        )
    [message] = queued(db)
    assert message.status == "failed"
    assert message.payload == ""
    assert "could not be built" in message.last_error and "signed note" in message.last_error
    with db.read() as s:  # the event (the change) committed
        assert s.scalar(select(func.count()).select_from(audit.AuditEvent)) > 0
