"""Case register repository: keyword-only functions over one session each."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from store.database import Reader
from store.models import AuditEvent, Case, CaseDeadline, CaseTask, Notice, ReferenceSequence


class UnknownCaseError(LookupError):
    pass


async def allocate_reference(session: AsyncSession, *, board: str, year: int) -> str:
    """Next reference for the board and year, e.g. ``NEL-2026-0007``. Call inside the transaction that
    inserts the case, so a rolled-back case gives its number back. The insert and the increment both write
    first, so the transaction holds the write lock (SQLite) or the row lock (PostgreSQL) before it reads:
    concurrent openings never share a number."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(ReferenceSequence).values(board=board, year=year, last_value=0).on_conflict_do_nothing()
    )
    value = await session.scalar(
        update(ReferenceSequence)
        .where(ReferenceSequence.board == board, ReferenceSequence.year == year)
        .values(last_value=ReferenceSequence.last_value + 1)
        .returning(ReferenceSequence.last_value)
    )
    return f"{board}-{year}-{value:04d}"


async def reserve_reference(session: AsyncSession, *, board: str, year: int, number: int) -> None:
    """An imported review keeps the reference the board gave it: the sequence moves past it, so no case opened
    later is given the same one."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(ReferenceSequence).values(board=board, year=year, last_value=0).on_conflict_do_nothing()
    )
    await session.execute(
        update(ReferenceSequence)
        .where(ReferenceSequence.board == board, ReferenceSequence.year == year, ReferenceSequence.last_value < number)
        .values(last_value=number)
    )


async def create_case(
    session: AsyncSession,
    *,
    board: str,
    year: int,
    idempotency_key: str | None,
    request_fingerprint: str,
    stage: str,
    rule_pack: str,
    rule_pack_version: str,
    aware_on: date,
    notified_on: date,
    incident: dict[str, Any],
    created_by: str,
    workflow_id_for: Callable[[str], str],
    reference: str | None = None,
) -> Case:
    """Allocate the next reference (unless ``reference`` is given, already reserved) and add the case; the
    caller's transaction commits both or neither."""
    reference = reference or await allocate_reference(session, board=board, year=year)
    now = datetime.now(UTC)
    case = Case(
        reference=reference,
        board=board,
        workflow_id=workflow_id_for(reference),
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        stage=stage,
        rule_pack=rule_pack,
        rule_pack_version=rule_pack_version,
        aware_on=aware_on,
        notified_on=notified_on,
        incident=incident,
        assessment=None,
        overdue=False,
        awaiting=[],
        snapshot_version=0,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    return case


async def find_case(session: Reader, *, reference: str) -> Case | None:
    return await session.get(Case, reference)


async def find_case_by_idempotency_key(session: AsyncSession, *, board: str, key: str) -> Case | None:
    result = await session.execute(select(Case).where(Case.board == board, Case.idempotency_key == key))
    return result.scalar_one_or_none()


CaseSort = Literal["newest", "next_deadline", "reference"]


async def list_cases(
    session: AsyncSession,
    *,
    boards: Sequence[str] | None,
    stage: str | None,
    limit: int,
    offset: int,
    references: Collection[str] | None = None,
    overdue: bool | None = None,
    sort: CaseSort = "newest",
) -> tuple[list[Case], int]:
    """A page of the cases of ``boards`` (and, when given, only those of ``references``; only those overdue or not),
    newest first, soonest deadline first (cases with none last) or by reference."""
    query = select(Case)
    if boards is not None:
        query = query.where(Case.board.in_(boards))
    if references is not None:
        query = query.where(Case.reference.in_(sorted(references)))
    if stage is not None:
        query = query.where(Case.stage == stage)
    if overdue is not None:
        query = query.where(Case.overdue.is_(overdue))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    order: dict[str, tuple[ColumnElement[Any], ...]] = {
        "newest": (Case.created_at.desc(), Case.reference.desc()),
        # NULLS LAST rather than "IS NULL" first: a page read in the order of ix_cases_board_next_deadline.
        "next_deadline": (Case.next_deadline_due.asc().nulls_last(), Case.reference.asc()),
        "reference": (Case.reference.asc(),),
    }
    rows = await session.scalars(query.order_by(*order[sort]).limit(limit).offset(offset))
    return list(rows), int(total or 0)


CLOSED_STAGES = ("closed", "closed_without_review")  # = domain.lifecycle.TERMINAL (a test keeps them equal)


async def apply_snapshot(session: AsyncSession, *, reference: str, version: int, values: dict[str, Any]) -> bool:
    """Write the case's snapshot columns if ``version`` is newer than the one stored; False if it is not."""
    result = await session.execute(
        update(Case)
        .where(Case.reference == reference, Case.snapshot_version < version)
        .values(snapshot_version=version, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def replace_tasks(
    session: AsyncSession, *, reference: str, board: str, stage: str, awaiting: Sequence[dict[str, Any]]
) -> None:
    """Rewrite the case's rows of the task list from what it now awaits (none once closed)."""
    await session.execute(delete(CaseTask).where(CaseTask.case_reference == reference))
    if stage in CLOSED_STAGES:
        return
    session.add_all(
        CaseTask(
            case_reference=reference,
            position=position,
            role=role,
            kind=item["kind"],
            board=board,
            stage=stage,
            description=item["description"],
            due=date.fromisoformat(item["due"]) if item.get("due") else None,
        )
        for position, item in enumerate(awaiting)
        for role in dict.fromkeys(item["roles"])
    )


def _tasks_query(role: str, boards: Sequence[str], references: Collection[str] | None) -> Select[CaseTask]:
    query = select(CaseTask).where(CaseTask.role == role, CaseTask.board.in_(boards))
    if references is not None:
        query = query.where(CaseTask.case_reference.in_(sorted(references)))
    return query


async def overdue_task_count(
    session: AsyncSession,
    *,
    role: str,
    boards: Sequence[str],
    today: date,
    references: Collection[str] | None = None,
) -> int:
    """How many of the decisions awaiting ``role`` (as ``tasks_for`` lists them) were due before ``today``: one
    count by the tasks' index, however many there are."""
    query = _tasks_query(role, boards, references).where(CaseTask.due < today)
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def tasks_for(
    session: AsyncSession,
    *,
    role: str,
    boards: Sequence[str],
    limit: int,
    offset: int,
    references: Collection[str] | None = None,
) -> tuple[list[CaseTask], int]:
    """A page of the decisions awaiting ``role`` in the open cases of ``boards`` (and, when given, only those of
    ``references``), soonest first (undated last)."""
    query = _tasks_query(role, boards, references)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(CaseTask.due.is_(None), CaseTask.due, CaseTask.case_reference, CaseTask.position)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def open_deadlines(
    session: AsyncSession, *, boards: Sequence[str], references: Collection[str] | None = None
) -> list[tuple[Case, CaseDeadline]]:
    """Pending and overdue deadlines of the open cases of ``boards`` (and, when given, only those of
    ``references``), soonest first."""
    query = (
        select(Case, CaseDeadline)
        .join(CaseDeadline, CaseDeadline.case_reference == Case.reference)
        .where(Case.board.in_(boards), CaseDeadline.status.in_(("pending", "overdue")))
    )
    if references is not None:
        query = query.where(Case.reference.in_(sorted(references)))
    rows = await session.execute(query.order_by(CaseDeadline.due, Case.reference))
    return [(case, deadline) for case, deadline in rows]


async def case_deadlines(session: AsyncSession, *, reference: str) -> list[CaseDeadline]:
    rows = await session.scalars(
        select(CaseDeadline)
        .where(CaseDeadline.case_reference == reference)
        .order_by(CaseDeadline.due, CaseDeadline.key)
    )
    return list(rows)


async def case_timeline(session: AsyncSession, *, reference: str) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.case_reference == reference).order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(rows)


async def case_notices(session: AsyncSession, *, reference: str) -> list[Notice]:
    rows = await session.scalars(
        select(Notice).where(Notice.case_reference == reference).order_by(Notice.created_at, Notice.id)
    )
    return list(rows)


async def board_references(session: AsyncSession, *, board: str) -> list[str]:
    """Every case of ``board``, by reference."""
    rows = await session.scalars(select(Case.reference).where(Case.board == board).order_by(Case.reference))
    return list(rows)


async def audit_exists(session: AsyncSession, *, business_key: str) -> bool:
    found = await session.scalar(select(AuditEvent.id).where(AuditEvent.business_key == business_key))
    return found is not None


def append_audit(
    session: AsyncSession,
    *,
    business_key: str,
    reference: str,
    kind: str,
    actor: str,
    role: str,
    summary: str,
    at: datetime | None = None,
    rationale: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        business_key=business_key,
        case_reference=reference,
        kind=kind,
        actor=actor,
        role=role,
        at=at or datetime.now(UTC),
        summary=summary,
        rationale=rationale,
        details=details or {},
    )
    session.add(event)
    return event
