"""Every audit row the API writes, typed: one constructor per kind builds the row (its business key, summary,
rationale and details), and ``add`` or ``record`` writes it through ``store.register.append_audit``.

Nothing identifying goes into a row: filenames, identifier values and accepted texts stay out (a row says how
many, or where, never what). The activities write the workflow's own rows (decisions, notices, stage changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.case_messages import Actor
from store import register

NO_CASE = "-"  # the reference of a row that concerns no case


class AuditKind(StrEnum):
    ACCESS_REFUSED = "access_refused"
    DECISION_REFUSED = "decision_refused"
    DOCUMENT_UPLOADED = "document_uploaded"
    IDENTIFIERS_RECORDED = "identifiers_recorded"
    ANONYMISATION_CHECK = "anonymisation_check"
    ANONYMISATION_HIT_ACCEPTED = "anonymisation_hit_accepted"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_REQUEST_ANSWERED = "review_request_answered"
    LEARNING_SUMMARY_REQUESTED = "learning_summary_requested"
    CALENDAR_FEED_ISSUED = "calendar_feed_issued"
    CASE_EXPORTED = "case_exported"
    BOARD_EXPORTED = "board_exported"
    CASES_IMPORTED = "cases_imported"


@dataclass(frozen=True)
class By:
    """Who a row names: a signed-in actor, the public, or as much of a caller as is known."""

    user: str
    role: str

    @classmethod
    def actor(cls, actor: Actor) -> By:
        return cls(user=actor.user, role=actor.role.value)


PUBLIC = By(user="public", role="public")


@dataclass(frozen=True)
class AuditEntry:
    kind: AuditKind
    business_key: str
    reference: str
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)
    rationale: str | None = None


def add(session: AsyncSession, entry: AuditEntry, *, by: By, at: datetime | None = None) -> None:
    """Write ``entry`` in the caller's transaction (with the change it records)."""
    register.append_audit(
        session,
        business_key=entry.business_key,
        reference=entry.reference,
        kind=entry.kind.value,
        actor=by.user,
        role=by.role,
        at=at,
        summary=entry.summary,
        rationale=entry.rationale,
        details=dict(entry.details),
    )


async def record(sessions: async_sessionmaker[AsyncSession], entry: AuditEntry, *, by: By) -> None:
    """Write ``entry`` in a transaction of its own (a refusal, a request that changes nothing else)."""
    async with sessions.begin() as session:
        add(session, entry, by=by)


def _unique() -> str:
    return uuid.uuid4().hex


# -- the kinds ---------------------------------------------------------------------------------------------


def access_refused(*, action: str, action_text: str, reason: str, reference: str | None) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.ACCESS_REFUSED,
        business_key=f"refused:{action}:{_unique()}",
        reference=reference or NO_CASE,
        summary=f"Refused: {action_text}",
        rationale=reason,
        details={"action": action},
    )


def decision_refused(*, reference: str, decision: str, reason: str) -> AuditEntry:
    """Refused updates leave nothing in the workflow's history, so the register keeps the attempt."""
    return AuditEntry(
        kind=AuditKind.DECISION_REFUSED,
        business_key=f"refused:{reference}:{decision}:{_unique()}",
        reference=reference,
        summary=f"{decision.replace('_', ' ')} decision refused",
        rationale=reason,
        details={"decision_kind": decision},
    )


def document_uploaded(
    *, reference: str, document_id: int, kind: str, kind_title: str, size: int, sha256: str
) -> AuditEntry:
    """No filename: a filename can carry a name."""
    return AuditEntry(
        kind=AuditKind.DOCUMENT_UPLOADED,
        business_key=f"document:{document_id}:uploaded",
        reference=reference,
        summary=f"{kind_title} uploaded (document {document_id}, {size} bytes)",
        details={"document_id": document_id, "kind": kind, "size": size, "sha256": sha256},
    )


def identifiers_recorded(*, reference: str, version: int, counts: Mapping[str, int]) -> AuditEntry:
    """How many of each were recorded, never what."""
    shown = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items() if count)
    return AuditEntry(
        kind=AuditKind.IDENTIFIERS_RECORDED,
        business_key=f"identifiers:{reference}:{version}",
        reference=reference,
        summary=f"Identifying details recorded for the anonymisation check ({shown or 'none'})",
        details={"version": version, "counts": dict(counts)},
    )


def anonymisation_checked(
    *, reference: str, document_ids: Sequence[int], hits: int, accepted: int, missing: Sequence[str]
) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.ANONYMISATION_CHECK,
        business_key=f"anonymisation-check:{reference}:{_unique()}",
        reference=reference,
        summary=(
            f"Anonymisation check of documents {', '.join(str(i) for i in document_ids) or 'none'}: "
            f"{hits} blocking hit(s), {accepted} accepted"
        ),
        details={"document_ids": list(document_ids), "hits": hits, "accepted": accepted, "missing": list(missing)},
    )


def anonymisation_hit_accepted(
    *,
    reference: str,
    acceptance_id: int,
    document_id: int,
    document_kind_title: str,
    category: str,
    category_title: str,
    places: Sequence[str],
) -> AuditEntry:
    """Where the accepted hit is, never what it is (the text stays in the acceptance)."""
    shown = "; ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
    return AuditEntry(
        kind=AuditKind.ANONYMISATION_HIT_ACCEPTED,
        business_key=f"anonymisation-accepted:{acceptance_id}",
        reference=reference,
        summary=(
            f"Accepted hit ({category_title}) in document {document_id} ({document_kind_title.lower()}) at {shown}"
        ),
        details={
            "acceptance_id": acceptance_id,
            "document_id": document_id,
            "category": category,
            "places": list(places),
        },
    )


def review_requested(*, reference: str, request_id: int) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.REVIEW_REQUESTED,
        business_key=f"review-request:{request_id}:received",
        reference=reference,
        summary=f"A member of the public asked for the removed review (request {request_id})",
        details={"request_id": request_id},
    )


def review_request_answered(*, reference: str, request_id: int, outcome: str, note: str) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.REVIEW_REQUEST_ANSWERED,
        business_key=f"review-request:{request_id}:answered",
        reference=reference,
        summary=f"Request {request_id} for the removed review answered: {outcome}",
        rationale=note,
        details={"request_id": request_id, "outcome": outcome},
    )


def learning_summary_requested(*, reference: str, board: str, year: int, run_status: str, run_id: str) -> AuditEntry:
    """Who asked for which year's summary, under the summary's reference."""
    return AuditEntry(
        kind=AuditKind.LEARNING_SUMMARY_REQUESTED,
        business_key=f"learning_summary:{board}:{year}:requested:{_unique()}",
        reference=reference,
        summary=f"Learning summary {board} {year} requested ({run_status.replace('_', ' ')})",
        details={"board": board, "year": year, "status": run_status, "run_id": run_id},
    )


def calendar_feed_issued(*, expires_at: datetime, board: str | None) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.CALENDAR_FEED_ISSUED,
        business_key=f"calendar-feed:{_unique()}",  # the same second's request gets the same token
        reference=NO_CASE,
        summary=f"Calendar subscription URL issued, valid until {expires_at.date().isoformat()}",
        details={"expires_at": expires_at.isoformat(), "board": board},
    )


def case_exported(
    *, reference: str, export_format: str, documents: int, identifiers_included: bool, board_export: str | None = None
) -> AuditEntry:
    """What was taken, never its content: the format, how many documents, whether the identifiers went with it."""
    within = f" in board {board_export}'s archive" if board_export else ""
    return AuditEntry(
        kind=AuditKind.CASE_EXPORTED,
        business_key=f"export:{reference}:{_unique()}",
        reference=reference,
        summary=f"Case file exported as {export_format.upper()}{within} ({documents} document(s))",
        details={
            "format": export_format,
            "documents": documents,
            "identifiers_included": identifiers_included,
            "board_export": board_export,
        },
    )


def board_exported(*, board: str, references: Sequence[str], entries: int) -> AuditEntry:
    return AuditEntry(
        kind=AuditKind.BOARD_EXPORTED,
        business_key=f"export:board:{board}:{_unique()}",
        reference=NO_CASE,
        summary=f"Board {board} exported: {len(references)} case file(s), {entries} archive entries",
        details={"board": board, "cases": list(references), "entries": entries},
    )


def cases_imported(*, sha256: str, rows: int, created: int, dry_run: bool) -> AuditEntry:
    """An import file checked (dry run) or imported: its hash and counts, never its name or contents."""
    what = "checked (dry run)" if dry_run else "imported"
    return AuditEntry(
        kind=AuditKind.CASES_IMPORTED,
        business_key=f"cases_imported:{_unique()}",
        reference=NO_CASE,
        summary=f"Import file {what}: {rows} rows, {created} cases created",
        details={"sha256": sha256, "rows": rows, "created": created, "dry_run": dry_run},
    )
