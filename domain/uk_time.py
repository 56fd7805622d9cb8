"""Statutory deadlines are dates in UK time: an act is due by the end of that day in Europe/London.

The workflow imports this module through the sandbox's pass-through, so ``ZoneInfo`` is built once,
outside the sandbox (see temporal-notes.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
WORKING_DAY_STARTS = time(9, 0)


def end_of_day(day: date) -> datetime:
    """The instant a deadline on ``day`` passes: the next midnight in London, as UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), LONDON).astimezone(UTC)


def start_of_day(day: date) -> datetime:
    """The instant ``day`` begins in London (an earliest date is reached then), as UTC."""
    return datetime.combine(day, time(0), LONDON).astimezone(UTC)


def start_of_working_day(day: date) -> datetime:
    """When reminders for ``day`` go out: 09:00 London, as UTC."""
    return datetime.combine(day, WORKING_DAY_STARTS, LONDON).astimezone(UTC)


def london_date(instant: datetime) -> date:
    """The calendar date in London at ``instant`` (an aware datetime)."""
    return instant.astimezone(LONDON).date()
