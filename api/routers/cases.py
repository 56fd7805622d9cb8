"""Cases: open, list, read, and the timeline. Every caller sees only the cases of their own board.

A case's answers carry its register version as a weak ``ETag``, ``W/"<version>"`` (see ``api/access.py``); its
reads take ``min_version`` so any API process can honour read-your-writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status

from api.access import Access, CaseRead, ScopedCase, case_etag, case_responses
from api.context import Context
from api.permissions import Caller
from api.schemas import (
    AwaitedOut,
    CaseListOut,
    CaseOut,
    CaseSummaryOut,
    DeadlineOut,
    NextDeadlineOut,
    OpenCaseRequest,
    PageLimit,
    PageOffset,
    TimelineEventOut,
)
from api.services import cases
from domain.case_messages import CaseState
from domain.documents import DocumentKind, may_read
from domain.lifecycle.review import AGENCYS_OWN_TEXT
from domain.rule_pack import cite_for_board
from domain.stages import Stage
from store.models import Case, CaseDeadline
from store.register import CaseSort

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
ACCOUNT_WITHHELD = "Withheld: an agency's account is read by the review's people only (as its documents are)."

CaseOpener = Annotated[Caller, Depends(Access("cases.open"))]
CaseLister = Annotated[Caller, Depends(Access("cases.read", lists_cases=True))]
CaseReader = Annotated[ScopedCase, Depends(CaseRead("cases.read"))]
_READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **case_responses(200),
    503: {"description": "The register does not hold `min_version` yet; try again after `Retry-After`"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut, responses=case_responses(201))
async def open_case(
    body: OpenCaseRequest,
    caller: CaseOpener,
    context: Context,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseOut:
    """Record a notifiable incident and start its case. The same `Idempotency-Key` returns the same case."""
    case, created = await cases.open_case(context, request=body, caller=caller, idempotency_key=idempotency_key)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/cases/{case.reference}"
    case, deadlines = await cases.read_case(context, reference=case.reference)
    response.headers["ETag"] = case_etag(case.snapshot_version)
    return case_out(case, deadlines, procedure=context.settings.procedure_of(case.board))


@router.get("", response_model=CaseListOut)
async def list_cases(
    caller: CaseLister,
    context: Context,
    stage: Annotated[Stage | None, Query(description="Only cases at this stage")] = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    overdue: Annotated[bool | None, Query(description="Only cases with (true) or without (false) a breach")] = None,
    sort: Annotated[
        CaseSort, Query(description="newest (opened last first), next_deadline (soonest first), reference")
    ] = "newest",
) -> CaseListOut:
    found, total = await cases.list_cases(
        context, caller=caller, stage=stage, limit=limit, offset=offset, overdue=overdue, sort=sort
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
        for c in found
    ]
    return CaseListOut(items=items, total=total, limit=limit, offset=offset)


@router.get("/{reference}", response_model=CaseOut, responses=_READ_RESPONSES)
async def get_case(scoped: CaseReader, context: Context, response: Response) -> CaseOut:
    """The case as the register holds it; `ETag` is its version."""
    case, deadlines = await cases.read_case(context, reference=scoped.reference)
    response.headers["ETag"] = case_etag(case.snapshot_version)
    return case_out(case, deadlines, procedure=context.settings.procedure_of(case.board))


@router.get("/{reference}/timeline", response_model=list[TimelineEventOut], responses=_READ_RESPONSES)
async def case_timeline(scoped: CaseReader, context: Context, response: Response) -> list[TimelineEventOut]:
    """Every recorded event of the case, oldest first: decisions with who and why, notices, stage changes, breaches."""
    events = await cases.case_timeline(context, reference=scoped.reference)
    response.headers["ETag"] = case_etag(scoped.version)
    reads_accounts = may_read(scoped.actor.role, DocumentKind.AGENCY_ACCOUNT)
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
        if reads_accounts or not AGENCYS_OWN_TEXT.match(e.summary)
        else TimelineEventOut(
            at=e.at,
            kind=e.kind,
            actor=e.actor,
            role=e.role,
            summary=e.summary,
            rationale=ACCOUNT_WITHHELD,
            details={},
        )
        for e in events
    ]


def case_out(case: Case, deadlines: list[CaseDeadline], *, procedure: str | None) -> CaseOut:
    """The case as the register holds it; its deadlines cite ``procedure``, its board's own."""
    return _case_out(
        case,
        stage=case.stage,
        overdue=case.overdue,
        next_deadline=_next_deadline(case.next_deadline_key, case.next_deadline_due),
        deadlines=[_cited(DeadlineOut.model_validate(d, from_attributes=True), procedure) for d in deadlines],
        awaiting=[AwaitedOut.model_validate(item) for item in case.awaiting],
        updated_at=case.updated_at,
    )


def case_after_decision(case: Case, state: CaseState, *, procedure: str | None) -> CaseOut:
    """The case as a decision left it: the workflow's new state over the row read before it (its fixed facts).
    The register catches up within milliseconds; this process's next reads wait for it (api/register_fence.py)."""
    return _case_out(
        case,
        stage=state.stage,
        overdue=state.overdue,
        next_deadline=_next_deadline(state.next_deadline_key, state.next_deadline_due),
        deadlines=[
            _cited(DeadlineOut.model_validate(d.model_dump()), procedure)
            for d in sorted(state.deadlines, key=lambda d: (d.due, d.key))
        ],
        awaiting=[AwaitedOut.model_validate(item.model_dump()) for item in state.awaiting],
        updated_at=datetime.now(UTC),
        assessment=state.assessment,
        incident=state.incident,
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
    assessment: dict[str, Any] | None = None,
    incident: dict[str, Any] | None = None,
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
        incident=incident if incident is not None else case.incident,
        assessment=assessment if assessment is not None else case.assessment,
        overdue=overdue,
        next_deadline=next_deadline,
        deadlines=deadlines,
        awaiting=awaiting,
        breaches=[d.key for d in deadlines if d.breached_at is not None],
        created_at=case.created_at,
        updated_at=updated_at,
    )


def _cited(deadline: DeadlineOut, procedure: str | None) -> DeadlineOut:
    """Every deadline cites the case's own board's procedure, those the workflow set itself (the monthly
    retention review) and those recorded before the board had one configured too."""
    return deadline.model_copy(update={"source": cite_for_board(deadline.source, procedure)})


def _next_deadline(key: str | None, due: date | None) -> NextDeadlineOut | None:
    return NextDeadlineOut(key=key, due=due) if key is not None and due is not None else None
