"""The audit trail: an append-only hash chain of every look at and change to patient data.

Not `Tracked`: an event is never updated, so it needs no version or updated_* columns.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))  # as it was then; "operator" for CLI ops
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    emergency: Mapped[bool] = mapped_column(default=False)  # done under "break the glass"
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the newest event's id and hash. Locking it serialises appends on PostgreSQL, and
    it lets `audit verify` notice events removed from the end of the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(default=0)
