"""Encounters and their SOAP notes: drafts, signatures, addenda; note templates and quick
phrases; the patient's requests to amend their record."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class Encounter(Tracked, Base):
    __tablename__ = "encounters"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)
    occurred_at: Mapped[datetime]
    encounter_type: Mapped[str] = mapped_column(String(60))  # office visit, telehealth …
    reason: Mapped[str] = mapped_column(String(200), default="")
    entered_in_error: Mapped[bool] = mapped_column(default=False)
    error_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_encounters_patient_when", "patient_id", "occurred_at"),)


class Note(Tracked, Base):
    """The SOAP note of an encounter. While a draft it is saved (and autosaved) in place; once
    signed its text and `signed_hash` never change: corrections are Addendum rows."""

    __tablename__ = "notes"

    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft, signed
    template_id: Mapped[int | None] = mapped_column(ForeignKey("note_templates.id"))
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    signed_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the signed text


class Addendum(Tracked, Base):
    """A correction or addition to a signed note, signed by its author when made."""

    __tablename__ = "addenda"

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime]
    signed_hash: Mapped[str] = mapped_column(String(64))
    amendment_request_id: Mapped[int | None] = mapped_column(ForeignKey("amendment_requests.id"))


class NoteTemplate(Tracked, Base):
    __tablename__ = "note_templates"

    name: Mapped[str] = mapped_column(String(100))
    visit_type: Mapped[str] = mapped_column(String(60), default="")  # "" = any visit
    subjective: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)


class QuickPhrase(Tracked, Base):
    """Typed as its abbreviation (".nad") and expanded into its text in a note."""

    __tablename__ = "quick_phrases"

    abbreviation: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: everyone's
    active: Mapped[bool] = mapped_column(default=True)


class AmendmentRequest(Tracked, Base):
    """A patient's request to amend their record (HIPAA right of amendment) and its outcome."""

    __tablename__ = "amendment_requests"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    requested_on: Mapped[date]
    what: Mapped[str] = mapped_column(Text)  # the part of the record concerned
    why: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending accepted denied
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    correction: Mapped[str] = mapped_column(String(20), default="")  # addendum, entered_in_error
    linked_entity: Mapped[str] = mapped_column(String(30), default="")  # what was corrected
    linked_id: Mapped[int | None]
    disagreement: Mapped[str] = mapped_column(Text, default="")  # the patient's statement
    disagreement_received_on: Mapped[date | None]
