"""Emergency ("break the glass") access to a chart a user's role does not open."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class EmergencyAccess(Tracked, Base):
    __tablename__ = "emergency_access"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_emergency_access_user_patient", "user_id", "patient_id"),)
