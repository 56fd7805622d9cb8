"""England & Wales bank holidays from the `holidays` library.

The only module that imports `holidays`: it does not load inside the Temporal workflow sandbox, and
keeping it in an activity records the resulting dates in workflow history, so replay never depends on
the library version a worker happens to have.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import holidays

from domain.calendar import WorkingDayCalendar

# "ENG" and "WLS" give the same list (England and Wales share one set of bank holidays under the
# Banking and Financial Dealings Act 1971). The bare "GB" calendar is NOT it: it leaves out Easter
# Monday and the late summer bank holiday, which Scotland does not have.
_COUNTRY = "GB"
_SUBDIVISION = "ENG"


def england_and_wales_bank_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """Every England & Wales bank holiday falling on a weekday in [first_year, last_year].

    Includes substitute days (e.g. 27 and 28 Dec 2021) and one-off days (2022 jubilee and state
    funeral, 2023 coronation). The library also lists the nominal date of a holiday that falls at a
    weekend (Sat 25 Dec 2021); that is not a day off in its own right, so it is dropped to match the
    published gov.uk list.
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    calendar = holidays.country_holidays(_COUNTRY, subdiv=_SUBDIVISION, years=range(first_year, last_year + 1))
    return frozenset(day for day in calendar if day.weekday() < 5)


def build_calendar(first_year: int, last_year: int, closures: Iterable[date] = ()) -> WorkingDayCalendar:
    """A working-day calendar for [first_year, last_year] plus the board's own closure days."""
    return WorkingDayCalendar(
        bank_holidays=england_and_wales_bank_holidays(first_year, last_year),
        first_year=first_year,
        last_year=last_year,
        closures=frozenset(closures),
    )
