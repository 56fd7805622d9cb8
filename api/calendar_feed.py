"""The deadline calendar as iCalendar (RFC 5545), written by the ``icalendar`` package: one all-day event per open
deadline, named by case reference and deadline title only (never anything that identifies a child)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from store.models import Case, CaseDeadline

PRODUCT_ID = "-//LSCB//Serious Case Reviews//EN"
UID_DOMAIN = "scr.lscb"


def deadline_ics(*, deadlines: Iterable[tuple[Case, CaseDeadline]], stamp: datetime) -> bytes:
    """The calendar of ``deadlines`` (case, deadline) as .ics bytes, each event stamped ``stamp`` (UTC).

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
        event.add("description", f"{deadline.rule} ({deadline.source}). Stage: {case.stage}.")
        calendar.add_component(event)
    text: bytes = calendar.to_ical(sorted=False)  # properties in the order added
    return text
