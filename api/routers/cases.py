"""Cases: open, list, read, and the timeline. Every caller sees only the cases of their own board."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response, status

from api import case_service
from api.context import Context
from api.errors import ProblemError
from api.permissions import CurrentCaller, audit_refusal, authorize, case_in_scope
from api.schemas import (
    AwaitedOut,
    CaseListOut,
    CaseOut,
    CaseSummaryOut,
    DeadlineOut,
    NextDeadlineOut,
    OpenCaseRequest,
    TimelineEventOut,
)
from domain.case_messages import CaseState
from domain.stages import Stage
from store import register
from store.models import Case

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
CaseReference = Annotated[str, Path(pattern=r"^[A-Z]{2,16}-\d{4}-\d{4,}$", description="e.g. NEL-2026-0001")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def open_case(
    body: OpenCaseRequest,
    caller: CurrentCaller,
    context: Context,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """Record a notifiable incident and start its case. The same `Idempotency-Key` returns the same case."""
    await authorize(context, caller, "cases.open")
    if body.board in context.settings.board_codes and body.board not in caller.boards:
        reason = f"You act for board {', '.join(sorted(caller.boards))}, not {body.board}."
        await audit_refusal(context, caller.actor, action="cases.open", reason=reason, reference=None)
        raise ProblemError(403, "Forbidden", reason)
    case, created = await case_service.open_case(
        context, request=body, actor=caller.actor, idempotency_key=idempotency_key
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/cases/{case.reference}"
    return await read_case(context, case.reference)


@router.get("", response_model=CaseListOut)
async def list_cases(
    caller: CurrentCaller,
    context: Context,
    stage: Annotated[Stage | None, Query(description="Only cases at this stage")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseListOut:
    await authorize(context, caller, "cases.read")
    async with context.sessions() as session:
        cases, total = await register.list_cases(
            session, boards=sorted(caller.boards), stage=stage.value if stage else None, limit=limit, offset=offset
        )
    items = [
        CaseSummaryOut(
            reference=c.reference,
            board=c.board,
            stage=c.stage,
            overdue=c.overdue,
            next_deadline=_next_deadline(c.next_deadline_key, c.next_deadline_due),
            created_at=c.created_at,
        )
        for c in cases
    ]
    return CaseListOut(items=items, total=total, limit=limit, offset=offset)


@router.get("/{reference}", response_model=CaseOut)
async def get_case(reference: CaseReference, caller: CurrentCaller, context: Context) -> CaseOut:
    await authorize(context, caller, "cases.read", reference=reference)
    await case_in_scope(context, caller, reference)
    return await read_case(context, reference)


@router.get("/{reference}/timeline", response_model=list[TimelineEventOut])
async def case_timeline(reference: CaseReference, caller: CurrentCaller, context: Context) -> list[TimelineEventOut]:
    """Every recorded event of the case, oldest first: decisions with who and why, notices, stage changes, breaches."""
    await authorize(context, caller, "cases.read", reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions() as session:
        events = await register.case_timeline(session, reference=reference)
    return [
        TimelineEventOut(
            at=e.at,
            kind=e.kind,
            actor=e.actor,
            role=e.role,
            summary=e.summary,
            rationale=e.rationale,
            details=e.details,
        )
        for e in events
    ]


async def read_case(context: Context, reference: str) -> CaseOut:
    async with context.sessions() as session:
        case = await register.find_case(session, reference=reference)
        if case is None:
            raise not_found(reference)
        deadlines = await register.case_deadlines(session, reference=reference)
    return _case_out(
        case,
        stage=case.stage,
        overdue=case.overdue,
        next_deadline=_next_deadline(case.next_deadline_key, case.next_deadline_due),
        deadlines=[DeadlineOut.model_validate(d, from_attributes=True) for d in deadlines],
        awaiting=[AwaitedOut.model_validate(item) for item in case.awaiting],
        updated_at=case.updated_at,
    )


def case_after_decision(case: Case, state: CaseState) -> CaseOut:
    """The case as a decision left it: the workflow's new state over the row read before it (its fixed facts).
    The register catches up within milliseconds; this process's next reads wait for it (api/register_fence.py)."""
    return _case_out(
        case,
        stage=state.stage,
        overdue=state.overdue,
        next_deadline=_next_deadline(state.next_deadline_key, state.next_deadline_due),
        deadlines=[
            DeadlineOut.model_validate(d.model_dump()) for d in sorted(state.deadlines, key=lambda d: (d.due, d.key))
        ],
        awaiting=[AwaitedOut.model_validate(item.model_dump()) for item in state.awaiting],
        updated_at=datetime.now(UTC),
    )


def _case_out(
    case: Case,
    *,
    stage: str,
    overdue: bool,
    next_deadline: NextDeadlineOut | None,
    deadlines: list[DeadlineOut],
    awaiting: list[AwaitedOut],
    updated_at: datetime,
) -> CaseOut:
    return CaseOut(
        reference=case.reference,
        board=case.board,
        stage=stage,
        workflow_id=case.workflow_id,
        rule_pack=case.rule_pack,
        rule_pack_version=case.rule_pack_version,
        aware_on=case.aware_on,
        notified_on=case.notified_on,
        incident=case.incident,
        assessment=case.assessment,
        overdue=overdue,
        next_deadline=next_deadline,
        deadlines=deadlines,
        awaiting=awaiting,
        breaches=[d.key for d in deadlines if d.breached_at is not None],
        created_at=case.created_at,
        updated_at=updated_at,
    )


def _next_deadline(key: str | None, due: date | None) -> NextDeadlineOut | None:
    return NextDeadlineOut(key=key, due=due) if key is not None and due is not None else None


def not_found(reference: str) -> ProblemError:
    return ProblemError(404, "Not found", f"There is no case {reference}.")
