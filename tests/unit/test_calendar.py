"""Working-day and calendar-month arithmetic (domain/calendar.py), plus the purity of domain/."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import CalendarRangeError, WorkingDayCalendar, add_calendar_months

# A hand-made calendar so these tests do not depend on the `holidays` library.
HOLIDAYS_2016 = frozenset(
    {
        date(2016, 1, 1),
        date(2016, 3, 25),  # Good Friday
        date(2016, 3, 28),  # Easter Monday
        date(2016, 5, 2),
        date(2016, 5, 30),
        date(2016, 8, 29),
        date(2016, 12, 26),
        date(2016, 12, 27),  # substitute for Christmas Day on a Sunday
        date(2017, 1, 2),  # substitute for New Year's Day on a Sunday
    }
)
CAL = WorkingDayCalendar(bank_holidays=HOLIDAYS_2016, first_year=2016, last_year=2017)

# Per-test settings rather than a profile, so other test modules keep their own.
PROPERTY = settings(max_examples=150, deadline=None)


def _is_working(day: date, holidays: frozenset[date], closures: frozenset[date] = frozenset()) -> bool:
    """Independent oracle for the definition in scr-process.md."""
    return day.weekday() < 5 and day not in holidays and day not in closures


# --- is_working_day -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2016, 3, 24), True),  # Thursday
        (date(2016, 3, 25), False),  # Good Friday
        (date(2016, 3, 26), False),  # Saturday
        (date(2016, 3, 27), False),  # Sunday
        (date(2016, 3, 28), False),  # Easter Monday
        (date(2016, 3, 29), True),
        (date(2016, 12, 25), False),  # Sunday
        (date(2016, 12, 27), False),  # substitute day
        (date(2016, 12, 28), True),
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert CAL.is_working_day(day) is expected


def test_closure_days_are_not_working_days() -> None:
    cal = WorkingDayCalendar(HOLIDAYS_2016, 2016, 2017, closures=frozenset({date(2016, 12, 28)}))
    assert not cal.is_working_day(date(2016, 12, 28))
    assert CAL.is_working_day(date(2016, 12, 28))
    # Thu 22 Dec + 5 skips the closure as well: 23, 29, 30, (2 Jan BH) 3, 4.
    assert cal.add_working_days(date(2016, 12, 22), 5) == date(2017, 1, 4)


def test_list_inputs_are_normalised_to_frozensets() -> None:
    # Payloads deserialised without type hints arrive as lists.
    cal = WorkingDayCalendar(
        bank_holidays=[date(2016, 3, 25)],  # type: ignore[arg-type]
        first_year=2016,
        last_year=2016,
        closures=[date(2016, 3, 24)],  # type: ignore[arg-type]
    )
    assert isinstance(cal.bank_holidays, frozenset)
    assert isinstance(cal.closures, frozenset)
    assert cal.add_working_days(date(2016, 3, 23), 1) == date(2016, 3, 28)


def test_first_year_after_last_year_is_rejected() -> None:
    with pytest.raises(ValueError, match="2017 is after last_year 2016"):
        WorkingDayCalendar(frozenset(), 2017, 2016)


def test_datetime_is_rejected_because_it_never_equals_a_holiday_date() -> None:
    assert datetime(2016, 3, 25) != date(2016, 3, 25)  # why the check exists
    with pytest.raises(TypeError, match="expected a date"):
        CAL.is_working_day(datetime(2016, 3, 25, 9, 0))
    with pytest.raises(TypeError):
        CAL.add_working_days(datetime(2016, 3, 24), 1)


# --- adding and subtracting working days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2016, 3, 24), 5, date(2016, 4, 4)),  # worked example: Easter skipped
        (date(2016, 12, 22), 5, date(2017, 1, 3)),  # worked example: Christmas and New Year
        (date(2016, 3, 24), 1, date(2016, 3, 29)),
        (date(2016, 3, 26), 1, date(2016, 3, 29)),  # from a Saturday in a bank-holiday weekend
        (date(2016, 3, 25), 0, date(2016, 3, 25)),  # n == 0 is the day itself, even a holiday
        (date(2016, 6, 3), 1, date(2016, 6, 6)),  # Friday → Monday
        (date(2016, 6, 6), 10, date(2016, 6, 20)),  # two ordinary weeks
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2016, 4, 4), 5, date(2016, 3, 24)),
        (date(2017, 1, 3), 5, date(2016, 12, 22)),
        (date(2016, 3, 29), 1, date(2016, 3, 24)),
        (date(2016, 3, 27), 1, date(2016, 3, 24)),  # from Easter Sunday
        (date(2016, 12, 27), 0, date(2016, 12, 27)),
        (date(2016, 6, 6), 1, date(2016, 6, 3)),
    ],
)
def test_subtract_working_days(start: date, n: int, expected: date) -> None:
    assert CAL.subtract_working_days(start, n) == expected


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        CAL.add_working_days(date(2016, 6, 6), -1)
    with pytest.raises(ValueError, match="must not be negative"):
        CAL.subtract_working_days(date(2016, 6, 6), -3)


# --- range checks ---------------------------------------------------------------------------------


def test_range_error_when_a_deadline_runs_past_the_last_known_year() -> None:
    cal = WorkingDayCalendar(HOLIDAYS_2016, 2016, 2016)
    assert cal.add_working_days(date(2016, 12, 29), 1) == date(2016, 12, 30)
    with pytest.raises(CalendarRangeError, match=r"2017-01-01 is in 2017.*\(2016-2016\)"):
        cal.add_working_days(date(2016, 12, 29), 2)


def test_range_error_when_counting_back_before_the_first_known_year() -> None:
    with pytest.raises(CalendarRangeError, match="2015"):
        CAL.subtract_working_days(date(2016, 1, 4), 2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_working_day(date(2015, 12, 31)),
        lambda: CAL.is_working_day(date(2018, 1, 1)),
        lambda: CAL.add_working_days(date(2018, 1, 1), 0),
        lambda: CAL.subtract_working_days(date(2015, 6, 1), 0),
        lambda: CAL.working_days_between(date(2016, 1, 1), date(2018, 1, 2)),
        lambda: CAL.working_days_between(date(2015, 12, 31), date(2016, 1, 5)),
    ],
)
def test_any_date_outside_the_range_raises(call: object) -> None:
    assert callable(call)
    with pytest.raises(CalendarRangeError):
        call()


def test_range_error_is_a_value_error() -> None:
    # Callers that already turn ValueError into a 422 keep working.
    assert issubclass(CalendarRangeError, ValueError)


# --- working_days_between -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2016, 3, 24), date(2016, 3, 24), 0),
        (date(2016, 3, 24), date(2016, 4, 4), 5),
        (date(2016, 4, 4), date(2016, 3, 24), -5),
        (date(2016, 3, 23), date(2016, 3, 24), 1),  # end counted
        (date(2016, 3, 24), date(2016, 3, 28), 0),  # start not counted; the rest are holidays/weekend
        (date(2016, 12, 23), date(2017, 1, 3), 4),  # 28, 29, 30 Dec and 3 Jan; 23 Dec not counted
        # 2016: 261 weekdays, less 1 Jan (not counted) and the 7 other weekday bank holidays.
        (date(2016, 1, 1), date(2016, 12, 31), 253),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert CAL.working_days_between(start, end) == expected


# --- properties -----------------------------------------------------------------------------------

# Far enough from the calendar's edges that 40 working days either way stay inside it.
_DAYS = st.dates(min_value=date(2016, 3, 1), max_value=date(2016, 10, 31))
_COUNTS = st.integers(min_value=0, max_value=40)
_CLOSURES = st.frozensets(st.dates(min_value=date(2016, 1, 1), max_value=date(2017, 6, 30)), max_size=15)


@PROPERTY
@given(day=_DAYS, n=_COUNTS, closures=_CLOSURES)
def test_results_are_never_weekends_holidays_or_closures(day: date, n: int, closures: frozenset[date]) -> None:
    cal = WorkingDayCalendar(HOLIDAYS_2016, 2016, 2017, closures=closures)
    if n == 0:
        return
    for result in (cal.add_working_days(day, n), cal.subtract_working_days(day + timedelta(days=200), n)):
        assert _is_working(result, HOLIDAYS_2016, closures)


@PROPERTY
@given(day=_DAYS, n=_COUNTS, closures=_CLOSURES)
def test_add_then_subtract_from_a_working_day_returns_it(day: date, n: int, closures: frozenset[date]) -> None:
    cal = WorkingDayCalendar(HOLIDAYS_2016, 2016, 2017, closures=closures)
    while not _is_working(day, HOLIDAYS_2016, closures):
        day += timedelta(days=1)
    assert cal.subtract_working_days(cal.add_working_days(day, n), n) == day
    assert cal.add_working_days(cal.subtract_working_days(day, n), n) == day


@PROPERTY
@given(day=_DAYS, n=_COUNTS, closures=_CLOSURES)
def test_between_counts_exactly_n_working_days_to_the_result(day: date, n: int, closures: frozenset[date]) -> None:
    cal = WorkingDayCalendar(HOLIDAYS_2016, 2016, 2017, closures=closures)
    result = cal.add_working_days(day, n)
    assert cal.working_days_between(day, result) == n
    assert cal.working_days_between(result, day) == -n
    # Independent oracle: exactly n working days in (day, result], and result is the last of them.
    span = [day + timedelta(days=i) for i in range(1, (result - day).days + 1)]
    assert sum(_is_working(d, HOLIDAYS_2016, closures) for d in span) == n
    if n:
        assert _is_working(result, HOLIDAYS_2016, closures)


@PROPERTY
@given(a=_DAYS, b=_DAYS)
def test_between_is_antisymmetric_and_additive(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)
    mid = min(a, b) + (max(a, b) - min(a, b)) // 2
    assert CAL.working_days_between(a, b) == CAL.working_days_between(a, mid) + CAL.working_days_between(mid, b)


@PROPERTY
@given(day=_DAYS, n=st.integers(min_value=0, max_value=30))
def test_more_working_days_is_strictly_later(day: date, n: int) -> None:
    assert CAL.add_working_days(day, n + 1) > CAL.add_working_days(day, n)
    later = day + timedelta(days=60)
    assert CAL.subtract_working_days(later, n + 1) < CAL.subtract_working_days(later, n)


# --- calendar months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2016, 1, 31), 1, date(2016, 2, 29)),  # worked example: clamped, leap year
        (date(2017, 1, 31), 1, date(2017, 2, 28)),
        (date(2016, 1, 30), 1, date(2016, 2, 29)),
        (date(2016, 1, 29), 1, date(2016, 2, 29)),
        (date(2016, 1, 28), 1, date(2016, 2, 28)),
        (date(2016, 4, 20), 6, date(2016, 10, 20)),  # worked example: review completion
        (date(2016, 5, 4), 12, date(2017, 5, 4)),  # worked example: website minimum
        (date(2016, 8, 31), 6, date(2017, 2, 28)),
        (date(2019, 8, 31), 6, date(2020, 2, 29)),
        (date(2016, 2, 29), 12, date(2017, 2, 28)),
        (date(2016, 2, 29), 48, date(2020, 2, 29)),
        (date(2016, 3, 31), 1, date(2016, 4, 30)),
        (date(2016, 12, 15), 1, date(2017, 1, 15)),  # year rollover
        (date(2016, 1, 31), 11, date(2016, 12, 31)),  # December keeps its 31st
        (date(2016, 12, 31), 12, date(2017, 12, 31)),
        (date(2017, 1, 31), -1, date(2016, 12, 31)),
        (date(2016, 11, 30), 3, date(2017, 2, 28)),
        (date(2016, 1, 15), 0, date(2016, 1, 15)),
        (date(2016, 3, 31), -1, date(2016, 2, 29)),  # backwards, clamped
        (date(2017, 1, 15), -1, date(2016, 12, 15)),  # backwards over a year boundary
        (date(2016, 5, 31), -15, date(2015, 2, 28)),
        (date(2016, 1, 31), 25, date(2018, 2, 28)),
    ],
)
def test_add_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_calendar_months(day, months) == expected


@PROPERTY
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    months=st.integers(min_value=-600, max_value=600),
)
def test_add_calendar_months_keeps_or_clamps_the_day(day: date, months: int) -> None:
    result = add_calendar_months(day, months)
    # The target month is exactly `months` away.
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    next_month_first = (result.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_length = (next_month_first - timedelta(days=1)).day
    assert result.day == min(day.day, month_length)
    if day.day <= 28:
        assert add_calendar_months(result, -months) == day


# --- purity of domain/ ----------------------------------------------------------------------------

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {
    "the holidays library": re.compile(r"^\s*(import\s+holidays\b|from\s+holidays\b)", re.MULTILINE),
    "datetime.now": re.compile(r"\bdatetime\.now\b"),
    "datetime.utcnow": re.compile(r"\butcnow\b"),
    "date.today": re.compile(r"\b(date|datetime)\.today\b"),
    "time.time": re.compile(r"\btime\.(time|time_ns|monotonic)\("),
}


def test_domain_sources_never_read_the_clock_or_import_holidays() -> None:
    sources = sorted(DOMAIN.rglob("*.py"))
    assert DOMAIN / "calendar.py" in sources  # the scan is looking at the right place
    offences = [
        f"{path.relative_to(DOMAIN.parent)}: {what}"
        for path in sources
        for what, pattern in FORBIDDEN.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offences == []


def test_forbidden_patterns_do_catch_offending_code() -> None:
    # Guard against a scan that silently matches nothing.
    offending = "import holidays\nfrom datetime import date\nx = date.today()\ny = datetime.now(UTC)\n"
    assert {what for what, p in FORBIDDEN.items() if p.search(offending)} == {
        "the holidays library",
        "date.today",
        "datetime.now",
    }


def test_importing_domain_does_not_load_holidays() -> None:
    code = (
        "import sys, domain.calendar, domain.rule_pack, domain.criteria\n"
        "assert 'holidays' not in sys.modules, 'domain pulled in holidays'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=DOMAIN.parent, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
