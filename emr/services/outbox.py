"""The Outbox (administrators): the queued, sent, failed and cancelled HL7 messages, one
message's text, re-sending a failed one, cancelling one, and delivering the queue now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emr.errors import ConflictError, NotFound, ValidationError
from emr.interop.outbox import BUILD_FAILED, build_for
from emr.interop.sender import DeliveryReport, deliver_pending
from emr.localtime import to_local
from emr.models.outbox import Destination, OutboxMessage
from emr.models.patients import Patient
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

ENTITY = OutboxMessage.__tablename__
STATUSES = {
    "pending": "Pending",
    "sent": "Sent",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
MAX_REASON = 500


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    version: int
    destination_id: int
    destination: str
    message_type: str
    control_id: str
    patient_id: int | None
    mrn: str
    status: str
    attempts: int
    queued_at: datetime  # local
    next_attempt_at: datetime | None  # local
    sent_at: datetime | None  # local
    last_error: str
    ack_code: str
    ack_text: str

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def problem(self) -> str:
        return self.last_error or (self.ack_text if self.ack_code not in ("", "AA") else "")


@dataclass(frozen=True)
class OutboxMessageText:
    record: OutboxRecord
    segments: tuple[str, ...]  # the ER7 message, one segment per item

    @property
    def text(self) -> str:
        return "\n".join(self.segments)


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else to_local(moment)


def _record(m: OutboxMessage, destination: str, mrn: str | None) -> OutboxRecord:
    return OutboxRecord(
        id=m.id,
        version=m.version,
        destination_id=m.destination_id,
        destination=destination,
        message_type=m.message_type,
        control_id=m.control_id,
        patient_id=m.patient_id,
        mrn=mrn or "",
        status=m.status,
        attempts=m.attempts,
        queued_at=to_local(m.created_at),
        next_attempt_at=_local(m.next_attempt_at) if m.status == "pending" else None,
        sent_at=_local(m.sent_at),
        last_error=m.last_error,
        ack_code=m.ack_code,
        ack_text=m.ack_text,
    )


def _query():
    return (
        select(OutboxMessage, Destination.name, Patient.mrn)
        .join(Destination, Destination.id == OutboxMessage.destination_id)
        .outerjoin(Patient, Patient.id == OutboxMessage.patient_id)
    )


def list_messages(
    actor: Actor,
    *,
    status: str | None = None,
    destination_id: int | None = None,
    limit: int = 500,
) -> list[OutboxRecord]:
    """The newest messages first, of one status and destination when given."""
    actor.require(Permission.OUTBOX_MANAGE)
    if status is not None and status not in STATUSES:
        raise ValidationError({"status": f"The status is one of {', '.join(STATUSES)}."})
    query = _query()
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if destination_id is not None:
        query = query.where(OutboxMessage.destination_id == destination_id)
    with actor.read() as s:
        rows = s.execute(query.order_by(OutboxMessage.id.desc()).limit(limit))
        return [_record(m, name, mrn) for m, name, mrn in rows]


def status_counts(actor: Actor, *, destination_id: int | None = None) -> dict[str, int]:
    actor.require(Permission.OUTBOX_MANAGE)
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if destination_id is not None:
        query = query.where(OutboxMessage.destination_id == destination_id)
    with actor.read() as s:
        found = dict(s.execute(query).all())
    return {status: found.get(status, 0) for status in STATUSES}


def _load(s: Session, message_id: int) -> tuple[OutboxMessage, str, str | None]:
    row = s.execute(_query().where(OutboxMessage.id == message_id)).first()
    if row is None:
        raise NotFound(f"There is no outbox message with id {message_id}.")
    return row[0], row[1], row[2]


def _check_version(message: OutboxMessage, expected_version: int) -> None:
    if message.version != expected_version:
        raise ConflictError(
            "This message changed since the list was read (it may have been sent just now). "
            "Nothing was done: look at it again."
        )


def _audit(s: Session, actor: Actor, action: str, m: OutboxMessage, detail: str) -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=ENTITY,
        entity_id=m.id,
        patient_id=m.patient_id,
        detail=f"{m.message_type} {m.control_id}: {detail}"[:500],
    )


def view_message(actor: Actor, message_id: int) -> OutboxMessageText:
    """One message as sent (or to be sent), a segment per line; the reading is audited (it
    holds patient data)."""
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.write() as s:
        message, name, mrn = _load(s, message_id)
        _audit(s, actor, "view", message, "viewed")
        segments = tuple(line for line in message.payload.replace("\n", "\r").split("\r") if line)
        return OutboxMessageText(_record(message, name, mrn), segments)


def resend_message(actor: Actor, message_id: int, expected_version: int) -> OutboxRecord:
    """A failed message goes back in the queue, after the messages queued before it. It goes as
    it was (same text, same control id); one that could not be built is built again now, from
    the record as it is."""
    actor.require(Permission.OUTBOX_MANAGE)
    with actor.write() as s:
        message, name, mrn = _load(s, message_id)
        _check_version(message, expected_version)
        if message.status != "failed":
            raise ValidationError(
                {"": f"Only a failed message is re-sent; this one is {message.status}."}
            )
        detail = "re-sent"
        if not message.payload:
            if message.entity_id is None:
                raise ValidationError({"": "This message has no record to be built from."})
            try:
                built = build_for(
                    s,
                    message.destination_id,
                    message.message_type,
                    message.entity,
                    message.entity_id,
                    control_id=message.control_id,
                )
            except (ValidationError, NotFound) as exc:
                raise ValidationError({"": f"{BUILD_FAILED}{exc}"}) from None
            message.payload = built.er7
            message.patient_id = built.patient_id
            detail = "built again and re-sent"
        message.status = "pending"
        message.next_attempt_at = None
        message.last_error = ""
        message.ack_code = ""
        message.ack_text = ""
        s.flush()
        _audit(s, actor, "update", message, detail)
        return _record(message, name, mrn)


def cancel_message(
    actor: Actor, message_id: int, expected_version: int, reason: str
) -> OutboxRecord:
    """A pending (or failed) message is not to be sent; the reason is kept with it."""
    actor.require(Permission.OUTBOX_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why this message is not to be sent."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"At most {MAX_REASON} characters."})
    with actor.write() as s:
        message, name, mrn = _load(s, message_id)
        _check_version(message, expected_version)
        if message.status not in ("pending", "failed"):
            raise ValidationError(
                {
                    "": f"Only a pending or failed message is cancelled; this one is {message.status}."
                }
            )
        message.status = "cancelled"
        message.next_attempt_at = None
        message.last_error = f"Cancelled by {actor.username}: {reason}"
        s.flush()
        _audit(s, actor, "update", message, f"cancelled: {reason}")
        return _record(message, name, mrn)


def send_now(actor: Actor, *, destination_id: int | None = None, **options) -> DeliveryReport:
    """Deliver what is due now (every active destination, or this one), and say how it went."""
    actor.require(Permission.OUTBOX_MANAGE)
    return deliver_pending(actor.db, destination_id=destination_id, **options)
