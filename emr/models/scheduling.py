"""Scheduling: providers' working hours, appointment types, appointments and their series.

Appointment times are stored in UTC (`starts_at`, `ends_at`); working hours are wall-clock
times of the practice's own time zone, as the front desk thinks of them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class WorkingHours(Tracked, Base):
    """One stretch of a provider's working day (a day may have several: 8–12 and 13–17)."""

    __tablename__ = "working_hours"

    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    weekday: Mapped[int]  # Monday 0 … Sunday 6
    starts: Mapped[time]
    ends: Mapped[time]


class AppointmentType(Tracked, Base):
    """A kind of visit with its usual length and colour; for one provider or (None) for all."""

    __tablename__ = "appointment_types"

    name: Mapped[str] = mapped_column(String(60))
    default_minutes: Mapped[int]
    colour: Mapped[str] = mapped_column(String(7))  # "#rrggbb"
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(default=True)


class AppointmentSeries(Tracked, Base):
    """The rule a recurring appointment was booked with; its occurrences are Appointment rows."""

    __tablename__ = "appointment_series"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    every_weeks: Mapped[int]
    weekdays: Mapped[str] = mapped_column(String(13))  # "0,2,4": Monday, Wednesday, Friday
    first_date: Mapped[date]
    until_date: Mapped[date | None]
    occurrences: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")


class Appointment(Tracked, Base):
    __tablename__ = "appointments"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="booked")
    reason: Mapped[str] = mapped_column(String(200), default="")  # reason for the visit
    notes: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")  # double booking, hours
    arrived_at: Mapped[datetime | None]
    roomed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_appointments_provider_start", "provider_id", "starts_at"),
        Index("ix_appointments_patient_start", "patient_id", "starts_at"),
        Index("ix_appointments_start", "starts_at"),
    )
