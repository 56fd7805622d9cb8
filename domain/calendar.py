"""Working days and calendar months, as statutory deadlines count them (scr-process.md, "Deadlines").

Pure: the bank holidays are handed in (loaded by an activity from the `holidays` library), so this
module is safe inside the Temporal workflow sandbox and replays identically whatever library version
a worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday is 0, so Saturday and Sunday are 5 and 6


class CalendarRangeError(ValueError):
    """A date falls outside the years the calendar knows bank holidays for.

    Guessing would silently treat an unknown bank holiday as a working day and move a statutory
    deadline, so the caller must build a calendar that covers the dates it asks about.
    """


@dataclass(frozen=True)
class WorkingDayCalendar:
    """England & Wales working days: not a weekend, not a bank holiday, not a board closure day."""

    bank_holidays: frozenset[date]
    first_year: int
    last_year: int
    closures: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.first_year > self.last_year:
            raise ValueError(f"first_year {self.first_year} is after last_year {self.last_year}")
        # Deserialised payloads arrive as lists; normalise so membership tests are O(1) and hashing works.
        object.__setattr__(self, "bank_holidays", frozenset(self.bank_holidays))
        object.__setattr__(self, "closures", frozenset(self.closures))

    def _check(self, day: date) -> None:
        # A datetime never equals a date, so it would slip past the holiday set unnoticed.
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"expected a date, got {type(day).__name__}: {day!r}")
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarRangeError(
                f"{day.isoformat()} is in {day.year}, outside the years this calendar knows bank "
                f"holidays for ({self.first_year}-{self.last_year})"
            )

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        return day.weekday() < _SATURDAY and day not in self.bank_holidays and day not in self.closures

    def _step(self, day: date, n: int, step: timedelta) -> date:
        if n < 0:
            raise ValueError(f"number of working days must not be negative, got {n}")
        self._check(day)
        for _ in range(n):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The Nth working day after `day` (`day` itself not counted); `day` itself when n == 0."""
        return self._step(day, n, _ONE_DAY)

    def subtract_working_days(self, day: date, n: int) -> date:
        """The Nth working day before `day` (`day` itself not counted); `day` itself when n == 0."""
        return self._step(day, n, -_ONE_DAY)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; the negated mirror count when end < start.

        So `working_days_between(d, add_working_days(d, n)) == n` for every d and n >= 0.
        """
        if end < start:
            return -self.working_days_between(end, start)
        self._check(start)
        self._check(end)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count


def add_calendar_months(day: date, months: int) -> date:
    """Same day of the month `months` later (or earlier), clamped to the month's end.

    31 Jan + 1 month = 28 Feb (29 in a leap year): a deadline never spills into the following month.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month_index = divmod(index, 12)
    month = month_index + 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - _ONE_DAY).day
