"""Outbound interfaces: where messages go (a folder or an MLLP peer) and the durable outbox of
messages, queued in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class Destination(Tracked, Base):
    __tablename__ = "destinations"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # folder, mllp
    folder: Mapped[str] = mapped_column(String(500), default="")
    host: Mapped[str] = mapped_column(String(200), default="")
    port: Mapped[int | None]
    use_tls: Mapped[bool] = mapped_column(default=False)
    message_types: Mapped[str] = mapped_column(String(300), default="")  # "ADT^A04,ORU^R01"
    receiving_application: Mapped[str] = mapped_column(String(60), default="")
    receiving_facility: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(default=True)


class OutboxMessage(Tracked, Base):
    __tablename__ = "outbox_messages"

    destination_id: Mapped[int] = mapped_column(ForeignKey("destinations.id"))
    message_type: Mapped[str] = mapped_column(String(10))  # ADT^A08, ORU^R01 …
    control_id: Mapped[str] = mapped_column(String(40), unique=True)  # MSH-10
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    entity: Mapped[str] = mapped_column(String(30), default="")
    entity_id: Mapped[int | None]
    payload: Mapped[str] = mapped_column(Text)  # the ER7 message as built when queued
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # pending, sent, failed (the peer refused: AE/AR), cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    ack_code: Mapped[str] = mapped_column(String(2), default="")
    ack_text: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_destination_status", "destination_id", "status", "id"),)
