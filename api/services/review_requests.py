"""Requests for removed reviews: the public's request (rate-limited, audited), the business manager's list and
answer (audited)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Literal

from api import audit
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import Caller
from store import documents as document_register
from store.models import Case, ReviewRequest

RequestOutcome = Literal["provided", "refused"]


def client_key(host: str | None) -> str:
    """What the rate limit counts a client by: a hash of its address, never the address."""
    return hashlib.sha256(f"scr-public-request:{host if host is not None else '-'}".encode()).hexdigest()


async def receive_public_request(
    context: AppContext, *, reference: str, email: str, purpose: str, client: str
) -> ReviewRequest:
    """Record a member of the public's request for a removed review: 429 over the hourly limits (per client and
    in all), 404 for a review that is not removed."""
    settings = context.settings
    now = datetime.now(UTC)
    async with context.sessions.begin() as session:
        since = now - timedelta(hours=1)
        if await document_register.count_review_requests_since(
            session, since=since, client_key=client
        ) >= settings.public_requests_per_hour or (
            await document_register.count_review_requests_since(session, since=since)
            >= settings.public_requests_per_hour_total
        ):
            raise ProblemError(
                429,
                "Too many requests",
                "Too many requests for now; please try again in an hour.",
                headers={"Retry-After": "3600"},
            )
        publication = await document_register.get_publication(session, reference=reference)
        if publication is None or publication.status != "removed":
            raise ProblemError(
                404,
                "Not found",
                f"There is no removed review {reference}: published reviews are on the website, and only "
                "reviews listed there as available on request can be asked for.",
            )
        row = await document_register.add_review_request(
            session, reference=reference, email=email, purpose=purpose, client_key=client
        )
        audit.add(session, audit.review_requested(reference=reference, request_id=row.id), by=audit.PUBLIC)
    return row


async def list_requests(context: AppContext, *, caller: Caller, status: str | None) -> list[ReviewRequest]:
    """Requests for removed reviews of the caller's boards, newest first."""
    async with context.sessions() as session:
        return await document_register.list_review_requests(session, status=status, boards=sorted(caller.boards))


async def answer_request(
    context: AppContext, *, caller: Caller, request_id: int, outcome: RequestOutcome, note: str
) -> ReviewRequest:
    """Record the board's answer: 404 for a request not of the caller's boards, 409 for one already answered."""
    async with context.sessions.begin() as session:
        row = await session.get(ReviewRequest, request_id, with_for_update=True)
        case = await session.get(Case, row.case_reference) if row is not None else None
        if row is None or case is None or case.board not in caller.boards:
            raise ProblemError(404, "Not found", f"There is no request {request_id}.")
        if row.status != "open":
            raise ProblemError(
                409, "Already answered", f"Request {request_id} was answered ({row.status}) by {row.answered_by}."
            )
        row.status = outcome
        row.note = note
        row.answered_by = caller.actor.user
        row.answered_at = datetime.now(UTC)
        entry = audit.review_request_answered(
            reference=row.case_reference, request_id=row.id, outcome=outcome, note=note
        )
        audit.add(session, entry, by=audit.By.actor(caller.actor))
    return row
