"""The practice's wall clock and UTC.

The database keeps UTC; people think in the local time of this machine (the practice's time
zone). Naive datetimes in the services' records are local wall-clock times; Python converts
them with the system's rules, daylight saving time included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def to_utc(local: datetime) -> datetime:
    """A local wall-clock time (naive) as an aware UTC datetime."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.astimezone().astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """An aware datetime as a naive local wall-clock time."""
    return moment.astimezone().replace(tzinfo=None)


def now_local() -> datetime:
    return datetime.now().replace(microsecond=0)


def day_bounds_utc(first: date, days: int = 1) -> tuple[datetime, datetime]:
    """From local midnight of `first` to local midnight `days` later, in UTC."""
    start = datetime.combine(first, time())
    return to_utc(start), to_utc(start + timedelta(days=days))
