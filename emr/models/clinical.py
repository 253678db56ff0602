"""The patient's lists: problems, allergies, medications, immunizations, history."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked
from emr.models.clinical_base import Clinical


class Problem(Clinical, Tracked, Base):
    __tablename__ = "problems"

    icd10_code: Mapped[str] = mapped_column(String(8))  # with its dot: E11.9
    description: Mapped[str] = mapped_column(String(300))
    onset: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="active")  # active resolved inactive
    resolved_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")


class AllergyStatus(Tracked, Base):
    """Whether allergies were asked about: 'no known allergies' is recorded, never assumed."""

    __tablename__ = "allergy_status"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    no_known_allergies: Mapped[bool] = mapped_column(default=False)


class Allergy(Clinical, Tracked, Base):
    __tablename__ = "allergies"

    substance: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(15))  # drug drug_class food environmental
    code: Mapped[str] = mapped_column(String(20), default="")  # RxNorm etc. when known
    code_system: Mapped[str] = mapped_column(String(20), default="")
    reaction: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(10), default="")  # mild moderate severe
    status: Mapped[str] = mapped_column(String(10), default="active")  # active inactive resolved
    onset: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")


class Medication(Clinical, Tracked, Base):
    __tablename__ = "medications"

    name: Mapped[str] = mapped_column(String(200))
    rxnorm: Mapped[str] = mapped_column(String(20), default="")
    dose: Mapped[str] = mapped_column(String(60), default="")
    route: Mapped[str] = mapped_column(String(30), default="")
    frequency: Mapped[str] = mapped_column(String(60), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(200), default="")  # what it is for
    started_on: Mapped[date | None]
    stopped_on: Mapped[date | None]
    stop_reason: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(12), default="elsewhere")  # here, elsewhere
    prescription_id: Mapped[int | None]  # the prescription that started it (prescribing issue)


class Immunization(Clinical, Tracked, Base):
    __tablename__ = "immunizations"

    cvx_code: Mapped[str] = mapped_column(String(4))
    vaccine: Mapped[str] = mapped_column(String(200))
    given_on: Mapped[date]
    lot_number: Mapped[str] = mapped_column(String(40), default="")
    expires_on: Mapped[date | None]
    manufacturer: Mapped[str] = mapped_column(String(100), default="")
    mvx_code: Mapped[str] = mapped_column(String(5), default="")  # CDC MVX, for HL7 VXU
    site: Mapped[str] = mapped_column(String(40), default="")
    route: Mapped[str] = mapped_column(String(40), default="")
    dose: Mapped[str] = mapped_column(String(30), default="")
    administered_by: Mapped[str] = mapped_column(String(200), default="")
    historical: Mapped[bool] = mapped_column(default=False)  # recorded from another source
    source: Mapped[str] = mapped_column(String(200), default="")
    refused: Mapped[bool] = mapped_column(default=False)
    refusal_reason: Mapped[str] = mapped_column(String(200), default="")


class HistoryEntry(Clinical, Tracked, Base):
    """Past medical, surgical, family and social history."""

    __tablename__ = "history_entries"

    kind: Mapped[str] = mapped_column(String(10))  # medical surgical family social
    description: Mapped[str] = mapped_column(String(300))  # condition, operation, or the value
    category: Mapped[str] = mapped_column(String(20), default="")  # social: tobacco alcohol …
    relative: Mapped[str] = mapped_column(String(40), default="")  # family: mother, brother …
    icd10_code: Mapped[str] = mapped_column(String(8), default="")
    when_text: Mapped[str] = mapped_column(String(40), default="")  # "2015", "childhood"
    notes: Mapped[str] = mapped_column(Text, default="")
