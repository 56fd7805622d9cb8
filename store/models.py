"""The case register: what the API reads. The workflow stays the source of truth for what happens next;
activities keep these tables current."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite has no time zones and would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UtcDateTime()}


class ReferenceSequence(Base):
    """Last case number handed out per board and year (references are ``NEL-2026-0007``)."""

    __tablename__ = "reference_sequences"
    board: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("board", "idempotency_key", name="uq_cases_board_idempotency_key"),
        Index("ix_cases_board_created_at", "board", "created_at", "reference"),
        Index("ix_cases_created_at", "created_at", "reference"),
        Index("ix_cases_board_next_deadline", "board", "next_deadline_due", "reference"),
    )

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    board: Mapped[str] = mapped_column(String(16), index=True)
    workflow_id: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(40), index=True)
    rule_pack: Mapped[str] = mapped_column(String(40))
    rule_pack_version: Mapped[str] = mapped_column(String(16))
    aware_on: Mapped[date] = mapped_column(Date)
    notified_on: Mapped[date] = mapped_column(Date)
    incident: Mapped[dict[str, Any]]
    assessment: Mapped[dict[str, Any] | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot_version: Mapped[int] = mapped_column(Integer, default=0)
    next_deadline_key: Mapped[str | None] = mapped_column(String(40))
    next_deadline_due: Mapped[date | None] = mapped_column(Date)
    awaiting: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseTask(Base):
    """One decision an open case awaits and one role that may take it: the staff task list, by index. Rewritten
    with every snapshot; ``position`` is the item's place in the case's list (a kind may be awaited twice)."""

    __tablename__ = "case_tasks"
    __table_args__ = (Index("ix_case_tasks_role_board_due", "role", "board", "due", "case_reference"),)

    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    board: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)


class CaseDeadline(Base):
    __tablename__ = "case_deadlines"
    __table_args__ = (UniqueConstraint("case_reference", "key", name="uq_case_deadlines_case_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    met_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only: rows are inserted, never updated or deleted (the migration installs triggers that
    refuse both). ``business_key`` makes activity retries write a row once."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_reference: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]]


class Notice(Base):
    """One row per notice the system sends; the unique business key keeps retries from sending twice."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(200), unique=True)
    case_reference: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(Text)  # every address of the directory entry, joined by ", "
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class CaseDocument(Base):
    """A document's metadata; its bytes live in the document store under their SHA-256."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_role: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime]


class CaseIdentifierRecord(Base):
    """The identifying details recorded on a case for the anonymisation gate (database only)."""

    __tablename__ = "case_identifiers"

    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), primary_key=True)
    identifiers: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class AcceptedHit(Base):
    """The chair's acceptance of one anonymisation hit (this document, category and text), with the reason.
    The matched text is kept here only: audit rows say where the hit was, not what it was."""

    __tablename__ = "anonymisation_acceptances"
    __table_args__ = (UniqueConstraint("document_id", "match_key", name="uq_anonymisation_acceptances_match"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("case_documents.id"))
    category: Mapped[str] = mapped_column(String(40))
    matched_text: Mapped[str] = mapped_column(Text)
    match_key: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(Text)
    accepted_by: Mapped[str] = mapped_column(String(128))
    accepted_at: Mapped[datetime]


class Publication(Base):
    """A review's state on the public site: what the index page lists."""

    __tablename__ = "publications"

    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # published | removed
    withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    publication_on: Mapped[date | None] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # ids, kinds, files: no content
    updated_at: Mapped[datetime]


class ReviewRequest(Base):
    """A member of the public's request for a removed review, and the board's answer."""

    __tablename__ = "review_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_reference: Mapped[str] = mapped_column(ForeignKey("cases.reference"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(Text)
    client_key: Mapped[str] = mapped_column(String(64), index=True)  # a hash of the client address: rate limits
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(16))  # open | provided | refused
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


class LearningSummary(Base):
    """A board's annual learning summary: its HTML and Markdown renderings in the document store. One row per
    board and year; a re-run replaces the renderings and says which workflow run wrote them."""

    __tablename__ = "learning_summaries"
    __table_args__ = (UniqueConstraint("board", "year", name="uq_learning_summaries_board_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    board: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    html_sha256: Mapped[str] = mapped_column(String(64))
    markdown_sha256: Mapped[str] = mapped_column(String(64))
    workflow_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
