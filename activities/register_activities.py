"""Keeps the case register current: one audit row per business key, plus the case's latest snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.activity_contracts import RECORD_CASE_EVENT
from domain.case_messages import CaseSnapshot, RecordCaseEventInput
from store import register
from store.models import Case, CaseDeadline


class RegisterActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    @activity.defn(name=RECORD_CASE_EVENT.name)
    async def record_case_event(self, data: RecordCaseEventInput) -> bool:
        """Append the event to the audit trail and apply its snapshot, in one transaction.

        Returns False when the event was already recorded (a retry), True when this call recorded it.
        """
        try:
            async with self._sessions.begin() as session:
                if await register.audit_exists(session, business_key=data.business_key):
                    return False
                case = await register.find_case(session, reference=data.reference)
                if case is None:
                    raise ApplicationError(
                        f"case {data.reference} is not in the register",
                        type="UnknownCase",
                        non_retryable=True,
                    )
                register.append_audit(
                    session,
                    business_key=data.business_key,
                    reference=data.reference,
                    kind=data.kind,
                    actor=data.actor.user,
                    role=data.actor.role.value,
                    at=data.at,
                    summary=data.summary,
                    rationale=data.rationale,
                    details=data.details,
                )
                if data.assessment is not None:
                    case.assessment = data.assessment
                if data.incident is not None:
                    case.incident = data.incident
                await _apply_snapshot(session, case, data.snapshot)
        except IntegrityError:
            # A concurrent attempt with the same business key won the race: the event is recorded. Any other
            # constraint failure must surface (and be retried), not be mistaken for "recorded already".
            async with self._sessions() as session:
                if await register.audit_exists(session, business_key=data.business_key):
                    return False
            raise
        return True


async def _apply_snapshot(session: AsyncSession, case: Case, snapshot: CaseSnapshot) -> None:
    # Snapshots carry the workflow's own counter: an older one retried late (or written concurrently by the
    # workflow's main loop and a decision) never overwrites a newer one. The check and the write are one
    # conditional UPDATE, which holds the row (PostgreSQL) or the database (SQLite) until commit.
    awaiting = [item.model_dump(mode="json") for item in snapshot.awaiting]
    applied = await register.apply_snapshot(
        session,
        reference=case.reference,
        version=snapshot.version,
        values={
            "stage": snapshot.stage,
            "overdue": snapshot.overdue,
            "next_deadline_key": snapshot.next_deadline_key,
            "next_deadline_due": snapshot.next_deadline_due,
            "awaiting": awaiting,
            "updated_at": datetime.now(UTC),
        },
    )
    if not applied:
        return
    await register.replace_tasks(
        session, reference=case.reference, board=case.board, stage=snapshot.stage, awaiting=awaiting
    )
    existing = {row.key: row for row in await register.case_deadlines(session, reference=case.reference)}
    for record in snapshot.deadlines:
        row = existing.get(record.key)
        if row is None:
            row = CaseDeadline(case_reference=case.reference, key=record.key)
            session.add(row)
        row.title = record.title
        row.due = record.due
        row.status = record.status.value
        row.rule = record.rule
        row.source = record.source
        row.met_at = record.met_at
        row.breached_at = record.breached_at
