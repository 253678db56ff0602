"""The schedule's rules as plain functions (no database)."""

from datetime import date, datetime, time

from hypothesis import given
from hypothesis import strategies as st

from emr.schedule_rules import (
    Stretch,
    next_free_slot,
    overlaps,
    recurrence_dates,
    round_up,
    stretches_problem,
    within_hours,
)

WEEKDAY_HOURS = [Stretch(d, time(8), time(12)) for d in range(5)] + [
    Stretch(d, time(13), time(17)) for d in range(5)
]


def at(h, m=0, day=date(2026, 12, 1)):  # a Tuesday
    return datetime.combine(day, time(h, m))


def test_touching_appointments_do_not_overlap():
    assert not overlaps(at(9), at(9, 15), at(9, 15), at(9, 30))
    assert overlaps(at(9), at(9, 20), at(9, 15), at(9, 30))


def test_within_hours_needs_one_stretch_to_hold_the_whole_visit():
    assert within_hours(at(8), at(8, 30), WEEKDAY_HOURS)
    assert within_hours(at(11, 45), at(12), WEEKDAY_HOURS)
    assert not within_hours(at(11, 45), at(12, 15), WEEKDAY_HOURS)  # runs into lunch
    assert not within_hours(at(7, 45), at(8, 15), WEEKDAY_HOURS)
    saturday = date(2026, 12, 5)
    assert not within_hours(at(9, day=saturday), at(9, 15, day=saturday), WEEKDAY_HOURS)


def test_overlapping_stretches_are_refused():
    assert stretches_problem(WEEKDAY_HOURS) is None
    assert "overlap" in stretches_problem(
        [Stretch(0, time(8), time(12)), Stretch(0, time(11), time(13))]
    )
    assert "not before" in stretches_problem([Stretch(2, time(12), time(8))])


def test_every_second_week_on_tuesday_and_thursday_for_five_visits():
    dates = recurrence_dates(date(2026, 12, 1), [1, 3], 2, count=5)
    assert dates == [
        date(2026, 12, 1),
        date(2026, 12, 3),
        date(2026, 12, 15),
        date(2026, 12, 17),
        date(2026, 12, 29),
    ]


def test_recurrence_until_a_date_skips_weekdays_before_the_first_day():
    dates = recurrence_dates(date(2026, 12, 2), [0, 2], 1, until=date(2026, 12, 14))
    assert dates == [date(2026, 12, 2), date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 14)]


def test_round_up_to_the_grid():
    assert round_up(at(9, 1), 15) == at(9, 15)
    assert round_up(at(9, 15), 15) == at(9, 15)
    assert round_up(datetime(2026, 12, 1, 9, 10, 30), 5) == at(9, 15)


def test_next_free_slot_skips_busy_time_and_lunch():
    busy = [(at(11, 30), at(12))]
    assert next_free_slot(at(11, 20), 15, WEEKDAY_HOURS, busy, step_minutes=5) == at(13)
    assert next_free_slot(at(11, 5), 30, WEEKDAY_HOURS, busy, step_minutes=15) == at(13)
    assert next_free_slot(at(11), 15, WEEKDAY_HOURS, busy, step_minutes=15) == at(11)


def test_next_free_slot_goes_to_the_next_working_day():
    friday_evening = datetime(2026, 12, 4, 16, 50)
    assert next_free_slot(friday_evening, 15, WEEKDAY_HOURS, []) == datetime(2026, 12, 7, 8)


def test_no_hours_no_slot():
    assert next_free_slot(at(9), 15, [], [], horizon_days=30) is None


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 12)), max_size=20),
    st.integers(0, 100),
    st.sampled_from([5, 10, 15]),
    st.integers(1, 8),
)
def test_the_free_slot_found_is_free_and_in_hours(raw_busy, after_step, grid, length_steps):
    from datetime import timedelta

    day = datetime(2026, 12, 1, 8)
    busy = sorted(
        (day + timedelta(minutes=5 * a), day + timedelta(minutes=5 * (a + n))) for a, n in raw_busy
    )
    after = day + timedelta(minutes=5 * after_step)
    minutes = 5 * length_steps
    found = next_free_slot(after, minutes, WEEKDAY_HOURS, busy, step_minutes=grid)
    assert found is not None and found >= after
    end = found + timedelta(minutes=minutes)
    assert within_hours(found, end, WEEKDAY_HOURS)
    assert not any(overlaps(found, end, a, b) for a, b in busy)
    assert (found.hour * 60 + found.minute) % grid == 0
