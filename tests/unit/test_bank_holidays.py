"""England & Wales bank holidays from `holidays` (activities/bank_holidays.py), checked against gov.uk."""

from __future__ import annotations

from datetime import date

import pytest

from activities.bank_holidays import build_calendar, england_and_wales_bank_holidays
from domain.calendar import CalendarRangeError
from domain.rule_pack import SCR_2015, CaseEvent, compute_deadlines

# The gov.uk England and Wales list, written out by hand as an oracle independent of the library.
GOV_UK: dict[int, list[tuple[int, int]]] = {
    2015: [(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)],
    2016: [(1, 1), (3, 25), (3, 28), (5, 2), (5, 30), (8, 29), (12, 26), (12, 27)],
    2017: [(1, 2), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)],
    2018: [(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)],
    2019: [(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
    2020: [(1, 1), (4, 10), (4, 13), (5, 8), (5, 25), (8, 31), (12, 25), (12, 28)],
    2021: [(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)],
    2022: [(1, 3), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (8, 29), (9, 19), (12, 26), (12, 27)],
    2023: [(1, 2), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (8, 28), (12, 25), (12, 26)],
    2024: [(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
    2025: [(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)],
    2026: [(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)],
    2027: [(1, 1), (3, 26), (3, 29), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)],
    2028: [(1, 3), (4, 14), (4, 17), (5, 1), (5, 29), (8, 28), (12, 25), (12, 26)],
    2029: [(1, 1), (3, 30), (4, 2), (5, 7), (5, 28), (8, 27), (12, 25), (12, 26)],
    2030: [(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)],
}
EXPECTED = frozenset(date(year, m, d) for year, days in GOV_UK.items() for m, d in days)

HOLIDAYS = england_and_wales_bank_holidays(2015, 2030)
CAL = build_calendar(2015, 2031)


def test_matches_the_gov_uk_list_2015_to_2030() -> None:
    assert sorted(HOLIDAYS - EXPECTED) == []  # nothing extra (e.g. Scotland- or NI-only days)
    assert sorted(EXPECTED - HOLIDAYS) == []  # nothing missing


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_each_year_separately(year: int) -> None:
    assert england_and_wales_bank_holidays(year, year) == {d for d in EXPECTED if d.year == year}


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2016, 3, 28), "Easter Monday (the bare GB calendar leaves it out)"),
        (date(2021, 4, 5), "Easter Monday"),
        (date(2016, 8, 29), "late summer bank holiday (the bare GB calendar leaves it out)"),
        (date(2016, 12, 27), "Christmas Day on a Sunday: substitute Tuesday"),
        (date(2017, 1, 2), "New Year's Day on a Sunday: substitute Monday"),
        (date(2020, 12, 28), "Boxing Day on a Saturday: substitute Monday"),
        (date(2021, 12, 27), "Christmas Day on a Saturday: substitute Monday"),
        (date(2021, 12, 28), "Boxing Day on a Sunday: substitute Tuesday"),
        (date(2022, 1, 3), "New Year's Day on a Saturday: substitute Monday"),
        (date(2022, 12, 27), "Christmas Day on a Sunday: substitute Tuesday"),
        (date(2023, 1, 2), "New Year's Day on a Sunday: substitute Monday"),
        (date(2027, 12, 27), "Christmas Day on a Saturday: substitute Monday"),
        (date(2027, 12, 28), "Boxing Day on a Sunday: substitute Tuesday"),
        (date(2020, 5, 8), "VE Day 75: early May bank holiday moved to Friday 8 May"),
        (date(2022, 6, 2), "spring bank holiday moved to Thursday 2 June"),
        (date(2022, 6, 3), "Platinum Jubilee"),
        (date(2022, 9, 19), "State funeral of Queen Elizabeth II"),
        (date(2023, 5, 8), "Coronation of King Charles III"),
    ],
)
def test_includes(day: date, why: str) -> None:
    assert day in HOLIDAYS, why
    assert not CAL.is_working_day(day), why


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2020, 5, 4), "the 2020 early May bank holiday moved to 8 May: 4 May was a working day"),
        (date(2022, 5, 30), "the 2022 spring bank holiday moved to 2 June: 30 May was a working day"),
        (date(2020, 1, 2), "Scotland-only 2 January"),
        (date(2020, 8, 3), "Scotland-only summer bank holiday"),
        (date(2020, 11, 30), "Scotland-only St Andrew's Day (a Monday)"),
        (date(2022, 1, 4), "Scotland-only substitute for 2 January"),
        (date(2020, 3, 17), "Northern Ireland-only St Patrick's Day"),
        (date(2020, 7, 13), "Northern Ireland-only Battle of the Boyne (substitute)"),
        (date(2023, 7, 12), "Northern Ireland-only Battle of the Boyne"),
    ],
)
def test_excludes_and_these_are_working_days(day: date, why: str) -> None:
    assert day not in HOLIDAYS, why
    assert CAL.is_working_day(day), why


def test_nominal_weekend_dates_are_not_listed() -> None:
    # The library lists Sat 25 Dec 2021 itself; the substitute day is the bank holiday.
    assert {date(2021, 12, 25), date(2021, 12, 26), date(2022, 1, 1), date(2022, 12, 25)}.isdisjoint(HOLIDAYS)
    assert all(day.weekday() < 5 for day in HOLIDAYS)


def test_range_is_respected() -> None:
    holidays = england_and_wales_bank_holidays(2019, 2020)
    assert {d.year for d in holidays} == {2019, 2020}
    with pytest.raises(ValueError, match="after last_year"):
        england_and_wales_bank_holidays(2021, 2020)


def test_build_calendar() -> None:
    cal = build_calendar(2016, 2017, closures=[date(2016, 12, 28)])
    assert (cal.first_year, cal.last_year) == (2016, 2017)
    assert cal.bank_holidays == {d for d in EXPECTED if d.year in (2016, 2017)}
    assert cal.closures == frozenset({date(2016, 12, 28)})
    # Board closure between Christmas and New Year pushes the worked example on by a day.
    assert cal.add_working_days(date(2016, 12, 22), 5) == date(2017, 1, 4)
    with pytest.raises(CalendarRangeError, match="2018"):
        cal.add_working_days(date(2017, 12, 22), 5)


# A 5-working-day notification deadline (notify_ofsted) across every shape of bank holiday.
@pytest.mark.parametrize(
    ("aware", "due"),
    [
        (date(2016, 3, 24), date(2016, 4, 4)),  # worked example: Easter 2016
        (date(2025, 4, 17), date(2025, 4, 28)),  # Easter 2025
        (date(2030, 4, 18), date(2030, 4, 29)),  # Easter 2030, end of the table
        (date(2026, 4, 29), date(2026, 5, 7)),  # early May 2026
        (date(2024, 8, 22), date(2024, 8, 30)),  # late summer 2024
        (date(2015, 12, 23), date(2016, 1, 4)),  # Boxing Day Sat -> Mon 28; New Year Friday
        (
            date(2016, 12, 22),
            date(2017, 1, 3),
        ),  # worked example: Christmas Sun -> Tue 27; New Year Sun -> Mon 2
        (date(2020, 12, 23), date(2021, 1, 4)),  # Boxing Day Sat -> Mon 28
        (date(2021, 12, 23), date(2022, 1, 4)),  # Christmas Sat/Boxing Sun -> 27/28; New Year Sat -> Mon 3
        (date(2022, 12, 23), date(2023, 1, 4)),  # Christmas Sun -> Tue 27; New Year Sun -> Mon 2
        (date(2027, 12, 24), date(2028, 1, 5)),  # Christmas Sat/Boxing Sun; New Year 2028 Sat -> Mon 3
        (date(2020, 5, 4), date(2020, 5, 12)),  # VE day: Fri 8 May skipped
        (date(2020, 4, 29), date(2020, 5, 6)),  # ... and Mon 4 May 2020 counted as a working day
        (date(2022, 5, 31), date(2022, 6, 9)),  # jubilee: Thu 2 and Fri 3 June skipped
        (date(2022, 5, 24), date(2022, 5, 31)),  # ... and Mon 30 May 2022 counted as a working day
        (date(2022, 9, 14), date(2022, 9, 22)),  # state funeral Mon 19 Sep
        (date(2023, 4, 28), date(2023, 5, 9)),  # May Day and the coronation in one deadline
    ],
)
def test_notify_ofsted_across_bank_holidays(aware: date, due: date) -> None:
    (deadline,) = compute_deadlines(SCR_2015, CAL, {CaseEvent.AWARE: aware})[:1]
    assert deadline.key == "notify_ofsted"
    assert deadline.due == due
    assert CAL.working_days_between(aware, due) == 5


# A 7-working-day pre-publication notice (counted backwards) across the one-off and moved days.
@pytest.mark.parametrize(
    ("publication", "notice_by"),
    [
        (date(2017, 5, 3), date(2017, 4, 21)),  # worked example: May Day skipped
        (date(2022, 4, 19), date(2022, 4, 6)),  # Easter 2022
        (date(2022, 6, 8), date(2022, 5, 26)),  # jubilee skipped, 30 May counted
        (date(2022, 9, 21), date(2022, 9, 9)),  # state funeral
        (date(2023, 1, 5), date(2022, 12, 22)),  # New Year and Christmas substitutes
        (date(2023, 5, 10), date(2023, 4, 27)),  # coronation and May Day
        (date(2020, 5, 12), date(2020, 4, 30)),  # VE day skipped, 4 May counted
    ],
)
def test_prepublication_notice_across_bank_holidays(publication: date, notice_by: date) -> None:
    (deadline,) = compute_deadlines(SCR_2015, CAL, {CaseEvent.PUBLICATION_PLANNED: publication})
    assert deadline.key == "prepublication_notice"
    assert deadline.due == notice_by
    assert CAL.working_days_between(notice_by, publication) == 7


def test_holidays_import_is_confined_to_this_module() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    importers = sorted(
        str(path.relative_to(root))
        for package in ("domain", "workflows")
        if (root / package).is_dir()
        for path in (root / package).rglob("*.py")
        if "import holidays" in path.read_text(encoding="utf-8") or "from holidays" in path.read_text(encoding="utf-8")
    )
    assert importers == []
