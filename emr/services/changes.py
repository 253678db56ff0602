"""Change markers: a cheap answer to "did another workstation change this since I last looked?"

A workstation showing the schedule or the outbox asks for the area's marker every few seconds
and reloads its view only when the marker differs from the one it saw at its last load. A marker
is an opaque string; only equality means anything.

- schedule: the id of the newest audit event that changed an appointment, the appointment
  types, a provider's working hours or a patient (names and phones show on the schedule).
  Every such change writes an audit event in its own transaction, and writers commit one at a
  time, so a newer change always has a higher event id. The newest events are looked at first,
  so the query reads a handful of rows in a practice that uses its schedule.
- outbox: the newest message id, and for the pending and failed messages (the only ones that
  still change) how many there are and the sum of their versions, so that a retry, a failure,
  a re-send or a cancel shows too. Read through the (destination, status, id) index.

Neither reads patient data nor writes an audit event.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emr.errors import ValidationError
from emr.models.audit import AuditChainHead, AuditEvent
from emr.models.outbox import Destination, OutboxMessage
from emr.security.permissions import Permission
from emr.services.context import Actor

Area = Literal["schedule", "outbox"]

# Audit entities whose changes show on the schedule (emr.services.scheduling, schedule_setup,
# patients); "view" and "search" events change nothing.
SCHEDULE_ENTITIES = ("appointment", "appointment_type", "working_hours", "patient")
_LOOKS_ONLY = ("view", "search", "print", "export")
# How many of the newest audit events are looked at before the whole trail is.
_RECENT_EVENTS = 2000
_STILL_CHANGING = ("pending", "failed")


def change_marker(actor: Actor, area: Area) -> str:
    """The area's marker now; differs from an earlier one when something changed since."""
    if area == "schedule":
        actor.require(Permission.SCHEDULE_READ)
        with actor.read() as s:
            return f"schedule:{_newest_schedule_event(s)}"
    if area == "outbox":
        actor.require(Permission.OUTBOX_MANAGE)
        with actor.read() as s:
            return "outbox:" + _outbox_state(s)
    raise ValidationError({"area": f"There is no change marker for {area!r}."})


def _newest_schedule_event(s: Session) -> int:
    changes = select(func.max(AuditEvent.id)).where(
        AuditEvent.entity.in_(SCHEDULE_ENTITIES), AuditEvent.action.not_in(_LOOKS_ONLY)
    )
    last = s.execute(select(AuditChainHead.last_event_id).where(AuditChainHead.id == 1)).scalar()
    if last:
        # The primary key bounds the recent look; the whole trail only when nothing is recent.
        recent = s.execute(changes.where(AuditEvent.id > last - _RECENT_EVENTS)).scalar()
        if recent is not None:
            return recent
    return s.execute(changes).scalar() or 0


def _outbox_state(s: Session) -> str:
    newest = s.execute(select(func.max(OutboxMessage.id))).scalar() or 0
    rows = s.execute(
        select(
            OutboxMessage.status,
            func.count(),
            func.coalesce(func.sum(OutboxMessage.version), 0),
            func.max(OutboxMessage.id),
        )
        # Naming the destinations lets the (destination, status, id) index find the rows.
        .where(
            OutboxMessage.destination_id.in_(select(Destination.id)),
            OutboxMessage.status.in_(_STILL_CHANGING),
        )
        .group_by(OutboxMessage.status)
        .order_by(OutboxMessage.status)
    ).all()
    return f"{newest};" + ";".join(f"{st}={n}/{v}/{m}" for st, n, v, m in rows)
