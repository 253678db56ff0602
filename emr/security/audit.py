"""Writing to the audit trail, a SHA-256 hash chain: each event's hash covers its content and
the previous event's hash, so an edited, inserted or removed event breaks the chain."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.interop.outbox import queue_for_event
from emr.models.audit import AuditChainHead, AuditEvent
from emr.models.base import utcnow

GENESIS_HASH = "0" * 64


def event_hash(
    *,
    event_id: int,
    occurred_at: datetime,
    user_id: int | None,
    username: str,
    action: str,
    entity: str,
    entity_id: int | None,
    patient_id: int | None,
    detail: str,
    emergency: bool,
    prev_hash: str,
) -> str:
    fields = [
        str(event_id),
        occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "" if user_id is None else str(user_id),
        username,
        action,
        entity,
        "" if entity_id is None else str(entity_id),
        "" if patient_id is None else str(patient_id),
        detail,
        "1" if emergency else "0",
        prev_hash,
    ]
    # Length-prefixed so that no choice of field contents can make two events hash alike.
    payload = "".join(f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    user_id: int | None,
    username: str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    patient_id: int | None = None,
    detail: str = "",
    emergency: bool = False,
) -> AuditEvent:
    """Append one event in the caller's transaction (so it commits or rolls back with the work)."""
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1, last_event_id=0, last_hash=GENESIS_HASH, event_count=0)
        session.add(head)
    # Microsecond precision is all the database keeps; hash what will be read back.
    occurred_at = utcnow()
    event = AuditEvent(
        occurred_at=occurred_at,
        user_id=user_id,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=detail,
        emergency=emergency,
        prev_hash=head.last_hash,
        hash="",
    )
    session.add(event)
    session.flush()  # assigns the id, which the hash covers
    event.hash = event_hash(
        event_id=event.id,
        occurred_at=occurred_at,
        user_id=user_id,
        username=username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=detail,
        emergency=emergency,
        prev_hash=head.last_hash,
    )
    head.last_event_id = event.id
    head.last_hash = event.hash
    head.event_count += 1
    # The outbound HL7 messages this change calls for, queued in the same transaction.
    queue_for_event(
        session, action=action, entity=entity, entity_id=entity_id, patient_id=patient_id
    )
    return event


@dataclass(frozen=True)
class ChainReport:
    events_checked: int
    problem: str | None  # None when the chain is intact
    event_id: int | None = None  # the first event found wrong

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, *, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order and report the first altered, inserted or removed event."""
    head = session.get(AuditChainHead, 1)
    prev_hash = GENESIS_HASH
    prev_id = 0
    checked = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.id > prev_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev_hash:
                return ChainReport(
                    checked,
                    f"event {e.id} does not follow event {prev_id}: an event was removed "
                    "or inserted before it",
                    e.id,
                )
            expected = event_hash(
                event_id=e.id,
                occurred_at=e.occurred_at,
                user_id=e.user_id,
                username=e.username,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                patient_id=e.patient_id,
                detail=e.detail,
                emergency=e.emergency,
                prev_hash=e.prev_hash,
            )
            if e.hash != expected:
                return ChainReport(checked, f"event {e.id} was altered after it was written", e.id)
            prev_hash, prev_id = e.hash, e.id
            checked += 1
        session.expunge_all()
    head_id = head.last_event_id if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    head_count = head.event_count if head else 0
    if (head_id, head_hash) != (prev_id, prev_hash) or head_count != checked:
        return ChainReport(
            checked,
            f"the trail ends at event {prev_id} ({checked} events) but {head_count} events were "
            f"written, the last being event {head_id}: events were removed from the end",
            prev_id or None,
        )
    return ChainReport(checked, None)
