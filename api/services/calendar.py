"""The deadline calendar: issuing a subscription token (audited) and writing a caller's open deadlines as
iCalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api import audit
from api.calendar_feed import deadline_ics
from api.context import AppContext
from api.feed_tokens import FeedGrant, issue_feed_token
from api.permissions import Caller
from store import register


async def issue_feed(context: AppContext, *, caller: Caller, board: str | None) -> tuple[str, datetime]:
    """A token standing for ``caller`` (same user, role and board) until it expires, and when that is."""
    feed = context.settings.calendar_feed
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=feed.days)
    grant = FeedGrant(user=caller.actor.user, role=caller.actor.role, board=board, expires_at=expires_at)
    token = issue_feed_token(grant, feed.secrets[0])
    await audit.record(
        context.sessions,
        audit.calendar_feed_issued(expires_at=expires_at, board=board),
        by=audit.By.actor(caller.actor),
    )
    return token, expires_at


async def deadline_calendar(context: AppContext, *, caller: Caller) -> bytes:
    async with context.sessions() as session:
        rows = await register.open_deadlines(session, boards=sorted(caller.boards), references=caller.cases)
    stamp = datetime.now(UTC).replace(microsecond=0)
    return deadline_ics(deadlines=rows, stamp=stamp, procedure_of=context.settings.procedure_of)
