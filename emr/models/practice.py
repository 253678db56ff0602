"""The practice's own settings, edited by an administrator: one row (id 1)."""

from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class PracticeProfile(Tracked, Base):
    __tablename__ = "practice_profile"

    name: Mapped[str] = mapped_column(String(200), default="")
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(50), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    fax: Mapped[str] = mapped_column(String(40), default="")
    npi: Mapped[str] = mapped_column(String(10), default="")  # the practice's (type 2) NPI
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # None: the machine's setting (EMR_IDLE_LOCK_MINUTES, EMR_BACKUP_DIR) or its default.
    idle_lock_minutes: Mapped[int | None]
    backup_dir: Mapped[str | None] = mapped_column(String(500))
    slot_minutes: Mapped[int] = mapped_column(default=15)  # the schedule's grid
    hl7_application: Mapped[str] = mapped_column(String(60), default="SMALLPRACTICE-EMR")  # MSH-3
    hl7_facility: Mapped[str] = mapped_column(String(60), default="")  # MSH-4 ("" = the NPI)
