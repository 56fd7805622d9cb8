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


class CopyDocument(_Message):
    """One document version as the pre-publication copies carried it: the SHA-256 is that of the copy sent
    (``store/publishable_copy.py``), which is also what the website publishes."""

    document_id: str
    kind: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class PrepareCopiesInput(_Message):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    withheld: bool = False  # only the board's response (and actions) will be published


class PublishReviewInput(_Message):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    withheld: bool = False
    """True: only the board's response is published, the report is not."""
    publication_on: date
    delivered: list[CopyDocument] | None = None
    """The versions the pre-publication copies delivered: exactly these are published, and a newer upload of
    one of their kinds blocks publication (``changed``). None: cases whose copies carried no documents."""


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


class PreparedCopies(_Message):
    """The current version of each document to be published; or the kinds not uploaded yet, or where the
    anonymisation gate found something in them (the copies carry what will be published: never a name)."""

    documents: list[CopyDocument] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    hits: list[PublicationHitSummary] = Field(default_factory=list)
    unreadable: list[PublicationUnreadablePart] = Field(default_factory=list)  # not clear either


class PublishReviewResult(_Message):
    published: bool
    hits: list[PublicationHitSummary] = Field(default_factory=list)
    location: str | None = None  # e.g. /public/reviews/NEL-2026-0001/
    document_ids: list[int] = Field(default_factory=list)  # the documents published (or checked, when blocked)
    unreadable: list[PublicationUnreadablePart] = Field(default_factory=list)  # block publication too
    sha256: list[str] = Field(default_factory=list)
    """The published copies' SHA-256, in ``document_ids`` order: the bytes served are the bytes checked."""
    changed: list[str] = Field(default_factory=list)  # kinds uploaded again since the copies were delivered


class RemoveReviewInput(_Message):
    reference: str = Field(pattern=REFERENCE_PATTERN)
    removed_on: date | None = None
    """Shown on the index page; None: today in UK time. Workflows pass their own (deterministic) date."""
