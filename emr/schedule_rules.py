"""The schedule's rules as plain functions: statuses, overlaps, working hours, recurrence and
the next free slot. Times here are local wall-clock datetimes (naive)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

STATUSES: dict[str, str] = {
    "booked": "Booked",
    "confirmed": "Confirmed",
    "arrived": "Arrived",
    "in_room": "In room",
    "completed": "Completed",
    "no_show": "No-show",
    "cancelled": "Cancelled",
}
# A cancelled or missed appointment no longer holds its slot.
FREE_STATUSES = frozenset({"cancelled", "no_show"})
# Statuses a whole-series change or cancellation may touch: the visit has not happened yet.
UPCOMING_STATUSES = frozenset({"booked", "confirmed"})

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
GRID_MINUTES = (5, 10, 15)
MAX_APPOINTMENT_MINUTES = 480
MAX_OCCURRENCES = 200
FREE_SLOT_HORIZON_DAYS = 366


@dataclass(frozen=True)
class Stretch:
    """Part of a provider's working day: `weekday` from `starts` to `ends`."""

    weekday: int
    starts: time
    ends: time


Busy = tuple[datetime, datetime]


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def within_hours(start: datetime, end: datetime, hours: Iterable[Stretch]) -> bool:
    """Does [start, end) lie inside one working stretch of that day?"""
    if end.date() != start.date() and end != datetime.combine(start.date() + timedelta(1), time()):
        return False
    end_time = time.max if end.date() != start.date() else end.time()
    return any(
        h.weekday == start.weekday() and h.starts <= start.time() and end_time <= h.ends
        for h in hours
    )


def stretches_problem(hours: Sequence[Stretch]) -> str | None:
    """Why these working hours cannot be kept, or None."""
    for h in hours:
        if not 0 <= h.weekday <= 6:
            return f"Weekday {h.weekday} is not 0 (Monday) to 6 (Sunday)."
        if h.starts >= h.ends:
            return f"{WEEKDAYS[h.weekday]}: {h.starts:%H:%M} is not before {h.ends:%H:%M}."
    ordered = sorted(hours, key=lambda h: (h.weekday, h.starts))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a.weekday == b.weekday and b.starts < a.ends:
            return (
                f"{WEEKDAYS[a.weekday]}: {a.starts:%H:%M}–{a.ends:%H:%M} and "
                f"{b.starts:%H:%M}–{b.ends:%H:%M} overlap."
            )
    return None


def recurrence_dates(
    first: date,
    weekdays: Iterable[int],
    every_weeks: int,
    *,
    until: date | None = None,
    count: int | None = None,
) -> list[date]:
    """The dates of a series: on `weekdays` of every `every_weeks`-th week counted from the
    week of `first` (weeks start on Monday), from `first` on, until a date or for a count."""
    days = sorted(set(weekdays))
    if not days or every_weeks < 1 or (until is None and count is None):
        return []
    limit = min(count or MAX_OCCURRENCES, MAX_OCCURRENCES)
    monday = first - timedelta(days=first.weekday())
    found: list[date] = []
    while len(found) < limit:
        for d in days:
            day = monday + timedelta(days=d)
            if day < first:
                continue
            if until is not None and day > until:
                return found
            found.append(day)
            if len(found) == limit:
                return found
        monday += timedelta(weeks=every_weeks)
    return found


def round_up(moment: datetime, step_minutes: int) -> datetime:
    """The first grid time (every `step_minutes` from midnight) at or after `moment`."""
    moment = moment.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if moment.second or moment.microsecond else timedelta()
    )
    past = (moment.hour * 60 + moment.minute) % step_minutes
    return moment + timedelta(minutes=(step_minutes - past) % step_minutes)


def next_free_slot(
    after: datetime,
    minutes: int,
    hours: Sequence[Stretch],
    busy: Sequence[Busy],
    *,
    step_minutes: int = 5,
    horizon_days: int = FREE_SLOT_HORIZON_DAYS,
) -> datetime | None:
    """The earliest start at or after `after`, on the grid, inside working hours, that
    overlaps nothing in `busy` (sorted by start). None if there is none within the horizon."""
    length = timedelta(minutes=minutes)
    busy = sorted(busy)
    by_day: dict[int, list[Stretch]] = {}
    for h in hours:
        by_day.setdefault(h.weekday, []).append(h)
    for stretches in by_day.values():
        stretches.sort(key=lambda h: h.starts)
    first = 0  # busy intervals that end before the candidate are never looked at again
    for offset in range(horizon_days + 1):
        day = after.date() + timedelta(days=offset)
        for stretch in by_day.get(day.weekday(), []):
            opens = datetime.combine(day, stretch.starts)
            closes = datetime.combine(day, stretch.ends)
            candidate = round_up(max(opens, after), step_minutes)
            while candidate + length <= closes:
                while first < len(busy) and busy[first][1] <= candidate:
                    first += 1
                clash = None
                for j in range(first, len(busy)):
                    b = busy[j]
                    if b[0] >= candidate + length:
                        break
                    if overlaps(candidate, candidate + length, *b):
                        clash = b
                        break
                if clash is None:
                    return candidate
                candidate = round_up(clash[1], step_minutes)
    return None
