"""The demo schedule: providers, hours, types and months of appointments around today,
inside working hours, never double-booked, the same for the same seed."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emr import demo
from emr.config import load_settings
from emr.db import open_database
from emr.demo import scheduling
from emr.localtime import to_local
from emr.models import Appointment, AppointmentSeries, AppointmentType, AuditEvent
from emr.schedule_rules import FREE_STATUSES, Stretch, within_hours
from emr.services.context import Actor
from emr.services.schedule_setup import get_working_hours, list_providers
from emr.services.scheduling import day_schedule
from emr.services.users import create_user

TODAY = date(2026, 11, 25)  # a Wednesday
COLUMNS = [
    c for c in Appointment.__table__.columns if c.name not in {"id", "created_at", "updated_at"}
]


def appointments(db) -> list[Appointment]:
    with db.read() as s:
        found = s.execute(select(Appointment).order_by(Appointment.id)).scalars().all()
        s.expunge_all()
    return found


def local(a: Appointment) -> tuple[datetime, datetime]:
    return to_local(a.starts_at), to_local(a.ends_at)


def hours_by_provider(actor: Actor) -> dict[int, list[Stretch]]:
    return {p.id: get_working_hours(actor, p.id) for p in list_providers(actor)}


def assert_inside_hours_and_never_double_booked(actor: Actor, found: list[Appointment]) -> None:
    hours = hours_by_provider(actor)
    held: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for a in found:
        start, end = local(a)
        assert within_hours(start, end, hours[a.provider_id]), (start, end)
        if a.status not in FREE_STATUSES:
            held[a.provider_id].append((start, end))
    for slots in held.values():
        slots.sort()
        for (_, end), (next_start, _) in zip(slots, slots[1:], strict=False):
            assert end <= next_start


def test_demo_schedule_fills_the_working_hours_around_today(db):
    progress: list[tuple[str, int, int]] = []
    counts = demo.generate(
        db, patients=400, seed=2, today=TODAY, progress=lambda *a: progress.append(a)
    )
    assert counts["providers"] == 3 and counts["appointment_types"] == 5
    assert counts["working_hours"] == 29  # three weeks of 10 stretches, one half day
    appointment_steps = [p for p in progress if p[0] == "appointments"]
    assert appointment_steps[-1] == ("appointments", counts["appointments"], counts["appointments"])
    actor = Actor.operator(db)

    providers = list_providers(actor)
    assert [p.full_name for p in providers] == [
        "Dr. Amara Okafor",
        "Dr. Mei Lin",
        "Dr. Rafael Ortega",
    ]
    hours = hours_by_provider(actor)
    assert sorted(len(h) for h in hours.values()) == [9, 10, 10]
    assert Stretch(0, time(8), time(12)) in hours[providers[0].id]
    assert all(h.weekday < 5 for stretches in hours.values() for h in stretches)

    with db.read() as s:
        types = {t.name: t for t in s.execute(select(AppointmentType)).scalars()}
        s.expunge_all()
        series = s.execute(select(func.count(AppointmentSeries.id))).scalar()
        events = (
            s.execute(select(AuditEvent.detail).where(AuditEvent.entity == "demo")).scalars().all()
        )
    assert {n: t.default_minutes for n, t in types.items()} == {
        "New patient": 30,
        "Follow-up": 15,
        "Annual physical": 30,
        "Procedure": 45,
        "Telehealth": 15,
    }
    assert len({t.colour for t in types.values()}) == 5
    assert all(t.provider_id is None and t.active for t in types.values())
    assert sum(e.startswith("synthetic schedule") for e in events) == 1

    found = appointments(db)
    assert len(found) == counts["appointments"] > 5_000
    assert series == counts["appointment_series"] > 0
    assert_inside_hours_and_never_double_booked(actor, found)

    first, last = TODAY - timedelta(weeks=13), TODAY + timedelta(weeks=13)
    days = {local(a)[0].date() for a in found}
    assert min(days) >= first and min(days) <= first + timedelta(days=3)
    assert max(local(a)[0].date() for a in found if a.series_id is None) >= last - timedelta(3)
    assert all(local(a)[0].date() <= last for a in found if a.series_id is None)
    assert all(a.version == 1 and a.created_by is None for a in found)

    by_when: dict[str, Counter] = {"past": Counter(), "today": Counter(), "future": Counter()}
    for a in found:
        day = local(a)[0].date()
        when = "past" if day < TODAY else "today" if day == TODAY else "future"
        by_when[when][a.status] += 1
    assert set(by_when["past"]) == {"completed", "no_show", "cancelled"}
    assert by_when["past"]["completed"] > 0.8 * sum(by_when["past"].values())
    assert {"completed", "in_room", "arrived", "booked"} <= set(by_when["today"])
    assert set(by_when["future"]) <= {"booked", "confirmed", "cancelled"}
    assert {"booked", "confirmed"} <= set(by_when["future"])
    cancelled = [a for a in found if a.status == "cancelled"]
    assert cancelled and all(a.cancel_reason and a.cancelled_at for a in cancelled)
    completed = [a for a in found if a.status == "completed"]
    assert all(a.arrived_at < a.starts_at < a.completed_at for a in completed)

    # Most of each working day is booked.
    for p in providers:
        today = [a for a in day_schedule(actor, TODAY, p.id)]
        booked = sum(a.minutes for a in today if a.holds_slot)
        worked = sum(
            (datetime.combine(TODAY, h.ends) - datetime.combine(TODAY, h.starts)).seconds // 60
            for h in hours[p.id]
            if h.weekday == TODAY.weekday()
        )
        assert booked >= 0.6 * worked
        assert all(a.colour == types[a.type_name].colour for a in today)

    in_series = [a for a in found if a.series_id is not None]
    one = [a for a in in_series if a.series_id == in_series[0].series_id]
    assert len(one) > 1 and len({local(a)[0].time() for a in one}) == 1
    assert len({local(a)[0].weekday() for a in one}) == 1


def test_the_same_seed_gives_the_same_schedule(db, tmp_path: Path):
    def rows(database) -> list[tuple]:
        with database.read() as s:
            return [tuple(r) for r in s.execute(select(*COLUMNS).order_by(Appointment.id))]

    demo.generate(db, patients=150, seed=5, today=TODAY)
    other = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "other"), "EMR_DB_KEY": "5f" * 32}), create=True
    )
    third = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "third"), "EMR_DB_KEY": "5f" * 32}), create=True
    )
    try:
        demo.generate(other, patients=150, seed=5, today=TODAY)
        demo.generate(third, patients=150, seed=6, today=TODAY)
        assert rows(other) == rows(db)
        assert rows(third) != rows(db)
    finally:
        other.dispose()
        third.dispose()


def test_an_existing_physician_gets_a_schedule_too(db, operator):
    smith = create_user(
        operator,
        username="drsmith",
        full_name="Dr. Alice Smith",
        role="physician",
        password="demo-doctor-2026",
    )
    counts = demo.generate(db, patients=100, seed=1, today=TODAY)
    assert counts["providers"] == 2
    providers = list_providers(operator)
    assert smith.id in [p.id for p in providers] and len(providers) == 3
    assert len(get_working_hours(operator, smith.id)) == 10
    assert day_schedule(operator, TODAY, smith.id)


def test_a_second_run_books_around_the_first(db, operator):
    first = demo.generate(db, patients=100, seed=1, today=TODAY)
    second = demo.generate(db, patients=100, seed=2, today=TODAY)
    assert second["providers"] == second["appointment_types"] == second["working_hours"] == 0
    assert 0 < second["appointments"] < first["appointments"]
    assert_inside_hours_and_never_double_booked(operator, appointments(db))


def test_no_patients_means_no_appointments_but_a_ready_schedule(db, operator):
    counts = demo.generate(db, patients=0, seed=1, today=TODAY)
    assert counts["appointments"] == 0 and counts["providers"] == 3
    assert all(get_working_hours(operator, p.id) for p in list_providers(operator))


@pytest.mark.parametrize("target", [1_000, 20_000])
def test_a_target_number_of_appointments_is_roughly_honoured(db, operator, target):
    counts = demo.generate(db, patients=500, seed=1, today=TODAY, appointments=target)
    assert abs(counts["appointments"] - target) < 0.1 * target
    providers = list_providers(operator)
    assert len(providers) == scheduling.providers_wanted(0, target)
    found = appointments(db)
    assert_inside_hours_and_never_double_booked(operator, found)
    assert min(local(a)[0].date() for a in found) >= TODAY - timedelta(weeks=13)


def test_a_large_target_goes_further_back_in_time():
    week = 20 * 40 * 60  # twenty providers, forty hours each
    plan = scheduling.plan(TODAY, week, 1_000_000)
    assert scheduling.providers_wanted(1, 1_000_000) == scheduling.MAX_PROVIDERS
    assert plan.last == TODAY + timedelta(weeks=13)
    assert TODAY - plan.first > timedelta(days=5 * 365)
    assert 0.8 < plan.fill <= scheduling.FILL
    weeks = (plan.last - plan.first).days / 7
    expected = weeks * week * scheduling.visits_per_minute(plan.fill)
    assert abs(expected - 1_000_000) < 10_000
    natural = scheduling.plan(TODAY, week, None)
    assert natural.first == TODAY - timedelta(weeks=13) and natural.fill == scheduling.FILL
