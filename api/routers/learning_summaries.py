"""The boards' annual learning summaries: run one on demand, list them, download the HTML or Markdown.

The yearly schedule makes each board's summary of the year before; staff may (re-)run any year that has begun.
A run of a year already under way is not started twice: the answer points to it. Callers see only their boards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.access import Access
from api.context import AppContext, Context, Documents
from api.headers import SUMMARY_PAGE_POLICY, content_disposition
from api.permissions import Caller
from api.services import learning_summaries
from domain.learning_summary_messages import FIRST_YEAR, learning_summary_path
from store.document_store import DocumentStore
from store.models import LearningSummary

router = APIRouter(prefix="/api/v1/learning-summaries", tags=["learning summaries"])

BoardCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2,16}$", description="Board code, e.g. NEL")]
Year = Annotated[int, Path(ge=FIRST_YEAR, le=9999, description="The year summarised, e.g. 2025")]
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8"}
# The page is one self-contained file: inline styles and SVG, nothing to fetch, no script.
HTML_POLICY = SUMMARY_PAGE_POLICY


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


SummaryRunner = Annotated[Caller, Depends(Access("learning_summaries.run"))]
SummaryReader = Annotated[Caller, Depends(Access("learning_summaries.read"))]


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=LearningSummaryRunOut)
async def run_learning_summary(
    body: RunLearningSummaryRequest, caller: SummaryRunner, context: Context, response: Response
) -> LearningSummaryRunOut:
    """Compile, store and send the board's learning summary of the year now. Answers at once (202); the summary
    is at `html_url` when the run has stored it. A run of the same year under way is not started again."""
    board, year = body.board, body.year
    run = await learning_summaries.run_summary(context, caller=caller, board=board, year=year)
    html_url = learning_summary_path(board, year, "html")
    response.headers["Location"] = html_url
    return LearningSummaryRunOut(
        board=board,
        year=year,
        status=run.status,
        workflow_id=run.workflow_id,
        html_url=html_url,
        markdown_url=learning_summary_path(board, year, "md"),
    )


@router.get("", response_model=list[LearningSummaryOut])
async def list_learning_summaries(caller: SummaryReader, context: Context) -> list[LearningSummaryOut]:
    """The stored summaries of the caller's boards, newest year first."""
    return [summary_out(row) for row in await learning_summaries.list_summaries(context, caller=caller)]


@router.get("/{board}/{year}.html", response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def download_html(
    board: BoardCode, year: Year, caller: SummaryReader, context: Context, store: Documents
) -> Response:
    """The summary as one HTML page (charts inline)."""
    return await _download(context, caller, store, board.upper(), year, "html")


@router.get("/{board}/{year}.md", response_class=Response, responses={200: {"content": {"text/markdown": {}}}})
async def download_markdown(
    board: BoardCode, year: Year, caller: SummaryReader, context: Context, store: Documents
) -> Response:
    """The summary as Markdown (tables instead of charts)."""
    return await _download(context, caller, store, board.upper(), year, "md")


async def _download(
    context: AppContext, caller: Caller, store: DocumentStore, board: str, year: int, extension: str
) -> Response:
    row = await learning_summaries.find_summary(context, caller=caller, board=board, year=year)
    sha256 = row.html_sha256 if extension == "html" else row.markdown_sha256
    data = await store.get(sha256)
    headers = {
        "Content-Disposition": content_disposition(
            f"learning-summary-{board}-{year}.{extension}", inline=extension == "html"
        ),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "ETag": f'"{sha256}"',
    }
    if extension == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    return Response(content=data, media_type=MEDIA_TYPES[extension], headers=headers)
