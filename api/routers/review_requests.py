"""Requests for removed reviews: a member of the public asks (no sign-in; size- and rate-limited), the
business manager lists the requests and records each answer (audited)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.context import Context
from api.errors import ProblemError
from api.permissions import CurrentCaller, authorize
from api.routers.documents import MAX_ID, Text
from domain.publication_messages import REFERENCE_PATTERN
from store import documents as document_register
from store import register
from store.models import Case, ReviewRequest

public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
router = APIRouter(prefix="/api/v1/requests", tags=["requests"])

MAX_PUBLIC_REQUEST_BYTES = 8 * 1024
RequestStatus = Literal["open", "provided", "refused"]
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+$"
)


class PublicRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reference: str = Field(pattern=REFERENCE_PATTERN, description="The review's reference, e.g. NEL-2016-0001")
    email: str = Field(min_length=3, max_length=254, description="Where the board sends its answer")
    purpose: Text = Field(min_length=10, max_length=2000, description="Why you would like the review")

    @field_validator("reference", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("is not an email address")
        return value


class PublicRequestReceivedOut(BaseModel):
    status: Literal["received"] = "received"
    detail: str


class ReviewRequestOut(BaseModel):
    id: int
    reference: str
    email: str
    purpose: str
    requested_at: datetime
    status: RequestStatus
    answered_by: str | None
    answered_at: datetime | None
    note: str | None


class AnswerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["provided", "refused"]
    note: Text = Field(min_length=1, max_length=2000, description="What was sent, or why it was refused")


_PUBLIC_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PublicRequestIn.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": PublicRequestIn.model_json_schema()},
        },
    }
}


@public_router.post(
    "/requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PublicRequestReceivedOut,
    openapi_extra=_PUBLIC_BODY,
    responses={
        404: {"description": "No removed review"},
        413: {"description": "Too large"},
        429: {"description": "Too many"},
    },
)
async def request_removed_review(request: Request, context: Context) -> PublicRequestReceivedOut:
    """Ask for a review that is no longer on the website (listed there as "available on request"). No sign-in;
    JSON or a form with `reference`, `email` and `purpose`. The board answers by email."""
    body = await _public_body(request)
    settings = context.settings
    client_key = hashlib.sha256(
        f"scr-public-request:{request.client.host if request.client else '-'}".encode()
    ).hexdigest()
    now = datetime.now(UTC)
    async with context.sessions.begin() as session:
        since = now - timedelta(hours=1)
        if await document_register.count_review_requests_since(
            session, since=since, client_key=client_key
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
        publication = await document_register.get_publication(session, reference=body.reference)
        if publication is None or publication.status != "removed":
            raise ProblemError(
                404,
                "Not found",
                f"There is no removed review {body.reference}: published reviews are on the website, and only "
                "reviews listed there as available on request can be asked for.",
            )
        row = await document_register.add_review_request(
            session, reference=body.reference, email=body.email, purpose=body.purpose, client_key=client_key
        )
        register.append_audit(
            session,
            business_key=f"review-request:{row.id}:received",
            reference=body.reference,
            kind="review_requested",
            actor="public",
            role="public",
            summary=f"A member of the public asked for the removed review (request {row.id})",
            details={"request_id": row.id},
        )
    return PublicRequestReceivedOut(
        detail=f"Your request for {body.reference} has been received; the board will answer by email."
    )


@router.get("", response_model=list[ReviewRequestOut])
async def list_requests(
    caller: CurrentCaller,
    context: Context,
    status_: Annotated[RequestStatus | None, Query(alias="status", description="Only requests in this state")] = None,
) -> list[ReviewRequestOut]:
    """Requests for removed reviews of the caller's board, newest first."""
    await authorize(context, caller, "review_requests.read")
    async with context.sessions() as session:
        rows = await document_register.list_review_requests(session, status=status_, boards=sorted(caller.boards))
    return [_out(row) for row in rows]


@router.post("/{request_id}/answer", response_model=ReviewRequestOut)
async def answer_request(
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: AnswerRequest, caller: CurrentCaller, context: Context
) -> ReviewRequestOut:
    """Record the board's answer to a request: the review was provided, or refused (with why)."""
    await authorize(context, caller, "review_requests.answer")
    async with context.sessions.begin() as session:
        row = await session.get(ReviewRequest, request_id, with_for_update=True)
        case = await session.get(Case, row.case_reference) if row is not None else None
        if row is None or case is None or case.board not in caller.boards:
            raise ProblemError(404, "Not found", f"There is no request {request_id}.")
        if row.status != "open":
            raise ProblemError(
                409, "Already answered", f"Request {request_id} was answered ({row.status}) by {row.answered_by}."
            )
        row.status = body.outcome
        row.note = body.note
        row.answered_by = caller.actor.user
        row.answered_at = datetime.now(UTC)
        register.append_audit(
            session,
            business_key=f"review-request:{row.id}:answered",
            reference=row.case_reference,
            kind="review_request_answered",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            summary=f"Request {row.id} for the removed review answered: {body.outcome}",
            rationale=body.note,
            details={"request_id": row.id, "outcome": body.outcome},
        )
    return _out(row)


async def _public_body(request: Request) -> PublicRequestIn:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_PUBLIC_REQUEST_BYTES:
        raise _too_large()
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_PUBLIC_REQUEST_BYTES:
            raise _too_large()
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    fields: Any
    if content_type == "application/json":
        try:
            fields = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ProblemError(422, "Invalid request", "The body is not valid JSON.") from None
    elif content_type == "application/x-www-form-urlencoded":
        try:
            parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            raise ProblemError(422, "Invalid request", "The form is not valid.") from None
        fields = {name: values[-1] for name, values in parsed.items()}
    else:
        raise ProblemError(415, "Unsupported media type", "Send JSON or a form (application/x-www-form-urlencoded).")
    try:
        return PublicRequestIn.model_validate(fields)
    except ValidationError as error:
        errors = [
            {"field": ".".join(str(p) for p in item["loc"]) or "body", "message": item["msg"]}
            for item in error.errors()
        ]
        raise ProblemError(
            422, "Invalid request", "; ".join(f"{e['field']}: {e['message']}" for e in errors), extra={"errors": errors}
        ) from None


def _too_large() -> ProblemError:
    return ProblemError(413, "Request too large", f"A request may be at most {MAX_PUBLIC_REQUEST_BYTES} bytes.")


def _out(row: ReviewRequest) -> ReviewRequestOut:
    return ReviewRequestOut(
        id=row.id,
        reference=row.case_reference,
        email=row.email,
        purpose=row.purpose,
        requested_at=row.requested_at,
        status=cast(RequestStatus, row.status),
        answered_by=row.answered_by,
        answered_at=row.answered_at,
        note=row.note,
    )
