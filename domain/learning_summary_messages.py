"""Messages of the annual learning summary: the workflow's input and result, and its activities' inputs.

Plain data for Temporal payloads: board codes, years, dates, content hashes and links. The figures themselves
(:class:`domain.learning_summary.LearningSummaryFigures`) travel between the compile and render activities;
their staff-written text has passed the anonymisation screen by then.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

BOARD_PATTERN = r"^[A-Z]{2,16}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
FIRST_YEAR = 2000  # before any register this service could hold
LAST_YEAR = 9999


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class LearningSummaryInput(_Message):
    """The workflow's input. Without ``year`` (the yearly schedule): the year before the run, in UK time."""

    board: str = Field(pattern=BOARD_PATTERN)
    year: int | None = Field(default=None, ge=FIRST_YEAR, le=LAST_YEAR)


class CompileLearningSummaryInput(_Message):
    board: str = Field(pattern=BOARD_PATTERN)
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    as_at: date  # the last whole day the figures cover


class StoredLearningSummary(_Message):
    """Both renderings, in the document store under their SHA-256."""

    html_sha256: str = Field(pattern=SHA256_PATTERN)
    markdown_sha256: str = Field(pattern=SHA256_PATTERN)
    # The public version (figures and learning only), once the anonymisation gate passed it; else why not.
    public_html_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    public_withheld: str | None = None


class RecordLearningSummaryInput(_Message):
    board: str = Field(pattern=BOARD_PATTERN)
    year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    stored: StoredLearningSummary
    workflow_id: str
    run_id: str


class RecordedLearningSummary(_Message):
    """Where staff read the summary (absolute links, for the partners' email)."""

    html_url: str
    markdown_url: str
    public_location: str | None = None  # the public version on the site (None: not published)


class LearningSummaryResult(_Message):
    board: str
    year: int
    workflow_id: str  # the run that produced the summary (a scheduled run hands the work to the year's run)
    stored: StoredLearningSummary | None = None  # None: another run for the year was already under way
    html_url: str | None = None
    partners_notified: bool = False


def learning_summary_reference(board: str, year: int) -> str:
    """The business reference of the year's summary (notices are keyed by it): ``NEL-2025-LS``."""
    return f"{board}-{year}-LS"


def learning_summary_path(board: str, year: int, extension: str) -> str:
    """The API path of a rendering: ``/api/v1/learning-summaries/NEL/2025.html`` (or ``.md``)."""
    return f"/api/v1/learning-summaries/{board}/{year}.{extension}"
