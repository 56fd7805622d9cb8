"""Repository for the annual learning summary: what a board's register recorded up to a day, and the stored
summaries. Keyword-only functions over one session each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.anonymisation import CaseIdentifiers
from domain.learning_summary import RegisterCase, RegisterDeadline, RegisterDecision
from domain.uk_time import end_of_day
from store.models import AuditEvent, Case, CaseDeadline, CaseIdentifierRecord, LearningSummary

DECISION = "decision"  # the audit kind of an accepted staff decision; its details name the decision kind


async def board_register(session: AsyncSession, *, board: str, as_at: date) -> list[RegisterCase]:
    """The board's cases notified by the end of ``as_at``, each with its deadlines and the decisions accepted
    by then (oldest first)."""
    cases = list(
        await session.scalars(
            select(Case).where(Case.board == board, Case.notified_on <= as_at).order_by(Case.reference)
        )
    )
    references = [case.reference for case in cases]
    if not references:
        return []
    deadlines: dict[str, list[RegisterDeadline]] = {reference: [] for reference in references}
    for row in await session.scalars(
        select(CaseDeadline).where(CaseDeadline.case_reference.in_(references)).order_by(CaseDeadline.due)
    ):
        deadlines[row.case_reference].append(
            RegisterDeadline(
                key=row.key,
                title=row.title,
                due=row.due,
                status=row.status,
                met_at=row.met_at,
                breached_at=row.breached_at,
            )
        )
    decisions: dict[str, list[RegisterDecision]] = {reference: [] for reference in references}
    for event in await session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.case_reference.in_(references),
            AuditEvent.kind == DECISION,
            AuditEvent.at < end_of_day(as_at),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        decisions[event.case_reference].append(
            RegisterDecision(
                at=event.at,
                kind=str(event.details.get("decision_kind", "")),
                rationale=event.rationale,
                details=event.details,
            )
        )
    return [
        RegisterCase(
            reference=case.reference,
            aware_on=case.aware_on,
            notified_on=case.notified_on,
            deadlines=deadlines[case.reference],
            decisions=decisions[case.reference],
        )
        for case in cases
    ]


async def recorded_identifiers(session: AsyncSession, *, references: Sequence[str]) -> dict[str, CaseIdentifiers]:
    """The identifying details recorded on each of ``references`` that has any (for the anonymisation screen)."""
    if not references:
        return {}
    rows = await session.scalars(
        select(CaseIdentifierRecord).where(CaseIdentifierRecord.case_reference.in_(list(references)))
    )
    return {row.case_reference: CaseIdentifiers.model_validate(row.identifiers) for row in rows}


async def save_summary(
    session: AsyncSession,
    *,
    board: str,
    year: int,
    html_sha256: str,
    markdown_sha256: str,
    workflow_id: str,
    run_id: str,
    now: datetime,
) -> None:
    """Insert the board's summary of ``year``, or replace its renderings: one row per board and year, and a
    retried or concurrent write lands on the same row."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {
        "html_sha256": html_sha256,
        "markdown_sha256": markdown_sha256,
        "workflow_id": workflow_id,
        "run_id": run_id,
        "updated_at": now,
    }
    statement = insert(LearningSummary).values(board=board, year=year, created_at=now, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=[LearningSummary.board, LearningSummary.year], set_=values)
    )


async def find_summary(session: AsyncSession, *, board: str, year: int) -> LearningSummary | None:
    return await session.scalar(
        select(LearningSummary).where(LearningSummary.board == board, LearningSummary.year == year)
    )


async def list_summaries(session: AsyncSession, *, boards: Sequence[str]) -> list[LearningSummary]:
    rows = await session.scalars(
        select(LearningSummary)
        .where(LearningSummary.board.in_(list(boards)))
        .order_by(LearningSummary.year.desc(), LearningSummary.board)
    )
    return list(rows)
