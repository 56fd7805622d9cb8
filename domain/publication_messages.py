"""Messages of the publisher activities (``publish_review``, ``remove_review``).

Plain data for Temporal payloads: references, dates, document ids and hit summaries. Never a document's
bytes, never an identifier's value, never the matched text of a hit.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

REFERENCE_PATTERN = r"^[A-Z]{2,16}-\d{4}-\d{4,}$"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class PublishReviewInput(_Message):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    withheld: bool = False
    """True: only the board's response is published, the report is not."""
    publication_on: date


class PublicationHitSummary(_Message):
    """Where the gate found something, without saying what: the publisher reads the text via the API."""

    document_id: int
    document_kind: str
    category: str
    part: str = "body"
    page: int | None = None
    paragraph: int
    line: int
    character: int
    place: str  # e.g. "page 2, paragraph 4, line 17, character 9"


class PublicationUnreadablePart(_Message):
    """A part of a document's publishable copy the gate cannot read: the document is not clear. Fixed phrases
    only (never the document's own words)."""

    document_id: int
    document_kind: str
    part: str  # e.g. "page 3", "embedded content"
    reason: str  # e.g. "the page shows an image and has no text (a scan?)"


class PublishReviewResult(_Message):
    published: bool
    hits: list[PublicationHitSummary] = Field(default_factory=list)
    location: str | None = None  # e.g. /public/reviews/NEL-2026-0001/
    document_ids: list[int] = Field(default_factory=list)  # the documents published (or checked, when blocked)
    unreadable: list[PublicationUnreadablePart] = Field(default_factory=list)  # block publication too
    sha256: list[str] = Field(default_factory=list)
    """The published copies' SHA-256, in ``document_ids`` order: the bytes served are the bytes checked."""


class RemoveReviewInput(_Message):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    removed_on: date | None = None
    """Shown on the index page; None: today in UK time. Workflows pass their own (deterministic) date."""
