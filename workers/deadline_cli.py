"""`scr deadlines`: the statutory deadlines that a case's dates determine, for staff to check by hand.

No arithmetic of its own: the dates go through the same activity function the case workflow uses
(`schedule_deadlines`: the "SCR 2015" rule pack and England & Wales bank holidays), so the tool and the
service can never disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from activities.deadline_activities import schedule_deadlines
from domain.case_messages import ComputeDeadlinesInput, ScheduledDeadline
from domain.rule_pack import SCR_2015, CaseEvent

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEADERS = ("key", "due", "rule", "source")
# Not strftime("%a"): that follows the locale.
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class DeadlineInputError(ValueError):
    """The command line cannot give deadlines; the message is one line, fit for stderr."""


def option_name(event: CaseEvent) -> str:
    """The command-line option for an event, e.g. ``--aware-on``."""
    return "--" + event.value.replace("_", "-")


def parse_day(event: CaseEvent, text: str) -> date:
    """A YYYY-MM-DD date given for ``event``; anything else is a :class:`DeadlineInputError`."""
    problem = f"{option_name(event)} {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2016-03-24"
    if not _ISO_DATE.fullmatch(text.strip()):
        raise DeadlineInputError(problem)
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise DeadlineInputError(f"{problem} ({error})") from None


def parse_events(given: Mapping[CaseEvent, str | None]) -> dict[CaseEvent, date]:
    """The events that have a date; at least one must."""
    events = {event: parse_day(event, text) for event, text in given.items() if text is not None}
    if not events:
        options = ", ".join(option_name(event) for event in CaseEvent)
        raise DeadlineInputError(f"give at least one date: {options}")
    return events


def deadlines_for(events: Mapping[CaseEvent, date], closures: Iterable[date] = ()) -> list[ScheduledDeadline]:
    """Every deadline of the current rule pack that runs from one of ``events``, in pack order."""
    data = ComputeDeadlinesInput(
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        events={event.value: day for event, day in events.items()},
    )
    try:
        return schedule_deadlines(data, closures)
    except (ValueError, OverflowError) as error:
        # Dates at the ends of the calendar (year 1, year 9999) leave no room for the periods.
        given = ", ".join(f"{option_name(event)} {day.isoformat()}" for event, day in events.items())
        raise DeadlineInputError(f"cannot compute deadlines from {given}: {error}") from None


def render_json(deadlines: Sequence[ScheduledDeadline]) -> str:
    """One JSON object: each deadline's key mapped to its ISO due date."""
    return json.dumps({deadline.key: deadline.due.isoformat() for deadline in deadlines})


def render_table(deadlines: Sequence[ScheduledDeadline]) -> str:
    """A plain-text table: key, due date with its weekday, rule and source."""
    rows = [_HEADERS] + [
        (
            deadline.key,
            f"{_WEEKDAYS[deadline.due.weekday()]} {deadline.due.isoformat()}",
            deadline.rule,
            deadline.source,
        )
        for deadline in deadlines
    ]
    key_width, due_width, rule_width = (max(len(row[column]) for row in rows) for column in range(3))
    return "\n".join(
        f"{key.ljust(key_width)}  {due.ljust(due_width)}  {rule.ljust(rule_width)}  {source}".rstrip()
        for key, due, rule, source in rows
    )


def deadlines_report(given: Mapping[CaseEvent, str | None], *, as_json: bool, closures: Iterable[date] = ()) -> str:
    """What `scr deadlines` prints on stdout; raises :class:`DeadlineInputError` for bad input."""
    deadlines = deadlines_for(parse_events(given), closures)
    return render_json(deadlines) if as_json else render_table(deadlines)
