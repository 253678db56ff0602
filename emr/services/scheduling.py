"""Appointments: book (once or as a series), move, edit, check in, cancel, and read the
schedule by day, week or patient.

Times in and out are local wall-clock datetimes (naive); the database keeps UTC. A booking
that double-books the provider or falls outside their working hours raises
BookingNeedsOverride unless an override reason is given; the reason is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from emr.errors import BookingNeedsOverride, ConflictError, NotFound, ValidationError
from emr.localtime import day_bounds_utc, now_local, to_local, to_utc
from emr.models.base import utcnow
from emr.models.patients import Patient
from emr.models.scheduling import Appointment, AppointmentSeries, AppointmentType
from emr.models.users import User
from emr.schedule_rules import (
    FREE_STATUSES,
    MAX_APPOINTMENT_MINUTES,
    STATUSES,
    UPCOMING_STATUSES,
    next_free_slot,
    recurrence_dates,
    within_hours,
)
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.schedule_setup import hours_of, load_provider

# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentInput:
    """What the front desk fills in to book or edit an appointment."""

    patient_id: int
    provider_id: int
    type_id: int
    starts: datetime  # local wall-clock time
    minutes: int
    reason: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Recurrence:
    """Every `every_weeks` weeks on `weekdays` (Monday 0), until a date or for a count."""

    weekdays: tuple[int, ...]
    every_weeks: int = 1
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True)
class AppointmentRecord:
    id: int
    version: int
    patient_id: int
    patient_name: str
    patient_mrn: str
    patient_dob: date
    patient_phone: str
    provider_id: int
    provider_name: str
    type_id: int
    type_name: str
    colour: str
    starts: datetime  # local
    minutes: int
    status: str
    reason: str
    notes: str
    series_id: int | None
    override_reason: str
    arrived_at: datetime | None  # local
    cancel_reason: str

    @property
    def ends(self) -> datetime:
        return self.starts + timedelta(minutes=self.minutes)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def holds_slot(self) -> bool:
        return self.status not in FREE_STATUSES


def _columns():
    return (
        Appointment,
        Patient.family_name,
        Patient.given_name,
        Patient.mrn,
        Patient.date_of_birth,
        Patient.phone_mobile,
        Patient.phone_home,
        Patient.phone_work,
        User.full_name,
        AppointmentType.name,
        AppointmentType.colour,
    )


def _joined() -> Select:
    return (
        select(*_columns())
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(User, User.id == Appointment.provider_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
    )


def _record(row) -> AppointmentRecord:
    a, family, given, mrn, dob, mobile, home, work, provider, type_name, colour = row
    starts = to_local(a.starts_at)
    return AppointmentRecord(
        id=a.id,
        version=a.version,
        patient_id=a.patient_id,
        patient_name=f"{family}, {given}",
        patient_mrn=mrn,
        patient_dob=dob,
        patient_phone=mobile or home or work,
        provider_id=a.provider_id,
        provider_name=provider,
        type_id=a.type_id,
        type_name=type_name,
        colour=colour,
        starts=starts,
        minutes=round((a.ends_at - a.starts_at).total_seconds() / 60),
        status=a.status,
        reason=a.reason,
        notes=a.notes,
        series_id=a.series_id,
        override_reason=a.override_reason,
        arrived_at=to_local(a.arrived_at) if a.arrived_at else None,
        cancel_reason=a.cancel_reason,
    )


def _read_one(s: Session, appointment_id: int) -> AppointmentRecord:
    row = s.execute(_joined().where(Appointment.id == appointment_id)).first()
    if row is None:
        raise NotFound(f"There is no appointment with id {appointment_id}.")
    return _record(row)


def _audit(
    s: Session, actor: Actor, action: str, appointment: Appointment | None, detail: str
) -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity="appointment" if appointment is not None else "schedule",
        entity_id=appointment.id if appointment is not None else None,
        patient_id=appointment.patient_id if appointment is not None else None,
        detail=detail[:500],
    )


# --- checks -------------------------------------------------------------------------------


def validate_input(data: AppointmentInput) -> AppointmentInput:
    errors: dict[str, str] = {}
    if not isinstance(data.starts, datetime):
        errors["starts"] = "Choose the date and time."
    elif data.starts.tzinfo is not None:
        raise ValueError("appointment times are local wall-clock times (naive)")
    if not 5 <= data.minutes <= MAX_APPOINTMENT_MINUTES:
        errors["minutes"] = f"The length must be 5 to {MAX_APPOINTMENT_MINUTES} minutes."
    if len(data.reason.strip()) > 200:
        errors["reason"] = "The reason for the visit is longer than 200 characters."
    if errors:
        raise ValidationError(errors)
    return replace(
        data,
        starts=data.starts.replace(second=0, microsecond=0),
        reason=data.reason.strip(),
        notes=data.notes.strip(),
    )


def _busy(
    s: Session, provider_id: int, start: datetime, end: datetime, exclude: Iterable[int] = ()
) -> list[tuple[datetime, datetime, int]]:
    """The provider's appointments holding a slot that overlaps [start, end) (local times)."""
    first, last = to_utc(start), to_utc(end)
    earliest = first - timedelta(minutes=MAX_APPOINTMENT_MINUTES)
    stmt = select(Appointment.starts_at, Appointment.ends_at, Appointment.id).where(
        Appointment.provider_id == provider_id,
        Appointment.starts_at >= earliest,
        Appointment.starts_at < last,
        Appointment.ends_at > first,
        Appointment.status.not_in(FREE_STATUSES),
    )
    skip = set(exclude)
    return [(to_local(a), to_local(b), i) for a, b, i in s.execute(stmt) if i not in skip]


def booking_warnings(
    s: Session, provider_id: int, start: datetime, minutes: int, exclude: Iterable[int] = ()
) -> list[str]:
    """What is wrong with booking this provider at this time (double booking, hours)."""
    end = start + timedelta(minutes=minutes)
    warnings: list[str] = []
    clashes = _busy(s, provider_id, start, end, exclude)
    if clashes:
        times = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b, _ in clashes[:3])
        warnings.append(
            f"{start:%a %d %b %Y %H:%M}: double booking with the appointment at {times}."
        )
    if not within_hours(start, end, hours_of(s, provider_id)):
        warnings.append(f"{start:%a %d %b %Y %H:%M}–{end:%H:%M} is outside working hours.")
    return warnings


def _require_override(warnings: list[str], override_reason: str) -> str:
    override_reason = override_reason.strip()
    if warnings and not override_reason:
        raise BookingNeedsOverride(warnings)
    return override_reason if warnings else ""


def _check_refs(s: Session, data: AppointmentInput) -> None:
    load_provider(s, data.provider_id)
    patient = s.get(Patient, data.patient_id)
    if patient is None:
        raise NotFound(f"There is no patient with id {data.patient_id}.")
    if not patient.active:
        raise ValidationError({"patient": "This patient is inactive; reactivate them first."})
    kind = s.get(AppointmentType, data.type_id)
    if kind is None or not kind.active:
        raise ValidationError({"type": "Choose an appointment type that is in use."})
    if kind.provider_id not in (None, data.provider_id):
        raise ValidationError({"type": f"The provider does not offer '{kind.name}'."})


def _load(s: Session, appointment_id: int, expected_version: int | None) -> Appointment:
    appointment = s.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"There is no appointment with id {appointment_id}.")
    if expected_version is not None and appointment.version != expected_version:
        raise ConflictError(
            "This appointment was changed by someone else since you opened it. Nothing was "
            "saved: look at it again and redo your change."
        )
    return appointment


def _describe(start: datetime, minutes: int) -> str:
    return f"{start:%Y-%m-%d %H:%M} ({minutes} min)"


# --- booking ------------------------------------------------------------------------------


def book_appointment(
    actor: Actor, data: AppointmentInput, *, override_reason: str = ""
) -> AppointmentRecord:
    """Book one appointment."""
    actor.require(Permission.SCHEDULE_WRITE)
    data = validate_input(data)
    with actor.write() as s:
        _check_refs(s, data)
        warnings = booking_warnings(s, data.provider_id, data.starts, data.minutes)
        kept = _require_override(warnings, override_reason)
        appointment = _new(data, kept)
        s.add(appointment)
        s.flush()
        _audit(
            s,
            actor,
            "create",
            appointment,
            "booked "
            + _describe(data.starts, data.minutes)
            + (f"; override: {kept}" if kept else ""),
        )
        return _read_one(s, appointment.id)


def _new(data: AppointmentInput, override_reason: str, series_id: int | None = None):
    return Appointment(
        patient_id=data.patient_id,
        provider_id=data.provider_id,
        type_id=data.type_id,
        series_id=series_id,
        starts_at=to_utc(data.starts),
        ends_at=to_utc(data.starts + timedelta(minutes=data.minutes)),
        status="booked",
        reason=data.reason,
        notes=data.notes,
        override_reason=override_reason,
    )


def book_series(
    actor: Actor, data: AppointmentInput, recurrence: Recurrence, *, override_reason: str = ""
) -> list[AppointmentRecord]:
    """Book a recurring appointment: every occurrence at the time of day of `data.starts`,
    from its date on. All occurrences are booked or none."""
    actor.require(Permission.SCHEDULE_WRITE)
    data = validate_input(data)
    errors: dict[str, str] = {}
    if not recurrence.weekdays or any(not 0 <= d <= 6 for d in recurrence.weekdays):
        errors["weekdays"] = "Choose the weekdays it repeats on."
    if not 1 <= recurrence.every_weeks <= 52:
        errors["every_weeks"] = "Repeat every 1 to 52 weeks."
    if (recurrence.until is None) == (recurrence.count is None):
        errors["until"] = "End the series either on a date or after a number of visits."
    elif recurrence.until is not None and recurrence.until < data.starts.date():
        errors["until"] = "The series cannot end before it starts."
    elif recurrence.count is not None and not 1 <= recurrence.count <= 200:
        errors["count"] = "A series has 1 to 200 visits."
    if errors:
        raise ValidationError(errors)
    dates = recurrence_dates(
        data.starts.date(),
        recurrence.weekdays,
        recurrence.every_weeks,
        until=recurrence.until,
        count=recurrence.count,
    )
    if not dates:
        raise ValidationError({"weekdays": "No visit falls on those weekdays in that period."})
    with actor.write() as s:
        _check_refs(s, data)
        occurrences = [replace(data, starts=datetime.combine(d, data.starts.time())) for d in dates]
        warnings = [
            w for o in occurrences for w in booking_warnings(s, o.provider_id, o.starts, o.minutes)
        ]
        kept = _require_override(warnings, override_reason)
        series = AppointmentSeries(
            patient_id=data.patient_id,
            provider_id=data.provider_id,
            every_weeks=recurrence.every_weeks,
            weekdays=",".join(str(d) for d in sorted(set(recurrence.weekdays))),
            first_date=dates[0],
            until_date=recurrence.until,
            occurrences=recurrence.count,
        )
        s.add(series)
        s.flush()
        made = [_new(o, kept, series.id) for o in occurrences]
        s.add_all(made)
        s.flush()
        for appointment, o in zip(made, occurrences, strict=True):
            _audit(
                s,
                actor,
                "create",
                appointment,
                f"booked {_describe(o.starts, o.minutes)} in series {series.id}"
                + (f"; override: {kept}" if kept else ""),
            )
        return [_read_one(s, a.id) for a in made]


def move_appointment(
    actor: Actor,
    appointment_id: int,
    expected_version: int,
    *,
    starts: datetime,
    minutes: int | None = None,
    provider_id: int | None = None,
    override_reason: str = "",
) -> AppointmentRecord:
    """Move an appointment to another time (and provider), or change its length."""
    actor.require(Permission.SCHEDULE_WRITE)
    with actor.write() as s:
        appointment = _load(s, appointment_id, expected_version)
        current = _read_one(s, appointment.id)
        data = validate_input(
            AppointmentInput(
                patient_id=appointment.patient_id,
                provider_id=provider_id or appointment.provider_id,
                type_id=appointment.type_id,
                starts=starts,
                minutes=minutes or current.minutes,
                reason=appointment.reason,
                notes=appointment.notes,
            )
        )
        return _change(s, actor, appointment, current, data, override_reason)


def edit_appointment(
    actor: Actor,
    appointment_id: int,
    expected_version: int,
    data: AppointmentInput,
    *,
    override_reason: str = "",
    whole_series: bool = False,
) -> list[AppointmentRecord]:
    """Save an edited appointment. With `whole_series`, the type, length, time of day,
    reason and notes also change on the series' later occurrences that have not happened."""
    actor.require(Permission.SCHEDULE_WRITE)
    data = validate_input(data)
    with actor.write() as s:
        appointment = _load(s, appointment_id, expected_version)
        if data.patient_id != appointment.patient_id:
            raise ValidationError({"patient": "An appointment cannot change its patient."})
        _check_refs(s, data)
        current = _read_one(s, appointment.id)
        changed = [_change(s, actor, appointment, current, data, override_reason)]
        if whole_series and appointment.series_id is not None:
            later = s.execute(
                select(Appointment)
                .where(
                    Appointment.series_id == appointment.series_id,
                    Appointment.id != appointment.id,
                    Appointment.starts_at > appointment.starts_at,
                    Appointment.status.in_(UPCOMING_STATUSES),
                )
                .order_by(Appointment.starts_at)
            ).scalars()
            for other in later:
                other_current = _read_one(s, other.id)
                moved = replace(
                    data,
                    starts=datetime.combine(other_current.starts.date(), data.starts.time()),
                )
                changed.append(_change(s, actor, other, other_current, moved, override_reason))
        return changed


def _change(
    s: Session,
    actor: Actor,
    appointment: Appointment,
    current: AppointmentRecord,
    data: AppointmentInput,
    override_reason: str,
) -> AppointmentRecord:
    if appointment.status not in UPCOMING_STATUSES | {"arrived", "in_room"}:
        raise ValidationError(
            {"status": f"A {STATUSES[appointment.status].lower()} appointment cannot be changed."}
        )
    when_changed = (data.starts, data.minutes, data.provider_id) != (
        current.starts,
        current.minutes,
        current.provider_id,
    )
    if when_changed:
        warnings = booking_warnings(
            s, data.provider_id, data.starts, data.minutes, exclude=[appointment.id]
        )
        kept = _require_override(warnings, override_reason)
        appointment.override_reason = kept
    appointment.provider_id = data.provider_id
    appointment.type_id = data.type_id
    appointment.starts_at = to_utc(data.starts)
    appointment.ends_at = to_utc(data.starts + timedelta(minutes=data.minutes))
    appointment.reason = data.reason
    appointment.notes = data.notes
    s.flush()
    detail = (
        f"moved from {_describe(current.starts, current.minutes)} "
        f"to {_describe(data.starts, data.minutes)}"
        if when_changed
        else "edited"
    )
    if when_changed and appointment.override_reason:
        detail += f"; override: {appointment.override_reason}"
    _audit(s, actor, "update", appointment, detail)
    return _read_one(s, appointment.id)


# --- status -------------------------------------------------------------------------------


def set_status(
    actor: Actor, appointment_id: int, expected_version: int, status: str
) -> AppointmentRecord:
    """Confirm, check in (arrived), room, complete or mark a no-show. Going back to booked or
    confirmed undoes a check-in. Cancelling has its own function (it needs a reason)."""
    actor.require(Permission.SCHEDULE_WRITE)
    if status not in STATUSES or status == "cancelled":
        raise ValidationError({"status": f"'{status}' is not a status to set here."})
    with actor.write() as s:
        appointment = _load(s, appointment_id, expected_version)
        if appointment.status == "cancelled":
            raise ValidationError(
                {"status": "This appointment is cancelled; book a new one instead."}
            )
        before = appointment.status
        now = utcnow()
        if status == "arrived":
            appointment.arrived_at = appointment.arrived_at or now
        elif status == "in_room":
            appointment.arrived_at = appointment.arrived_at or now
            appointment.roomed_at = appointment.roomed_at or now
        elif status == "completed":
            appointment.completed_at = appointment.completed_at or now
        elif status in UPCOMING_STATUSES | {"no_show"}:
            appointment.arrived_at = appointment.roomed_at = appointment.completed_at = None
        appointment.status = status
        s.flush()
        _audit(s, actor, "update", appointment, f"status {before} -> {status}")
        return _read_one(s, appointment.id)


def check_in(actor: Actor, appointment_id: int, expected_version: int) -> AppointmentRecord:
    """The patient has arrived: status arrived, with the time."""
    return set_status(actor, appointment_id, expected_version, "arrived")


def cancel_appointment(
    actor: Actor,
    appointment_id: int,
    expected_version: int,
    reason: str,
    *,
    whole_series: bool = False,
) -> list[AppointmentRecord]:
    """Cancel with a reason (kept; nothing is deleted). With `whole_series`, also the series'
    later occurrences that have not happened."""
    actor.require(Permission.SCHEDULE_WRITE)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling."})
    with actor.write() as s:
        appointment = _load(s, appointment_id, expected_version)
        if appointment.status not in UPCOMING_STATUSES | {"arrived", "in_room"}:
            raise ValidationError(
                {
                    "status": f"A {STATUSES[appointment.status].lower()} appointment "
                    "cannot be cancelled."
                }
            )
        targets = [appointment]
        if whole_series and appointment.series_id is not None:
            targets += (
                s.execute(
                    select(Appointment).where(
                        Appointment.series_id == appointment.series_id,
                        Appointment.id != appointment.id,
                        Appointment.starts_at > appointment.starts_at,
                        Appointment.status.in_(UPCOMING_STATUSES),
                    )
                )
                .scalars()
                .all()
            )
            series = s.get(AppointmentSeries, appointment.series_id)
            if series is not None:
                series.active = False
                series.cancel_reason = reason
        now = utcnow()
        for a in targets:
            a.status = "cancelled"
            a.cancelled_at = now
            a.cancel_reason = reason
        s.flush()
        for a in targets:
            _audit(s, actor, "update", a, f"cancelled: {reason}")
        return [_read_one(s, a.id) for a in targets]


# --- reading ------------------------------------------------------------------------------


def _in_range(first: date, days: int) -> list:
    start, end = day_bounds_utc(first, days)
    return [Appointment.starts_at >= start, Appointment.starts_at < end]


def appointments_between(
    s: Session, first: date, days: int, provider_id: int | None, include_cancelled: bool
) -> list[AppointmentRecord]:
    stmt = _joined().where(*_in_range(first, days))
    if provider_id is not None:
        stmt = stmt.where(Appointment.provider_id == provider_id)
    if not include_cancelled:
        stmt = stmt.where(Appointment.status != "cancelled")
    stmt = stmt.order_by(Appointment.starts_at, Appointment.provider_id, Appointment.id)
    return [_record(r) for r in s.execute(stmt)]


def day_schedule(
    actor: Actor, day: date, provider_id: int | None = None, *, include_cancelled: bool = False
) -> list[AppointmentRecord]:
    """One day's appointments, of one provider or of all, by start time (audited as a view)."""
    return _schedule(actor, day, 1, provider_id, include_cancelled)


def week_schedule(
    actor: Actor, provider_id: int, first_day: date, *, include_cancelled: bool = False
) -> list[AppointmentRecord]:
    """Seven days of one provider's appointments from `first_day`."""
    return _schedule(actor, first_day, 7, provider_id, include_cancelled)


def _schedule(
    actor: Actor, first: date, days: int, provider_id: int | None, include_cancelled: bool
) -> list[AppointmentRecord]:
    actor.require(Permission.SCHEDULE_READ)
    with actor.write() as s:
        if provider_id is not None:
            load_provider(s, provider_id)
        found = appointments_between(s, first, days, provider_id, include_cancelled)
        _audit(
            s,
            actor,
            "view",
            None,
            f"schedule {first:%Y-%m-%d} +{days}d provider {provider_id or 'all'}: "
            f"{len(found)} appointments",
        )
        return found


def get_appointment(actor: Actor, appointment_id: int) -> AppointmentRecord:
    actor.require(Permission.SCHEDULE_READ)
    with actor.read() as s:
        return _read_one(s, appointment_id)


def patient_appointments(actor: Actor, patient_id: int) -> list[AppointmentRecord]:
    """A patient's appointments, past and future, cancelled ones too, newest first."""
    actor.require(Permission.SCHEDULE_READ)
    with actor.write() as s:
        if s.get(Patient, patient_id) is None:
            raise NotFound(f"There is no patient with id {patient_id}.")
        rows = s.execute(
            _joined()
            .where(Appointment.patient_id == patient_id)
            .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        )
        found = [_record(r) for r in rows]
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="view",
            entity="appointment",
            patient_id=patient_id,
            detail=f"{len(found)} appointments",
        )
        return found


def next_appointments(actor: Actor, patient_ids: Sequence[int]) -> dict[int, datetime]:
    """Each patient's next appointment that holds its slot, from now (local times). Part of
    a patient search's results, whose audit event covers it."""
    actor.require(Permission.SCHEDULE_READ)
    if not patient_ids:
        return {}
    now = to_utc(now_local())
    with actor.read() as s:
        rows = s.execute(
            select(Appointment.patient_id, func.min(Appointment.starts_at))
            .where(
                Appointment.patient_id.in_(list(patient_ids)),
                Appointment.starts_at >= now,
                Appointment.status.not_in(FREE_STATUSES),
            )
            .group_by(Appointment.patient_id)
        )
        return {pid: to_local(_aware(when)) for pid, when in rows}


def _aware(moment: datetime) -> datetime:
    """Aggregates (min) bypass the column type: SQLite gives back naive UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_next_free_slot(
    actor: Actor,
    provider_id: int,
    minutes: int,
    after: datetime,
    *,
    step_minutes: int = 5,
    horizon_days: int = 120,
) -> datetime | None:
    """The provider's first free start of `minutes` at or after `after` (local), on the
    schedule's grid, inside working hours; None within `horizon_days`."""
    actor.require(Permission.SCHEDULE_READ)
    if not 5 <= minutes <= MAX_APPOINTMENT_MINUTES:
        raise ValidationError({"minutes": f"The length must be 5 to {MAX_APPOINTMENT_MINUTES}."})
    after = max(after, now_local()) if after.date() <= date.today() else after
    with actor.read() as s:
        load_provider(s, provider_id)
        hours = hours_of(s, provider_id)
        if not hours:
            return None
        start, searched, window = after, 0, 14  # a fortnight first: the answer is usually near
        while searched <= horizon_days:
            end = datetime.combine(start.date() + timedelta(days=window), time())
            busy = [(a, b) for a, b, _ in _busy(s, provider_id, start, end)]
            found = next_free_slot(
                start, minutes, hours, busy, step_minutes=step_minutes, horizon_days=window - 1
            )
            if found is not None:
                return found
            start, searched, window = end, searched + window, window * 2
        return None
