"""``GET /api/v1/calendar.ics``: the open deadlines of the caller's cases as an iCalendar feed (RFC 5545), so
staff see them in their own calendar. Events carry case references and deadline titles only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from api.context import Context
from api.permissions import CurrentCaller, authorize
from store import register

router = APIRouter(prefix="/api/v1", tags=["calendar"])


@router.get("/calendar.ics", response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
async def deadline_calendar(caller: CurrentCaller, context: Context) -> Response:
    await authorize(context, caller, "calendar.read")
    async with context.sessions() as session:
        rows = await register.open_deadlines(session, boards=sorted(caller.boards))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//LSCB//Serious Case Reviews//EN", "CALSCALE:GREGORIAN"]
    for case, deadline in rows:
        state = "MISSED" if deadline.status == "overdue" else "due"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{case.reference}-{deadline.key.replace(':', '-')}@scr.lscb",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{_ical_date(deadline.due)}",
            f"DTEND;VALUE=DATE:{_ical_date(deadline.due + timedelta(days=1))}",
            f"SUMMARY:{_escape(f'{case.reference}: {deadline.title} ({state})')}",
            f"DESCRIPTION:{_escape(f'{deadline.rule} ({deadline.source}). Stage: {case.stage}.')}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    body = "".join(_fold(line) + "\r\n" for line in lines)
    return Response(body, media_type="text/calendar; charset=utf-8")


def _ical_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, start = [], 0
    while start < len(encoded):
        end = min(start + (75 if start == 0 else 74), len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:  # never split a UTF-8 character
            end -= 1
        parts.append(encoded[start:end].decode())
        start = end
    return "\r\n ".join(parts)
