"""The deadline calendar as iCalendar (RFC 5545), written by the ``icalendar`` package: one all-day event per open
deadline, named by case reference and deadline title only (never anything that identifies a child)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from domain.rule_pack import cite_for_board
from store.models import Case, CaseDeadline

PRODUCT_ID = "-//LSCB//Serious Case Reviews//EN"
UID_DOMAIN = "scr.lscb"


def deadline_ics(
    *,
    deadlines: Iterable[tuple[Case, CaseDeadline]],
    stamp: datetime,
    procedure_of: Callable[[str], str | None] = lambda _board: None,
) -> bytes:
    """The calendar of ``deadlines`` (case, deadline) as .ics bytes, each event stamped ``stamp`` (UTC); each
    deadline cites its case's board's procedure (``procedure_of``).

    An event's UID is stable per case and deadline, so a calendar app updates it in place when the date moves."""
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("calscale", "GREGORIAN")
    for case, deadline in deadlines:
        state = "MISSED" if deadline.status == "overdue" else "due"
        event = Event()
        event.add("uid", f"{case.reference}-{deadline.key.replace(':', '-')}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", deadline.due)  # a date: an all-day event
        event.add("dtend", deadline.due + timedelta(days=1))
        event.add("summary", f"{case.reference}: {deadline.title} ({state})")
        source = cite_for_board(deadline.source, procedure_of(case.board))
        event.add("description", f"{deadline.rule} ({source}). Stage: {case.stage}.")
        calendar.add_component(event)
    text: bytes = calendar.to_ical(sorted=False)  # properties in the order added
    return text
