"""What every clinical record shares: the patient it belongs to, the encounter it was made in
(if any), and the soft delete of clinical data (entered in error, with a reason)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class Clinical:
    @declared_attr
    def patient_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("patients.id"), index=True)

    @declared_attr
    def encounter_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("encounters.id"), index=True)

    entered_in_error: Mapped[bool] = mapped_column(default=False)
    error_reason: Mapped[str] = mapped_column(Text, default="")
