"""Benchmarks of the schedule: the day (one provider on a busy day, and all providers), the
week, the next free slot, booking, and a patient's appointments.

Inputs are chosen before timing: the busiest provider-days near today, weeks around today,
and for booking a free slot per run, each on its own provider-day (found with
find_next_free_slot), so that a booking rarely needs an override; when it does (the runs
outnumber the slots found), the override reason is given and kept.

Floors: the statements each operation needs on the bare driver: the provider check, the
schedule query and the audit event for the views; the working hours and the fortnight's busy
times for the free slot; the checks, the insert, the read-back and the audit for a booking.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, desc, func, select, true

from emr.bench import WARMUP_RUNS, BenchContext, Operation
from emr.bench.raw import RawConnection, db_datetime
from emr.localtime import day_bounds_utc, to_utc
from emr.models.base import utcnow
from emr.models.patients import Patient
from emr.models.scheduling import Appointment, AppointmentType, WorkingHours
from emr.models.users import User
from emr.schedule_rules import FREE_STATUSES, MAX_APPOINTMENT_MINUTES
from emr.services.schedule_setup import list_appointment_types, list_providers
from emr.services.scheduling import (
    AppointmentInput,
    book_appointment,
    day_schedule,
    find_next_free_slot,
    patient_appointments,
    week_schedule,
)

SAMPLE_SIZE = 40
NEAR_DAYS = 28  # busy days are looked for this far around today
AHEAD_DAYS = 90
OVERRIDE = "benchmark booking"


def operations(ctx: BenchContext) -> list[Operation]:
    providers = [p.id for p in list_providers(ctx.actor)]
    if not providers:
        return []
    today = date.today()
    busy_days = _busiest_provider_days(ctx, today)
    if not busy_days:
        return []
    busy_dates = _busiest_dates(ctx, today)
    rng = ctx.rng
    mondays = [
        today - timedelta(days=today.weekday()) + timedelta(weeks=rng.randrange(-8, 9))
        for _ in range(SAMPLE_SIZE)
    ]
    weeks = [(rng.choice(providers), monday) for monday in mondays]
    free_queries = [
        (
            rng.choice(providers),
            rng.choice((15, 30, 45)),
            datetime.combine(
                today + timedelta(days=rng.randrange(1, AHEAD_DAYS)),
                time(rng.randrange(8, 17), rng.choice((0, 15, 30, 45))),
            ),
        )
        for _ in range(SAMPLE_SIZE)
    ]
    patients = _patients_with_appointments(ctx)
    raw = RawConnection(ctx.db)
    bookings, floor_bookings = _bookings(ctx, providers, today)

    def view(first: date, days: int, provider_id: int | None):
        return _raw_schedule(raw, first, days, provider_id)

    one = [view(day, 1, pid) for pid, day in busy_days]
    everyone = [view(day, 1, None) for day in busy_dates]
    week = [view(monday, 7, pid) for pid, monday in weeks]
    # The statements are compiled now; the floors bind only the id.
    readback = raw.compile(_joined().where(Appointment.id == 0))[0]
    by_patient = raw.compile(
        _joined()
        .where(Appointment.patient_id == 0)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
    )[0]
    return [
        Operation(
            "schedule_day_one_provider_busy",
            run=lambda i: day_schedule(ctx.actor, *_swap(busy_days[i % len(busy_days)])),
            floor=lambda i: one[i % len(one)](),
        ),
        Operation(
            "schedule_day_all_providers",
            run=lambda i: day_schedule(ctx.actor, busy_dates[i % len(busy_dates)]),
            floor=lambda i: everyone[i % len(everyone)](),
        ),
        Operation(
            "schedule_week_one_provider",
            run=lambda i: week_schedule(ctx.actor, *weeks[i % len(weeks)]),
            floor=lambda i: week[i % len(week)](),
        ),
        Operation(
            "schedule_find_next_free_slot",
            run=lambda i: find_next_free_slot(ctx.actor, *free_queries[i % len(free_queries)]),
            floor=lambda i: _raw_free_slot(raw, *free_queries[i % len(free_queries)]),
        ),
        Operation(
            "schedule_book_appointment",
            run=lambda i: book_appointment(
                ctx.actor, bookings[i % len(bookings)], override_reason=OVERRIDE
            ),
            floor=lambda i: _raw_book(raw, readback, floor_bookings[i % len(floor_bookings)]),
        ),
        Operation(
            "schedule_patient_appointments",
            run=lambda i: patient_appointments(ctx.actor, patients[i % len(patients)]),
            floor=lambda i: _raw_patient_appointments(raw, by_patient, patients[i % len(patients)]),
        ),
    ]


def _swap(provider_day: tuple[int, date]) -> tuple[date, int]:
    return provider_day[1], provider_day[0]


def _day_range(first: date, days: int) -> list:
    start, end = day_bounds_utc(first, days)
    return [Appointment.starts_at >= start, Appointment.starts_at < end]


def _local_day(column):
    # SQLite keeps naive UTC text; the offset of today is close enough to group by day.
    offset = int(datetime.now().astimezone().utcoffset().total_seconds())  # type: ignore[union-attr]
    return func.date(column, f"{offset:+d} seconds")


def _near(today: date) -> list:
    return _day_range(today - timedelta(days=NEAR_DAYS), 2 * NEAR_DAYS)


def _busiest_provider_days(ctx: BenchContext, today: date) -> list[tuple[int, date]]:
    day = _local_day(Appointment.starts_at)
    with ctx.db.read() as s:
        rows = s.execute(
            select(Appointment.provider_id, day, func.count())
            .where(*_near(today), Appointment.status != "cancelled")
            .group_by(Appointment.provider_id, day)
            .order_by(desc(func.count()), Appointment.provider_id, day)
            .limit(SAMPLE_SIZE)
        ).all()
    return [(pid, date.fromisoformat(d)) for pid, d, _ in rows]


def _busiest_dates(ctx: BenchContext, today: date) -> list[date]:
    day = _local_day(Appointment.starts_at)
    with ctx.db.read() as s:
        rows = s.execute(
            select(day, func.count())
            .where(*_near(today), Appointment.status != "cancelled")
            .group_by(day)
            .order_by(desc(func.count()), day)
            .limit(SAMPLE_SIZE // 4)
        ).all()
    return [date.fromisoformat(d) for d, _ in rows]


def _patients_with_appointments(ctx: BenchContext) -> list[int]:
    with ctx.db.read() as s:
        top = s.execute(select(func.max(Appointment.id))).scalar() or 0
        ids = sorted({ctx.rng.randint(1, top) for _ in range(SAMPLE_SIZE * 2)})
        found = s.execute(
            select(Appointment.patient_id).where(Appointment.id.in_(ids)).distinct()
        ).scalars()
        return sorted(found)[:SAMPLE_SIZE] or [1]


def _bookings(
    ctx: BenchContext, providers: list[int], today: date
) -> tuple[list[AppointmentInput], list[AppointmentInput]]:
    """A free 15-minute slot on its own provider-day for every run of the operation and of its
    floor (found now, not while timing)."""
    wanted = 2 * (max(ctx.runs, SAMPLE_SIZE) + WARMUP_RUNS)
    kinds = [t for t in list_appointment_types(ctx.actor) if t.provider_id is None]
    kind = min(kinds, key=lambda t: (abs(t.default_minutes - 15), t.id))
    with ctx.db.read() as s:
        patients = list(
            s.execute(
                select(Patient.id)
                .where(Patient.active == true())
                .order_by(Patient.id)
                .limit(SAMPLE_SIZE * 10)
            ).scalars()
        )
    provider_days = [
        (pid, today + timedelta(days=d))
        for d in range(1, AHEAD_DAYS)
        if (today + timedelta(days=d)).weekday() < 5
        for pid in providers
    ]
    ctx.rng.shuffle(provider_days)
    found: list[AppointmentInput] = []
    for n, (pid, day) in enumerate(provider_days[:wanted]):
        slot = find_next_free_slot(
            ctx.actor, pid, kind.default_minutes, datetime.combine(day, time())
        )
        starts = slot or datetime.combine(day, time(12))  # no free slot: an override
        found.append(
            AppointmentInput(
                patient_id=patients[n % len(patients)],
                provider_id=pid,
                type_id=kind.id,
                starts=starts,
                minutes=kind.default_minutes,
                reason="Benchmark visit",
            )
        )
    return found[0::2], found[1::2]


# --- floors ---------------------------------------------------------------------------------


def _joined() -> Select:
    return (
        select(
            Appointment.__table__,
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
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(User, User.id == Appointment.provider_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
    )


def _raw_schedule(raw: RawConnection, first: date, days: int, provider_id: int | None):
    stmt = _joined().where(*_day_range(first, days), Appointment.status != "cancelled")
    if provider_id is not None:
        stmt = stmt.where(Appointment.provider_id == provider_id)
    sql, params = raw.compile(
        stmt.order_by(Appointment.starts_at, Appointment.provider_id, Appointment.id)
    )

    def floor() -> None:
        cur = raw.begin_write()
        if provider_id is not None:
            cur.execute("SELECT * FROM users WHERE id = ?", (provider_id,)).fetchone()
        found = cur.execute(sql, params).fetchall()
        raw.audit(
            cur,
            action="view",
            entity="schedule",
            entity_id=None,
            patient_id=None,
            detail=f"schedule {first} +{days}d provider {provider_id or 'all'}: {len(found)}",
        )
        raw.commit()

    return floor


_BUSY = (
    "SELECT starts_at, ends_at, id FROM appointments WHERE provider_id = ? AND starts_at >= ? "
    "AND starts_at < ? AND ends_at > ? AND status NOT IN ({})".format(
        ", ".join(f"'{s}'" for s in sorted(FREE_STATUSES))
    )
)


def _busy_params(provider_id: int, start: datetime, end: datetime) -> tuple:
    first, last = to_utc(start), to_utc(end)
    earliest = first - timedelta(minutes=MAX_APPOINTMENT_MINUTES)
    return (provider_id, db_datetime(earliest), db_datetime(last), db_datetime(first))


def _raw_free_slot(raw: RawConnection, provider_id: int, minutes: int, after: datetime) -> None:
    cur = raw.begin_read()
    cur.execute("SELECT * FROM users WHERE id = ?", (provider_id,)).fetchone()
    cur.execute(
        f"SELECT weekday, starts, ends FROM {WorkingHours.__tablename__} WHERE provider_id = ? "
        "ORDER BY weekday, starts",
        (provider_id,),
    ).fetchall()
    end = datetime.combine(after.date() + timedelta(days=14), time())
    cur.execute(_BUSY, _busy_params(provider_id, after, end)).fetchall()
    raw.commit()


def _raw_book(raw: RawConnection, readback: str, data: AppointmentInput) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT * FROM users WHERE id = ?", (data.provider_id,)).fetchone()
    cur.execute("SELECT * FROM patients WHERE id = ?", (data.patient_id,)).fetchone()
    cur.execute("SELECT * FROM appointment_types WHERE id = ?", (data.type_id,)).fetchone()
    end = data.starts + timedelta(minutes=data.minutes)
    clashes = cur.execute(_BUSY, _busy_params(data.provider_id, data.starts, end)).fetchall()
    cur.execute(
        "SELECT weekday, starts, ends FROM working_hours WHERE provider_id = ? "
        "ORDER BY weekday, starts",
        (data.provider_id,),
    ).fetchall()
    now = db_datetime(utcnow())
    cur.execute(
        "INSERT INTO appointments (patient_id, provider_id, type_id, series_id, starts_at, "
        "ends_at, status, reason, notes, override_reason, cancel_reason, created_at, "
        "updated_at, version) VALUES (?, ?, ?, NULL, ?, ?, 'booked', ?, '', ?, '', ?, ?, 1)",
        (
            data.patient_id,
            data.provider_id,
            data.type_id,
            db_datetime(to_utc(data.starts)),
            db_datetime(to_utc(end)),
            data.reason,
            OVERRIDE if clashes else "",
            now,
            now,
        ),
    )
    appointment_id = cur.lastrowid
    raw.audit(
        cur,
        action="create",
        entity="appointment",
        entity_id=appointment_id,
        patient_id=data.patient_id,
        detail=f"booked {data.starts:%Y-%m-%d %H:%M} ({data.minutes} min)",
    )
    cur.execute(readback, (appointment_id,)).fetchone()
    raw.commit()


def _raw_patient_appointments(raw: RawConnection, by_patient: str, patient_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
    found = cur.execute(by_patient, (patient_id,)).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="appointment",
        entity_id=None,
        patient_id=patient_id,
        detail=f"{len(found)} appointments",
    )
    raw.commit()
