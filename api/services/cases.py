"""Cases: opening one (the register row, then its workflow), reading them, and passing staff decisions to their
workflows, by name (``domain.case_contract``)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api import audit
from api.access import DecisionScope
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import Caller, refuse
from api.schemas import OpenCaseRequest
from api.services.free_text import check_free_text
from domain.case_contract import (
    BOARD,
    CASE_WORKFLOW,
    DECIDE_UPDATE,
    REGISTERED_UPDATE,
    STAGE,
    UNAVAILABLE,
    case_workflow_id,
)
from domain.case_file import CaseWorkflowInput
from domain.case_messages import Actor, CaseState, DecisionRequest, OfstedNotifiedByLA, OpenCaseInput, Refusal
from domain.decision_inputs import DecisionInput
from domain.rule_pack import SCR_2015
from domain.stages import Stage
from domain.uk_time import london_date
from store import register
from store.models import AuditEvent, Case, CaseDeadline

_log = structlog.get_logger(__name__)

# How long a request waits for the workflow to answer before telling the caller to try again.
UPDATE_WAIT = timedelta(seconds=20)
REFUSAL_STATUS = {
    Refusal.FORBIDDEN: (403, "Forbidden"),
    Refusal.CONFLICT: (409, "Conflict"),
    Refusal.INVALID: (422, "Invalid request"),
}
# A decision's Idempotency-Key becomes its Temporal update id, "<kind>:<key>": letters, digits and . _ : ~ -
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]*$"
IDEMPOTENCY_KEY_MAX = 128


# -- opening ---------------------------------------------------------------------------------------------


def _fingerprint(request: OpenCaseRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def open_case(
    context: AppContext, *, request: OpenCaseRequest, caller: Caller, idempotency_key: str | None
) -> tuple[Case, bool]:
    """Register the case and start its workflow. Returns the case and whether this call created it."""
    if request.board in context.settings.board_codes and request.board not in caller.boards:
        reason = f"You act for board {', '.join(sorted(caller.boards))}, not {request.board}."
        await refuse(context, caller, reason, action="cases.open", reference=None)
    if request.board not in context.settings.board_codes:
        known = ", ".join(sorted(context.settings.board_codes))
        raise ProblemError(422, "Invalid request", f"Unknown board '{request.board}'. This service runs: {known}.")
    today = london_date(datetime.now(UTC))
    for name, day in (("aware_on", request.aware_on), ("notified_on", request.notified_on)):
        if day > today:
            detail = f"{name} {day} is in the future: a case records an incident the board already knows of."
            raise ProblemError(422, "Invalid request", detail, extra={"errors": [{"field": name, "message": detail}]})
    if request.ofsted_notified is not None and request.ofsted_notified.notified_on > today:
        raise ProblemError(
            422,
            "Invalid request",
            f"ofsted_notified.notified_on {request.ofsted_notified.notified_on} is in the future.",
        )

    fingerprint = _fingerprint(request)
    case = await _existing(context, request.board, idempotency_key, fingerprint)
    created = case is None
    if case is None:
        try:
            case = await _insert(context, request, caller.actor, idempotency_key, fingerprint, today.year)
        except IntegrityError:
            # A concurrent request with the same Idempotency-Key got there first.
            case = await _existing(context, request.board, idempotency_key, fingerprint)
            if case is None:
                raise
            created = False

    await _start_workflow(context, case, request, caller.actor)
    return case, created


async def _existing(context: AppContext, board: str, key: str | None, fingerprint: str) -> Case | None:
    if key is None:
        return None
    async with context.sessions() as session:
        case = await register.find_case_by_idempotency_key(session, board=board, key=key)
    if case is not None and case.request_fingerprint != fingerprint:
        raise ProblemError(
            409,
            "Conflict",
            f"Idempotency-Key '{key}' was already used for case {case.reference} with different facts.",
        )
    return case


async def _insert(
    context: AppContext, request: OpenCaseRequest, actor: Actor, key: str | None, fingerprint: str, year: int
) -> Case:
    async with context.sessions.begin() as session:
        return await register.create_case(
            session,
            board=request.board,
            year=year,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            stage=Stage.NOTIFIED.value,
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            aware_on=request.aware_on,
            notified_on=request.notified_on,
            incident=request.incident.model_dump(mode="json"),
            created_by=actor.user,
            workflow_id_for=case_workflow_id,
        )


async def _start_workflow(context: AppContext, case: Case, request: OpenCaseRequest, actor: Actor) -> None:
    opening = OpenCaseInput(
        reference=case.reference,
        board=case.board,
        aware_on=case.aware_on,
        notified_on=case.notified_on,
        incident=request.incident,
        rule_pack=case.rule_pack,
        rule_pack_version=case.rule_pack_version,
        opened_by=actor,
        practice=context.settings.local_practice,
        ofsted_notified=(
            OfstedNotifiedByLA(
                notified_on=request.ofsted_notified.notified_on, notified_by=request.ofsted_notified.notified_by
            )
            if request.ofsted_notified is not None
            else None
        ),
    )
    try:
        handle = await context.temporal.start_workflow(
            CASE_WORKFLOW,
            CaseWorkflowInput(opening=opening),
            id=case.workflow_id,
            task_queue=context.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(STAGE, Stage.NOTIFIED.value), SearchAttributePair(BOARD, case.board)]
            ),
            static_summary=f"{case.reference} · {case.rule_pack} v{case.rule_pack_version}",
        )
        await handle.execute_update(REGISTERED_UPDATE, result_type=CaseState, rpc_timeout=UPDATE_WAIT)
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise _unavailable(
            error,
            f"Case {case.reference} is recorded but its workflow did not confirm in time. "
            "Send the same request with the same Idempotency-Key to finish opening it.",
        ) from error


# -- reading ---------------------------------------------------------------------------------------------


async def list_cases(
    context: AppContext,
    *,
    caller: Caller,
    stage: Stage | None,
    limit: int,
    offset: int,
    overdue: bool | None = None,
    sort: register.CaseSort = "newest",
) -> tuple[list[Case], int]:
    async with context.sessions() as session:
        return await register.list_cases(
            session,
            boards=sorted(caller.boards),
            stage=stage.value if stage else None,
            limit=limit,
            offset=offset,
            references=caller.cases,
            overdue=overdue,
            sort=sort,
        )


async def read_case(context: AppContext, *, reference: str) -> tuple[Case, list[CaseDeadline]]:
    """The case's register row and its deadlines (404 if there is no such case)."""
    async with context.sessions() as session:
        case = await register.find_case(session, reference=reference)
        if case is None:
            raise ProblemError(404, "Not found", f"There is no case {reference}.")
        deadlines = await register.case_deadlines(session, reference=reference)
    return case, deadlines


async def case_timeline(context: AppContext, *, reference: str) -> list[AuditEvent]:
    async with context.sessions() as session:
        return await register.case_timeline(session, reference=reference)


# -- deciding --------------------------------------------------------------------------------------------


def decision_update_id(kind: str, idempotency_key: str | None) -> str:
    """The Temporal update id of a decision: named by its kind, so operators see "chair:..." in the Web UI. With
    ``idempotency_key`` (``IDEMPOTENCY_KEY_PATTERN``, checked by the route) it is per case (the workflow) and kind,
    so a retry with the same key is applied once and answers as the first did; without, it is unique."""
    return f"{kind}:{idempotency_key if idempotency_key is not None else uuid.uuid4()}"


async def decide(
    context: AppContext, *, scoped: DecisionScope, decision: DecisionInput, idempotency_key: str | None = None
) -> CaseState:
    """Pass a staff decision to the case; a refusal comes back as 403/409/422 with the rule's reason (422 too,
    before the workflow, for free text naming the case's recorded child or family). This
    process's later reads of the case wait for the register to hold the answer (api/register_fence.py)."""
    reference, actor = scoped.reference, scoped.actor
    check_free_text(scoped.identifiers, decision)  # 422 before the workflow sees it
    update_id = decision_update_id(decision.kind, idempotency_key)
    handle = context.temporal.get_workflow_handle(case_workflow_id(reference))
    try:
        state: CaseState = await handle.execute_update(
            DECIDE_UPDATE,
            DecisionRequest(actor=actor, decision=decision),
            id=update_id,
            result_type=CaseState,
            rpc_timeout=UPDATE_WAIT,
        )
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == UNAVAILABLE:
            raise ProblemError(503, "Service unavailable", cause.message, headers={"Retry-After": "30"}) from None
        if isinstance(cause, ApplicationError) and cause.type in REFUSAL_STATUS:
            status, title = REFUSAL_STATUS[Refusal(cause.type)]
            entry = audit.decision_refused(reference=reference, decision=decision.kind, reason=cause.message)
            await audit.record(context.sessions, entry, by=audit.By.actor(actor))
            raise ProblemError(status, title, cause.message) from None
        raise
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
        raise _unavailable(
            error, "The case did not confirm the decision in time; it may still apply. Read the case before resending."
        ) from error
    context.fence.answered(reference, state.snapshot_version, board=scoped.case.board)
    return state


def _unavailable(error: RPCError | WorkflowUpdateRPCTimeoutOrCancelledError, detail: str) -> ProblemError:
    if isinstance(error, RPCError) and error.status == RPCStatusCode.NOT_FOUND:
        return ProblemError(404, "Not found", "The case's workflow was not found.")
    # For operators: Temporal's own message (it carries ids and codes, never case content).
    _log.warning("temporal_unavailable", error_type=type(error).__name__, error=str(error))
    return ProblemError(503, "Service unavailable", detail, headers={"Retry-After": "5"})
