"""``GET /api/v1/calendar.ics``: the open deadlines of the caller's cases as an iCalendar feed (RFC 5545), so
staff see them in their own calendar (written by ``api/calendar_feed.py``). Events carry case references and
deadline titles only.

Calendar apps subscribe to a URL and cannot send the Authorization header, so ``POST /api/v1/calendar/feed``
hands the signed-in caller a subscription URL whose ``token`` (``api/feed_tokens.py``) stands for them, in the
same role and board, for this feed only and for SCR_CALENDAR_FEED_DAYS."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from api.access import Access
from api.auth import ROLE_HEADER, Principal, bearer_scheme, current_actor
from api.context import AppContext, Context
from api.errors import ProblemError
from api.feed_tokens import FeedTokenError, verify_feed_token
from api.headers import content_disposition
from api.permissions import Caller, authorize, caller_for, current_caller, record_refusal
from api.services import calendar
from domain.case_messages import Actor

router = APIRouter(prefix="/api/v1", tags=["calendar"])
FEED_PATH = "/api/v1/calendar.ics"


class CalendarFeedOut(BaseModel):
    url: str = Field(description="Subscribe to this URL in a calendar app. Keep it private: it shows your deadlines")
    webcal_url: str = Field(description="The same URL with the webcal scheme, which opens a calendar app")
    expires_at: datetime = Field(description="When the URL stops working; ask for a new one before then")


@router.post("/calendar/feed", response_model=CalendarFeedOut)
async def calendar_feed(
    caller: Annotated[Caller, Depends(Access("calendar.read"))], context: Context, request: Request, response: Response
) -> CalendarFeedOut:
    """A subscription URL for the deadline calendar, for calendar apps that cannot sign in: it shows what
    `GET /api/v1/calendar.ics` shows you, in this role, and grants nothing else."""
    principal: Principal = request.state.principal
    token, expires_at = await calendar.issue_feed(context, caller=caller, board=principal.board)
    url = f"{context.settings.public_base_url.rstrip('/')}{FEED_PATH}?token={token}"
    response.headers["Cache-Control"] = "no-store"
    return CalendarFeedOut(url=url, webcal_url="webcal://" + url.split("://", 1)[1], expires_at=expires_at)


@router.get("/calendar.ics", response_class=Response, responses={200: {"content": {"text/calendar": {}}}})
async def deadline_calendar(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    role: Annotated[
        str | None, Header(alias=ROLE_HEADER, description="The role to act in, when your token grants several.")
    ] = None,
    token: Annotated[
        str | None,
        Query(
            description="A calendar feed token (from `POST /api/v1/calendar/feed`), instead of the Authorization header"
        ),
    ] = None,
) -> Response:
    """The open deadlines of your cases. Sign in with the Authorization header, or subscribe to the URL from
    `POST /api/v1/calendar/feed`."""
    if token is not None:
        caller = await _token_caller(context, token)
    else:
        actor = await current_actor(request, credentials, role)
        caller = await current_caller(request, actor)
    await authorize(context, caller, "calendar.read")
    body = await calendar.deadline_calendar(context, caller=caller)
    # Saved as a file when opened in a browser; calendar apps subscribing to the URL read it all the same.
    headers = {"Content-Disposition": content_disposition("scr-deadlines.ics")}
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


async def _token_caller(context: AppContext, token: str) -> Caller:
    """The caller a feed token stands for, scoped to boards as the header path is; a bad token is a 401,
    audited like every refusal (under the token's user only when its signature proves it)."""
    settings = context.settings
    try:
        grant = verify_feed_token(token, settings.calendar_feed.secrets)
    except FeedTokenError as error:
        await record_refusal(
            context,
            user=error.user or "unknown",
            role=error.role or "unknown",
            action="calendar.read",
            reason=error.reason,
            reference=None,
        )
        raise ProblemError(
            401,
            "Not authenticated",
            f"{error.reason} Ask for a new subscription URL (POST /api/v1/calendar/feed) and subscribe again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    actor = Actor(user=grant.user, role=grant.role)
    principal = Principal(user=grant.user, roles=(grant.role,), board=grant.board)
    return await caller_for(context, principal, actor)
