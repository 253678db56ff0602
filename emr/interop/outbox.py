"""Queueing outbound HL7 messages in the same transaction as the change that causes them.

`emr.security.audit.record` calls `queue_for_event` for every audit event, so every service that
saves something a destination wants (registering a patient, recording vitals, signing a note …)
queues its message without knowing about interfaces: the message commits or rolls back with the
change. Delivery is emr.interop.sender's work, later and outside the user's transaction.

- Events that send nothing (view, search, login, delete …) return at the first test.
- The active destinations are read once per transaction (kept in `session.info`).
- One message per (destination, message type, subject) per transaction: vitals write one audit
  event per value and a signed prescription one per overridden alert, but the subject (the
  vitals entry, the lab panel, the prescription) goes out once.
- A message that cannot be built does not undo the clinical change: a 'failed' row with the
  error is queued instead, so the administrator sees it in the Outbox (and can re-send it, which
  builds it again, once the data is fixed). Database errors still propagate: then the
  transaction itself is broken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from emr.models.outbox import Destination, OutboxMessage

log = logging.getLogger(__name__)

# The only audit actions that can call for a message (emr.interop.hl7.build._EVENTS, and a
# referral's "update" to status sent).
SENDING_ACTIONS = frozenset({"create", "update", "sign", "send", "sent"})
_STATE = "emr_outbox_queue"
BUILD_FAILED = "The message could not be built: "


@dataclass(frozen=True)
class _Wanting:
    """An active destination, as the queue needs it."""

    id: int
    message_types: frozenset[str]
    receiving_application: str
    receiving_facility: str


@dataclass
class _TransactionQueue:
    transaction: object
    destinations: list[_Wanting]
    sender: tuple[str, str] | None = None
    queued: set[tuple[int, str, tuple]] = field(default_factory=set)


def parse_message_types(text: str) -> tuple[str, ...]:
    """ "ADT^A04,ORU^R01" -> ("ADT^A04", "ORU^R01")."""
    return tuple(t.strip().upper() for t in text.split(",") if t.strip())


def queue_for_event(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    patient_id: int | None,
) -> int:
    """Queue the messages this audit event calls for; the number of rows queued."""
    if action not in SENDING_ACTIONS or entity_id is None:
        return 0
    from emr.interop.hl7.build import entity_name, message_types_for

    kind = entity_name(entity)
    types = message_types_for(action, entity)
    if not types and action == "update" and kind == "referral":
        types = _referral_sent(session, entity_id)
    if not types:
        return 0
    queue = _queue_of(session)
    wanted = [(d, t) for t in types for d in queue.destinations if t in d.message_types]
    if not wanted:
        return 0
    subject = _subject(session, kind, entity_id)
    count = 0
    for destination, message_type in wanted:
        key = (destination.id, message_type, subject)
        if key in queue.queued:
            continue
        queue.queued.add(key)
        session.add(
            _message(session, queue, destination, message_type, kind, entity_id, patient_id)
        )
        count += 1
    return count


def build_for(
    session: Session,
    destination_id: int,
    message_type: str,
    entity: str,
    entity_id: int,
    *,
    control_id: str | None = None,
):
    """Build a message as queued for this destination (receiver names from the destination)."""
    from emr.interop.hl7.build import build_message, sender_of

    destination = session.get(Destination, destination_id)
    application, facility = sender_of(session)
    return build_message(
        session,
        message_type,
        entity,
        entity_id,
        sending_application=application,
        sending_facility=facility,
        receiving_application=destination.receiving_application if destination else "",
        receiving_facility=destination.receiving_facility if destination else "",
        control_id=control_id,
    )


def _queue_of(session: Session) -> _TransactionQueue:
    transaction = session.get_transaction()
    queue = session.info.get(_STATE)
    if queue is None or queue.transaction is not transaction:
        rows = session.scalars(
            select(Destination).where(Destination.active.is_(True)).order_by(Destination.id)
        )
        queue = _TransactionQueue(
            transaction,
            [
                _Wanting(
                    d.id,
                    frozenset(parse_message_types(d.message_types)),
                    d.receiving_application,
                    d.receiving_facility,
                )
                for d in rows
            ],
        )
        session.info[_STATE] = queue
    return queue


def _referral_sent(session: Session, referral_id: int) -> list[str]:
    """The referral service records a status change as "update": a REF^I12 goes out when the
    referral is now sent (only a draft becomes sent, and a sent one is never edited)."""
    from emr.interop.hl7.build import message_types_for
    from emr.models.prescribing import Referral

    referral = session.get(Referral, referral_id)
    if referral is None or referral.status != "sent":
        return []
    return message_types_for("sent", "referrals")


def _subject(session: Session, kind: str, entity_id: int) -> tuple:
    """What the message covers: a vitals entry or a lab panel for any of its observations."""
    if kind == "observations":
        from emr.models.observations import Observation

        obs = session.get(Observation, entity_id)
        if obs is not None and obs.panel_id is not None:
            return ("lab_panels", obs.panel_id)
        if obs is not None and obs.group_id:
            return ("vitals", obs.group_id)
    return (kind, entity_id)


def _message(
    session: Session,
    queue: _TransactionQueue,
    destination: _Wanting,
    message_type: str,
    kind: str,
    entity_id: int,
    patient_id: int | None,
) -> OutboxMessage:
    from emr.interop.hl7.build import build_message, sender_of
    from emr.interop.hl7.encoding import new_control_id

    if queue.sender is None:
        queue.sender = sender_of(session)
    application, facility = queue.sender
    try:
        built = build_message(
            session,
            message_type,
            kind,
            entity_id,
            sending_application=application,
            sending_facility=facility,
            receiving_application=destination.receiving_application,
            receiving_facility=destination.receiving_facility,
        )
    except SQLAlchemyError:
        raise
    except Exception as exc:  # the change is kept; the admin sees why its message is not
        log.warning(
            "Outbox: %s for %s %s (destination %s) could not be built: %s",
            message_type,
            kind,
            entity_id,
            destination.id,
            type(exc).__name__,
        )
        return OutboxMessage(
            destination_id=destination.id,
            message_type=message_type,
            control_id=new_control_id(),
            patient_id=patient_id,
            entity=kind,
            entity_id=entity_id,
            payload="",
            status="failed",
            last_error=BUILD_FAILED + str(exc),
        )
    return OutboxMessage(
        destination_id=destination.id,
        message_type=message_type,
        control_id=built.control_id,
        patient_id=built.patient_id,
        entity=kind,
        entity_id=entity_id,
        payload=built.er7,
        status="pending",
    )
