"""Synthetic schedule: physicians, their working hours, the practice's appointment types and
months of appointments around today, filling most of each provider's working hours.

Past appointments are completed (some no-shows, some cancelled with a reason, the slot often
booked again), today's are a mix as the front desk sees it at DEMO_CLOCK, future ones are
booked or confirmed. A few recurring series hold their weekly slots. Rows go in by Core
executemany in chunks, so a million appointments take about a minute, with one audit event
summarising the generation.

With `ctx.appointments` set, the appointments are spread over more providers (up to
MAX_PROVIDERS) and further back in time until about that many are made.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, true

from emr.demo.context import DemoContext
from emr.localtime import to_utc
from emr.models.base import utcnow
from emr.models.patients import Patient
from emr.models.scheduling import Appointment, AppointmentSeries, AppointmentType, WorkingHours
from emr.models.users import User
from emr.schedule_rules import FREE_STATUSES, Stretch, recurrence_dates
from emr.security import audit
from emr.security.permissions import Role
from emr.services.schedule_setup import ProviderRecord, provider_rows
from emr.services.users import create_user

AREA = "appointments"
NATURAL_WEEKS = 13  # three months back and three ahead
MIN_PROVIDERS = 3
MAX_PROVIDERS = 20  # then further back in time
FILL = 0.88  # share of the walk's steps that book a visit rather than leave a gap
GAP_MINUTES = 15
REBOOK_CANCELLED = 0.5  # a cancelled slot is booked again by someone else
CANCELLED_SHARE = 0.06  # about how many visits are cancelled (see _Schedule._status)
CHUNK = 50_000
CHUNKS_PER_TRANSACTION = 5
CACHE_KIB = 500_000
# Today's schedule is shown as at this time, so the data are the same all day.
DEMO_CLOCK = time(10, 30)
DEMO_PASSWORD = "demo-doctor-2026"


@dataclass(frozen=True)
class Kind:
    name: str
    minutes: int
    colour: str
    weight: int
    reasons: tuple[str, ...]


# fmt: off
KINDS: tuple[Kind, ...] = (
    Kind("New patient", 30, "#4a90d9", 12,
         ("New patient visit", "Establish care", "Transfer of care", "New patient: knee pain")),
    Kind("Follow-up", 15, "#43a047", 45,
         ("Blood pressure check", "Diabetes follow-up", "Medication review", "Lab results",
          "Cough for two weeks", "Low back pain", "Rash", "Anxiety follow-up", "Sore throat",
          "Ear pain", "Headaches", "Thyroid follow-up", "Cholesterol follow-up", "Dizziness",
          "Urinary symptoms", "Asthma follow-up", "Weight check", "")),
    Kind("Annual physical", 30, "#f5a623", 15,
         ("Annual physical", "Well-child check", "Medicare annual wellness visit",
          "Sports physical", "Pre-employment physical")),
    Kind("Procedure", 45, "#d0021b", 8,
         ("Skin biopsy", "Joint injection", "Wart removal", "Ear irrigation", "Mole removal",
          "Laceration repair", "IUD insertion", "Ingrown toenail")),
    Kind("Telehealth", 15, "#8e44ad", 15,
         ("Video visit: medication refill", "Video visit: lab results", "Phone follow-up",
          "Video visit: mood check", "")),
)
# (reason, kind name, every_weeks, visits)
SERIES_PLANS: tuple[tuple[str, str, int, int], ...] = (
    ("Allergy injection", "Follow-up", 1, 12),
    ("Wound care", "Procedure", 1, 6),
    ("B12 injection", "Follow-up", 4, 6),
    ("Blood pressure check", "Follow-up", 2, 8),
    ("Physical therapy review", "Telehealth", 2, 6),
)
CANCEL_REASONS = (
    "Patient called to cancel", "Patient is ill", "Rescheduled at the patient's request",
    "No transport", "Provider unavailable", "Weather", "Work conflict",
    "Feeling better, no longer needed",
)
NOTES = (
    "Bring the medication list.", "Fasting labs: nothing to eat after midnight.",
    "Interpreter needed.", "Parent to accompany.", "Wheelchair access.",
)
PHYSICIANS = (
    ("Rafael", "Ortega"), ("Mei", "Lin"), ("Amara", "Okafor"), ("Priya", "Raman"),
    ("Tomasz", "Nowak"), ("Claire", "Dubois"), ("Samir", "Haddad"), ("Hannah", "Fischer"),
    ("Diego", "Morales"), ("Grace", "O'Connell"), ("Kenji", "Watanabe"), ("Lucia", "Romano"),
    ("Ibrahim", "Yusuf"), ("Sofia", "Lindqvist"), ("Daniel", "Cohen"), ("Ngozi", "Eze"),
    ("Marek", "Kowalczyk"), ("Elena", "Petrova"), ("Arjun", "Mehta"), ("Laura", "Brennan"),
)
# fmt: on

WEEKDAYS_WORKED = range(5)  # Monday to Friday
MORNING = (time(8), time(12))
AFTERNOON = (time(13), time(17))
HALF_DAY = 2  # Wednesday afternoon off, for one provider in three


def standard_hours(half_day: bool) -> list[Stretch]:
    stretches = []
    for weekday in WEEKDAYS_WORKED:
        stretches.append(Stretch(weekday, *MORNING))
        if not (half_day and weekday == HALF_DAY):
            stretches.append(Stretch(weekday, *AFTERNOON))
    return stretches


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# --- how many, over how long ----------------------------------------------------------------


def _mean_minutes() -> float:
    return sum(k.minutes * k.weight for k in KINDS) / sum(k.weight for k in KINDS)


def visits_per_minute(fill: float) -> float:
    """Expected appointments per working minute when the walk books with probability `fill`
    (each cancelled visit is often booked again, so a little more than the walk's visits)."""
    rebooked = 1 + CANCELLED_SHARE * REBOOK_CANCELLED
    return rebooked * fill / (fill * _mean_minutes() + (1 - fill) * GAP_MINUTES)


def fill_for(per_minute: float) -> float:
    """The inverse of visits_per_minute."""
    y = per_minute / (1 + CANCELLED_SHARE * REBOOK_CANCELLED)
    return min(FILL, GAP_MINUTES * y / (1 - y * _mean_minutes() + GAP_MINUTES * y))


def weekly_minutes(hours: list[Stretch]) -> int:
    return sum(_minutes(h.ends) - _minutes(h.starts) for h in hours)


@dataclass(frozen=True)
class Plan:
    first: date
    last: date
    fill: float
    expected: int


def plan(today: date, week_minutes: int, target: int | None) -> Plan:
    """The days to fill and how densely, for all providers' `week_minutes` together."""
    ahead = today + timedelta(weeks=NATURAL_WEEKS)
    natural = Plan(today - timedelta(weeks=NATURAL_WEEKS), ahead, FILL, 0)
    per_week = week_minutes * visits_per_minute(FILL)
    if week_minutes == 0:
        return natural
    if target is None:
        return Plan(natural.first, ahead, FILL, round(per_week * 2 * NATURAL_WEEKS))
    weeks = max(2 * NATURAL_WEEKS, math.ceil(target / per_week))
    fill = fill_for(target / (weeks * week_minutes))
    return Plan(ahead - timedelta(weeks=weeks), ahead, fill, target)


def providers_wanted(existing: int, target: int | None) -> int:
    if target is None:
        return max(existing, MIN_PROVIDERS)
    week = weekly_minutes(standard_hours(False)) * visits_per_minute(FILL)
    per_provider = week * 2 * NATURAL_WEEKS
    return max(existing, MIN_PROVIDERS, min(MAX_PROVIDERS, math.ceil(target / per_provider)))


# --- providers, hours, types ----------------------------------------------------------------


def demo_npi(number: int) -> str:
    """A valid (check digit) NPI for the demo's n-th physician; synthetic, like the rest."""
    from emr.services.users import npi_is_valid

    base = 1_900_000_000 + number * 1_000
    return next(str(n) for n in range(base, base + 1_000) if npi_is_valid(str(n)))


def demo_dea(family: str, number: int) -> str:
    """A valid (check digit) DEA number: registrant type A, the family name's initial."""
    digits = [int(c) for c in f"{(number * 7919 + 104729) % 1_000_000:06d}"]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    return "A" + family[0].upper() + "".join(map(str, digits)) + str(check)


def ensure_providers(ctx: DemoContext, wanted: int) -> tuple[list[ProviderRecord], int]:
    """The active physicians, with demo physicians added up to `wanted`; and how many added."""
    with ctx.db.read() as s:
        providers = provider_rows(s)
        taken = set(s.execute(select(User.username)).scalars())
    added = 0
    for number, (given, family) in enumerate(PHYSICIANS):
        if len(providers) + added >= wanted:
            break
        username = "dr" + "".join(c for c in family.lower() if c.isalpha())
        if username in taken:
            continue
        create_user(
            ctx.operator,
            username=username,
            full_name=f"Dr. {given} {family}",
            role=Role.PHYSICIAN.value,
            password=DEMO_PASSWORD,
            npi=demo_npi(number),
            dea_number=demo_dea(family, number),
        )
        added += 1
    if added:
        with ctx.db.read() as s:
            providers = provider_rows(s)
    return providers, added


def _stamp(now: datetime) -> dict:
    return {
        "created_at": now,
        "updated_at": now,
        "created_by": None,
        "updated_by": None,
        "version": 1,
    }


def ensure_hours(s, providers: list[ProviderRecord], now: datetime) -> tuple[dict, int]:
    """Each provider's working hours; those with none get the standard week."""
    rows = s.execute(
        select(
            WorkingHours.provider_id, WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends
        )
    ).all()
    hours: dict[int, list[Stretch]] = {}
    for provider_id, weekday, starts, ends in rows:
        hours.setdefault(provider_id, []).append(Stretch(weekday, starts, ends))
    new_rows = []
    given = 0
    for p in providers:
        if hours.get(p.id):
            continue
        stretches = standard_hours(half_day=given % 3 == 1)
        given += 1
        hours[p.id] = stretches
        new_rows += [
            {"provider_id": p.id, "weekday": h.weekday, "starts": h.starts, "ends": h.ends}
            | _stamp(now)
            for h in stretches
        ]
    if new_rows:
        s.execute(insert(WorkingHours), new_rows)
    return {p.id: sorted(hours[p.id], key=lambda h: (h.weekday, h.starts)) for p in providers}, len(
        new_rows
    )


def ensure_types(s, now: datetime) -> tuple[dict[str, int], int]:
    """The practice-wide demo types by name (existing ones reused), and how many were added."""
    existing = dict(
        s.execute(
            select(AppointmentType.name, AppointmentType.id).where(
                AppointmentType.provider_id.is_(None), AppointmentType.active == true()
            )
        ).all()
    )
    missing = [k for k in KINDS if k.name not in existing]
    if missing:
        table = AppointmentType.__table__
        ids = s.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "name": k.name,
                    "default_minutes": k.minutes,
                    "colour": k.colour,
                    "provider_id": None,
                    "active": True,
                }
                | _stamp(now)
                for k in missing
            ],
        ).scalars()
        existing.update(zip([k.name for k in missing], ids, strict=True))
    return {k.name: existing[k.name] for k in KINDS}, len(missing)


# --- the appointments -----------------------------------------------------------------------

Held = tuple[int, int]  # minutes from local midnight: [start, end)


@dataclass
class SeriesVisit:
    series_index: int
    patient_id: int
    kind: Kind
    reason: str
    start: int
    end: int


class _Schedule:
    """Walks the days and the providers' working hours and makes the appointment rows."""

    def __init__(
        self,
        ctx: DemoContext,
        hours: dict[int, list[Stretch]],
        type_ids: dict[str, int],
        patient_ids: list[int],
        when: Plan,
    ) -> None:
        self.rng = ctx.rng
        self.today = ctx.today
        self.hours = hours
        self.type_ids = type_ids
        self.patients = patient_ids
        self.plan = when
        self.now = utcnow()
        self.clock = _minutes(DEMO_CLOCK)
        self.kind_weights = list(itertools.accumulate(k.weight for k in KINDS))
        self.follow_up = next(k for k in KINDS if k.minutes == GAP_MINUTES)
        self.by_day: dict[int, dict[int, list[Stretch]]] = {
            pid: {w: [h for h in stretches if h.weekday == w] for w in range(7)}
            for pid, stretches in hours.items()
        }
        self.held: dict[tuple[int, date], list[Held]] = {}
        self.visits: dict[tuple[int, date], list[SeriesVisit]] = {}
        self.series: list[dict] = []

    # slots already taken before the walk: earlier appointments and series
    def hold(self, provider_id: int, day: date, start: int, end: int) -> None:
        self.held.setdefault((provider_id, day), []).append((start, end))

    def is_free(self, provider_id: int, day: date, start: int, end: int) -> bool:
        return all(b <= start or end <= a for a, b in self.held.get((provider_id, day), ()))

    def plan_series(self, provider_ids: list[int]) -> None:
        """Two series per provider per quarter, each at a fixed weekly time."""
        rng = self.rng
        span = (self.plan.last - self.plan.first).days
        for pid in provider_ids:
            stretches = self.hours[pid]
            if not stretches or not self.patients:
                continue
            for _ in range(2 * max(1, round(span / (7 * NATURAL_WEEKS)))):
                reason, kind_name, every, count = rng.choice(SERIES_PLANS)
                kind = next(k for k in KINDS if k.name == kind_name)
                stretch = rng.choice(stretches)
                slots = (_minutes(stretch.ends) - _minutes(stretch.starts) - kind.minutes) // 15
                if slots < 0:
                    continue
                start = _minutes(stretch.starts) + 15 * rng.randrange(slots + 1)
                offset = rng.randrange(max(1, span - 7))
                monday = self.plan.first + timedelta(days=offset)
                monday -= timedelta(days=monday.weekday())
                first = monday + timedelta(days=stretch.weekday)
                if first < self.plan.first:
                    first += timedelta(weeks=1)
                dates = recurrence_dates(first, [stretch.weekday], every, count=count)
                end = start + kind.minutes
                if not all(self.is_free(pid, d, start, end) for d in dates):
                    continue
                patient = rng.choice(self.patients)
                index = len(self.series)
                self.series.append(
                    {
                        "patient_id": patient,
                        "provider_id": pid,
                        "every_weeks": every,
                        "weekdays": str(stretch.weekday),
                        "first_date": dates[0],
                        "until_date": None,
                        "occurrences": count,
                        "active": True,
                        "cancel_reason": "",
                    }
                )
                for d in dates:
                    self.hold(pid, d, start, end)
                    visit = SeriesVisit(index, patient, kind, reason, start, end)
                    self.visits.setdefault((pid, d), []).append(visit)

    def rows(self, series_ids: list[int]) -> Iterator[dict]:
        last_visit = max((d for _, d in self.visits), default=self.plan.last)
        day = self.plan.first
        while day <= max(self.plan.last, last_visit):
            noon = to_utc(datetime.combine(day, time(12)))
            # Working hours lie far from the small-hours DST change: one offset per day.
            midnight = noon - timedelta(hours=12)
            for pid, by_weekday in self.by_day.items():
                for visit in self.visits.get((pid, day), ()):
                    yield self._row(
                        pid,
                        day,
                        midnight,
                        visit.patient_id,
                        visit.kind,
                        visit.start,
                        visit.reason,
                        series_ids[visit.series_index],
                    )
                if day > self.plan.last or not self.patients:
                    continue
                for stretch in by_weekday[day.weekday()]:
                    yield from self._walk(pid, day, midnight, stretch)
            day += timedelta(days=1)

    def _walk(self, pid: int, day: date, midnight: datetime, stretch: Stretch) -> Iterator[dict]:
        rng = self.rng
        t, closes = _minutes(stretch.starts), _minutes(stretch.ends)
        held = self.held.get((pid, day), ())
        while t + GAP_MINUTES <= closes:
            taken = next((b for a, b in held if a <= t < b), None)
            if taken is not None:
                t = taken
                continue
            if rng.random() >= self.plan.fill:
                t += GAP_MINUTES
                continue
            kind = rng.choices(KINDS, cum_weights=self.kind_weights)[0]
            end = t + kind.minutes
            if end > closes or any(a < end and t < b for a, b in held):
                kind, end = self.follow_up, t + GAP_MINUTES
                if any(a < end and t < b for a, b in held):
                    t += GAP_MINUTES
                    continue
            row = self._row(pid, day, midnight, rng.choice(self.patients), kind, t)
            yield row
            if row["status"] == "cancelled" and rng.random() < REBOOK_CANCELLED:
                continue  # someone else takes the slot
            t = end

    def _row(
        self,
        pid: int,
        day: date,
        midnight: datetime,
        patient_id: int,
        kind: Kind,
        start: int,
        reason: str | None = None,
        series_id: int | None = None,
    ) -> dict:
        rng = self.rng
        end = start + kind.minutes
        starts_at = midnight + timedelta(minutes=start)
        ends_at = midnight + timedelta(minutes=end)
        row = {
            "patient_id": patient_id,
            "provider_id": pid,
            "type_id": self.type_ids[kind.name],
            "series_id": series_id,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "status": "booked",
            "reason": rng.choice(kind.reasons) if reason is None else reason,
            "notes": rng.choice(NOTES) if rng.random() < 0.04 else "",
            "override_reason": "",
            "arrived_at": None,
            "roomed_at": None,
            "completed_at": None,
            "cancelled_at": None,
            "cancel_reason": "",
        } | _stamp(self.now)
        status = self._status(day, start, end)
        row["status"] = status
        minute = timedelta(minutes=1)
        if status in ("arrived", "in_room", "completed"):
            row["arrived_at"] = starts_at - rng.randrange(2, 20) * minute
        if status in ("in_room", "completed"):
            roomed = start + rng.randrange(0, 10)
            if status == "in_room":
                roomed = min(roomed, self.clock)
            row["roomed_at"] = midnight + roomed * minute
        if status == "completed":
            row["completed_at"] = ends_at + rng.randrange(0, 10) * minute
        elif status == "cancelled":
            before = timedelta(hours=rng.randrange(2, 240))
            latest = midnight + timedelta(days=(self.today - day).days, minutes=self.clock)
            row["cancelled_at"] = min(starts_at - before, latest)
            row["cancel_reason"] = rng.choice(CANCEL_REASONS)
        return row

    def _status(self, day: date, start: int, end: int) -> str:
        r = self.rng.random()
        if day < self.today or (day == self.today and end <= self.clock):
            return "cancelled" if r < 0.06 else "no_show" if r < 0.11 else "completed"
        if day == self.today:
            if start <= self.clock:
                return "in_room"
            if start < self.clock + 45:
                return "arrived" if r < 0.7 else "confirmed"
            return "booked" if r < 0.5 else "confirmed" if r < 0.96 else "cancelled"
        if r < 0.04:
            return "cancelled"
        confirmed = 0.6 if (day - self.today).days <= 2 else 0.15
        return "confirmed" if r < 0.04 + confirmed else "booked"


def _patient_ids(s) -> list[int]:
    return list(
        s.execute(
            select(Patient.id)
            .where(Patient.active == true(), Patient.deceased.is_not(True))
            .order_by(Patient.id)
        ).scalars()
    )


def _hold_existing(s, schedule: _Schedule) -> None:
    """Appointments already there keep their slots (a second demo run adds around them)."""
    start = to_utc(datetime.combine(schedule.plan.first, time()))
    rows = s.execute(
        select(Appointment.provider_id, Appointment.starts_at, Appointment.ends_at).where(
            Appointment.starts_at >= start, Appointment.status.not_in(FREE_STATUSES)
        )
    )
    for pid, starts_at, ends_at in rows:
        local_start = starts_at.astimezone().replace(tzinfo=None)
        local_end = ends_at.astimezone().replace(tzinfo=None)
        day = local_start.date()
        end = (local_end - datetime.combine(day, time())).total_seconds() // 60
        schedule.hold(pid, day, local_start.hour * 60 + local_start.minute, int(end))


def generate(ctx: DemoContext) -> dict[str, int]:
    target = ctx.appointments
    with ctx.db.read() as s:
        existing = len(provider_rows(s))
    providers, added = ensure_providers(ctx, providers_wanted(existing, target))
    now = utcnow()
    with ctx.operator.write() as s:
        hours, stretches_added = ensure_hours(s, providers, now)
        type_ids, types_added = ensure_types(s, now)
        patient_ids = _patient_ids(s)
        when = plan(ctx.today, sum(weekly_minutes(h) for h in hours.values()), target)
        schedule = _Schedule(ctx, hours, type_ids, patient_ids, when)
        _hold_existing(s, schedule)
        schedule.plan_series([p.id for p in providers])
        series_ids: list[int] = []
        if schedule.series:
            table = AppointmentSeries.__table__
            series_ids = list(
                s.execute(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True),
                    [row | _stamp(now) for row in schedule.series],
                ).scalars()
            )
    made = _insert_appointments(ctx, schedule.rows(series_ids), when.expected)
    with ctx.operator.write() as s:
        audit.record(
            s,
            user_id=None,
            username=ctx.operator.username,
            action="create",
            entity="demo",
            detail=(
                f"synthetic schedule: {len(providers)} providers ({added} new), "
                f"{types_added} appointment types, {made} appointments from {when.first} "
                f"to {when.last}, {len(series_ids)} series (seed {ctx.seed})"
            ),
        )
    if made < when.expected or made == 0:  # else the last chunk said so already
        ctx.report(AREA, made, made)
    ctx.produced["provider_ids"] = [p.id for p in providers]
    return {
        "providers": added,
        "working_hours": stretches_added,
        "appointment_types": types_added,
        "appointment_series": len(series_ids),
        "appointments": made,
    }


def _insert_appointments(ctx: DemoContext, rows: Iterator[dict], expected: int) -> int:
    """Insert in chunks, a few chunks per transaction, with a large page cache meanwhile: the
    patient index takes its rows in random order, and a small cache rewrites its pages."""
    table = Appointment.__table__
    made = 0
    done = False
    while not done:
        with ctx.operator.write() as s:
            if ctx.db.is_sqlite:
                s.connection().exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
            for _ in range(CHUNKS_PER_TRANSACTION):
                chunk = list(itertools.islice(rows, CHUNK))
                if not chunk:
                    done = True
                    break
                s.execute(insert(table), chunk)
                made += len(chunk)
                ctx.report(AREA, made, max(expected, made))
            if ctx.db.is_sqlite:
                s.connection().exec_driver_sql("PRAGMA cache_size = -2000")  # SQLite's default
    return made
