"""Observations: vital signs and laboratory results, each with its LOINC code and UCUM unit,
stored in the canonical unit. Lab results may belong to a panel (one report)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked
from emr.models.clinical_base import Clinical


class LabPanel(Clinical, Tracked, Base):
    __tablename__ = "lab_panels"

    name: Mapped[str] = mapped_column(String(200))
    loinc_code: Mapped[str] = mapped_column(String(10), default="")
    collected_at: Mapped[datetime]
    performing_lab: Mapped[str] = mapped_column(String(200), default="")
    ordered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual, import, phr
    notes: Mapped[str] = mapped_column(Text, default="")


class Observation(Clinical, Tracked, Base):
    __tablename__ = "observations"

    category: Mapped[str] = mapped_column(String(12))  # vital-signs, laboratory
    loinc_code: Mapped[str] = mapped_column(String(10), default="")
    name: Mapped[str] = mapped_column(String(200))
    value_num: Mapped[float | None]
    value_text: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(30), default="")  # UCUM
    ref_low: Mapped[float | None]
    ref_high: Mapped[float | None]
    ref_text: Mapped[str] = mapped_column(String(60), default="")
    flag: Mapped[str] = mapped_column(String(2), default="")  # HL7 0078: L H LL HH A ""
    observed_at: Mapped[datetime]
    panel_id: Mapped[int | None] = mapped_column(ForeignKey("lab_panels.id"), index=True)
    performing_lab: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(10), default="manual")  # manual, import, phr
    source_name: Mapped[str] = mapped_column(String(200), default="")  # the PHR app or device
    group_id: Mapped[str] = mapped_column(String(36), default="")  # one vitals entry together

    __table_args__ = (
        Index("ix_observations_patient_code_when", "patient_id", "loinc_code", "observed_at"),
        Index("ix_observations_patient_when", "patient_id", "observed_at"),
    )
