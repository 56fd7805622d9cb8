"""Requests for removed reviews: a member of the public asks (no sign-in; size- and rate-limited), the
business manager lists the requests and records each answer (audited)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Literal, cast
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from api.access import Access
from api.context import Context
from api.errors import ProblemError
from api.permissions import Caller
from api.routers.documents import MAX_ID, Text
from api.services import review_requests
from api.services.review_requests import RequestOutcome
from domain.publication_messages import REFERENCE_PATTERN
from store.models import ReviewRequest

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

    outcome: RequestOutcome
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
    await review_requests.receive_public_request(
        context,
        reference=body.reference,
        email=body.email,
        purpose=body.purpose,
        client=review_requests.client_key(request.client.host if request.client else None),
    )
    return PublicRequestReceivedOut(
        detail=f"Your request for {body.reference} has been received; the board will answer by email."
    )


@router.get("", response_model=list[ReviewRequestOut])
async def list_requests(
    caller: Annotated[Caller, Depends(Access("review_requests.read"))],
    context: Context,
    status_: Annotated[RequestStatus | None, Query(alias="status", description="Only requests in this state")] = None,
) -> list[ReviewRequestOut]:
    """Requests for removed reviews of the caller's board, newest first."""
    return [_out(row) for row in await review_requests.list_requests(context, caller=caller, status=status_)]


@router.post("/{request_id}/answer", response_model=ReviewRequestOut)
async def answer_request(
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: AnswerRequest,
    caller: Annotated[Caller, Depends(Access("review_requests.answer"))],
    context: Context,
) -> ReviewRequestOut:
    """Record the board's answer to a request: the review was provided, or refused (with why)."""
    row = await review_requests.answer_request(
        context, caller=caller, request_id=request_id, outcome=body.outcome, note=body.note
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
