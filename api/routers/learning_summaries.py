"""The boards' annual learning summaries: run one on demand, list them, download the HTML or Markdown.

The yearly schedule makes each board's summary of the year before; staff may (re-)run any year that has begun.
A run of a year already under way is not started twice: the answer points to it. Callers see only their boards.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.context import AppContext, Context
from api.errors import ProblemError
from api.permissions import Caller, CurrentCaller, audit_refusal, authorize
from api.routers.documents import document_store
from domain.learning_summary import summary_as_at
from domain.learning_summary_messages import (
    FIRST_YEAR,
    LearningSummaryInput,
    learning_summary_path,
    learning_summary_reference,
)
from store import learning_register, register
from store.models import LearningSummary
from workflows.learning_summary_workflow import LearningSummaryWorkflow, learning_summary_workflow_id

router = APIRouter(prefix="/api/v1/learning-summaries", tags=["learning summaries"])
_log = structlog.get_logger(__name__)

BoardCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2,16}$", description="Board code, e.g. NEL")]
Year = Annotated[int, Path(ge=FIRST_YEAR, le=9999, description="The year summarised, e.g. 2025")]
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8"}
# The page is one self-contained file: inline styles and SVG, nothing to fetch, no script.
HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class RunLearningSummaryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board: str = Field(min_length=2, max_length=16, pattern=r"^[A-Za-z]+$", description="Board code, e.g. NEL")
    year: int = Field(ge=FIRST_YEAR, le=9999, description="The year to summarise (one that has begun)")

    @field_validator("board")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class LearningSummaryRunOut(BaseModel):
    board: str
    year: int
    status: Literal["started", "already_running"]
    workflow_id: str
    html_url: str = Field(description="Where the HTML summary can be downloaded once the run has stored it")
    markdown_url: str


class LearningSummaryOut(BaseModel):
    board: str
    year: int
    html_url: str
    markdown_url: str
    html_sha256: str
    markdown_sha256: str
    workflow_id: str
    created_at: datetime
    updated_at: datetime = Field(description="When a run last stored it (a re-run replaces the renderings)")


def summary_out(row: LearningSummary) -> LearningSummaryOut:
    return LearningSummaryOut(
        board=row.board,
        year=row.year,
        html_url=learning_summary_path(row.board, row.year, "html"),
        markdown_url=learning_summary_path(row.board, row.year, "md"),
        html_sha256=row.html_sha256,
        markdown_sha256=row.markdown_sha256,
        workflow_id=row.workflow_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=LearningSummaryRunOut)
async def run_learning_summary(
    body: RunLearningSummaryRequest, caller: CurrentCaller, context: Context, response: Response
) -> LearningSummaryRunOut:
    """Compile, store and send the board's learning summary of the year now. Answers at once (202); the summary
    is at `html_url` when the run has stored it. A run of the same year under way is not started again."""
    await authorize(context, caller, "learning_summaries.run")
    board, year = body.board, body.year
    await _require_board(context, caller, board)
    if summary_as_at(year, datetime.now(UTC)).year < year:
        raise ProblemError(422, "Invalid request", f"{year} has not begun: there is nothing to summarise yet.")
    workflow_id = learning_summary_workflow_id(board, year)
    try:
        handle = await context.temporal.start_workflow(
            LearningSummaryWorkflow.run,
            LearningSummaryInput(board=board, year=year),
            id=workflow_id,
            task_queue=context.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,  # a run under way answers "already_running"
            static_summary=f"Learning summary {board} {year}",
        )
        run_status: Literal["started", "already_running"] = "started"
        run_id = handle.result_run_id or ""
    except WorkflowAlreadyStartedError as running:
        run_status, run_id = "already_running", running.run_id or ""
    except RPCError as error:
        _log.warning("temporal_unavailable", error_type=type(error).__name__, error=str(error))
        raise ProblemError(
            503,
            "Service unavailable",
            "The summary could not be started just now; try again shortly.",
            headers={"Retry-After": "5"},
        ) from error
    await _audit_run(context, caller, board=board, year=year, run_status=run_status, run_id=run_id)
    html_url = learning_summary_path(board, year, "html")
    response.headers["Location"] = html_url
    return LearningSummaryRunOut(
        board=board,
        year=year,
        status=run_status,
        workflow_id=workflow_id,
        html_url=html_url,
        markdown_url=learning_summary_path(board, year, "md"),
    )


@router.get("", response_model=list[LearningSummaryOut])
async def list_learning_summaries(caller: CurrentCaller, context: Context) -> list[LearningSummaryOut]:
    """The stored summaries of the caller's boards, newest year first."""
    await authorize(context, caller, "learning_summaries.read")
    async with context.sessions() as session:
        rows = await learning_register.list_summaries(session, boards=sorted(caller.boards))
    return [summary_out(row) for row in rows]


@router.get("/{board}/{year}.html", response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def download_html(
    board: BoardCode, year: Year, caller: CurrentCaller, context: Context, request: Request
) -> Response:
    """The summary as one HTML page (charts inline)."""
    return await _download(context, caller, request, board.upper(), year, "html")


@router.get("/{board}/{year}.md", response_class=Response, responses={200: {"content": {"text/markdown": {}}}})
async def download_markdown(
    board: BoardCode, year: Year, caller: CurrentCaller, context: Context, request: Request
) -> Response:
    """The summary as Markdown (tables instead of charts)."""
    return await _download(context, caller, request, board.upper(), year, "md")


async def _download(
    context: AppContext, caller: Caller, request: Request, board: str, year: int, extension: str
) -> Response:
    await authorize(context, caller, "learning_summaries.read")
    row = None
    if board in caller.boards:  # another board's summary is "not found", as its cases are
        async with context.sessions() as session:
            row = await learning_register.find_summary(session, board=board, year=year)
    if row is None:
        raise ProblemError(404, "Not found", f"There is no learning summary of board {board} for {year}.")
    sha256 = row.html_sha256 if extension == "html" else row.markdown_sha256
    data = await document_store(context, request).get(sha256)
    headers = {
        "Content-Disposition": f"{'inline' if extension == 'html' else 'attachment'}; "
        f'filename="learning-summary-{board}-{year}.{extension}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "ETag": f'"{sha256}"',
    }
    if extension == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(content=data, media_type=MEDIA_TYPES[extension], headers=headers)


async def _require_board(context: AppContext, caller: Caller, board: str) -> None:
    if board not in context.settings.board_codes:
        known = ", ".join(sorted(context.settings.board_codes))
        raise ProblemError(422, "Invalid request", f"Unknown board '{board}'. This service runs: {known}.")
    if board not in caller.boards:
        reason = f"You act for board {', '.join(sorted(caller.boards))}, not {board}."
        await audit_refusal(context, caller.actor, action="learning_summaries.run", reason=reason, reference=None)
        raise ProblemError(403, "Forbidden", reason)


async def _audit_run(
    context: AppContext, caller: Caller, *, board: str, year: int, run_status: str, run_id: str
) -> None:
    """Who asked for which year's summary, kept in the audit trail under the summary's reference."""
    async with context.sessions.begin() as session:
        register.append_audit(
            session,
            business_key=f"learning_summary:{board}:{year}:requested:{uuid.uuid4().hex}",
            reference=learning_summary_reference(board, year),
            kind="learning_summary_requested",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            at=datetime.now(UTC),
            summary=f"Learning summary {board} {year} requested ({run_status.replace('_', ' ')})",
            details={"board": board, "year": year, "status": run_status, "run_id": run_id},
        )
