"""Prescriptions and referrals, and the drug products a practice may prescribe (the starter
formulary in resources/ plus what an RxNorm import adds)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked
from emr.models.clinical_base import Clinical


class DrugProduct(Tracked, Base):
    """A prescribable product: from RxNorm (RXNCONSO.RRF) or entered by the practice."""

    __tablename__ = "drug_products"

    rxcui: Mapped[str] = mapped_column(String(12), default="", index=True)
    name: Mapped[str] = mapped_column(String(300))  # "lisinopril 10 MG Oral Tablet"
    term_type: Mapped[str] = mapped_column(String(10), default="")  # RxNorm TTY: SCD, SBD …
    generic_name: Mapped[str] = mapped_column(String(200), default="")
    brand_name: Mapped[str] = mapped_column(String(200), default="")
    strength: Mapped[str] = mapped_column(String(100), default="")
    dose_form: Mapped[str] = mapped_column(String(100), default="")
    route: Mapped[str] = mapped_column(String(40), default="")
    drug_classes: Mapped[str] = mapped_column(String(300), default="")  # comma separated
    schedule: Mapped[str] = mapped_column(String(3), default="")  # DEA: "", II, III, IV, V
    search_text: Mapped[str] = mapped_column(String(600), default="", index=True)  # folded
    source: Mapped[str] = mapped_column(String(10), default="rxnorm")  # rxnorm, practice
    active: Mapped[bool] = mapped_column(default=True)


class Prescription(Clinical, Tracked, Base):
    __tablename__ = "prescriptions"

    prescriber_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft signed discontinued
    drug_name: Mapped[str] = mapped_column(String(300))  # generic, as printed
    brand_name: Mapped[str] = mapped_column(String(200), default="")
    rxnorm: Mapped[str] = mapped_column(String(12), default="")
    strength: Mapped[str] = mapped_column(String(100), default="")
    dose_form: Mapped[str] = mapped_column(String(100), default="")
    route: Mapped[str] = mapped_column(String(40), default="")
    drug_classes: Mapped[str] = mapped_column(String(300), default="")
    schedule: Mapped[str] = mapped_column(String(3), default="")
    dose_amount: Mapped[str] = mapped_column(String(20), default="")
    dose_unit: Mapped[str] = mapped_column(String(30), default="")
    frequency: Mapped[str] = mapped_column(String(60), default="")
    duration_days: Mapped[int | None]
    as_needed: Mapped[bool] = mapped_column(default=False)
    as_needed_reason: Mapped[str] = mapped_column(String(200), default="")
    sig_text: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[str] = mapped_column(String(20), default="")
    quantity_unit: Mapped[str] = mapped_column(String(30), default="")
    refills: Mapped[int] = mapped_column(default=0)
    dispense_as_written: Mapped[bool] = mapped_column(default=False)
    pharmacy_note: Mapped[str] = mapped_column(Text, default="")
    diagnosis_code: Mapped[str] = mapped_column(String(8), default="")  # ICD-10-CM
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))
    alerts_overridden: Mapped[str] = mapped_column(Text, default="")  # JSON: alert + reason
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    discontinued_at: Mapped[datetime | None]
    discontinue_reason: Mapped[str] = mapped_column(String(200), default="")
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("prescriptions.id"))
    medication_id: Mapped[int | None] = mapped_column(ForeignKey("medications.id"))
    times_printed: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_prescriptions_patient_status", "patient_id", "status"),)


class ReferralTemplate(Tracked, Base):
    __tablename__ = "referral_templates"

    name: Mapped[str] = mapped_column(String(100))
    specialty: Mapped[str] = mapped_column(String(100), default="")  # "" = any
    body: Mapped[str] = mapped_column(Text)  # with merge fields like {patient_name}
    active: Mapped[bool] = mapped_column(default=True)


class Referral(Clinical, Tracked, Base):
    __tablename__ = "referrals"

    referring_provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    to_name: Mapped[str] = mapped_column(String(200))  # receiving provider
    to_specialty: Mapped[str] = mapped_column(String(100), default="")
    to_organization: Mapped[str] = mapped_column(String(200), default="")
    to_address: Mapped[str] = mapped_column(Text, default="")
    to_phone: Mapped[str] = mapped_column(String(40), default="")
    to_fax: Mapped[str] = mapped_column(String(40), default="")
    to_npi: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10), default="routine")  # routine urgent stat
    diagnosis_codes: Mapped[str] = mapped_column(String(100), default="")  # comma separated
    template_id: Mapped[int | None] = mapped_column(ForeignKey("referral_templates.id"))
    letter_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # draft, sent, appointment_made, report_received, cancelled
    sent_on: Mapped[date | None]
    appointment_on: Mapped[date | None]
    report_received_on: Mapped[date | None]
    status_note: Mapped[str] = mapped_column(Text, default="")
