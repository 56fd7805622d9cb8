"""The boards' annual learning summaries: start a year's run (by workflow name, ``domain.learning_summary_contract``;
a run under way is not started twice), list them, find one to download. Callers see only their boards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import structlog
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import audit
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import Caller, refuse
from domain.learning_summary import summary_as_at
from domain.learning_summary_contract import LEARNING_SUMMARY_WORKFLOW, learning_summary_workflow_id
from domain.learning_summary_messages import LearningSummaryInput, learning_summary_reference
from store import learning_register
from store.models import LearningSummary

_log = structlog.get_logger(__name__)

RunStatus = Literal["started", "already_running"]


@dataclass(frozen=True)
class Run:
    status: RunStatus
    workflow_id: str


async def run_summary(context: AppContext, *, caller: Caller, board: str, year: int) -> Run:
    """Start the board's summary of ``year`` now (422 for an unknown board or a year not begun, 403 audited for
    another board's), or point to the run under way. The request is audited under the summary's reference."""
    await _require_board(context, caller, board)
    if summary_as_at(year, datetime.now(UTC)).year < year:
        raise ProblemError(422, "Invalid request", f"{year} has not begun: there is nothing to summarise yet.")
    workflow_id = learning_summary_workflow_id(board, year)
    try:
        handle = await context.temporal.start_workflow(
            LEARNING_SUMMARY_WORKFLOW,
            LearningSummaryInput(board=board, year=year),
            id=workflow_id,
            task_queue=context.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,  # a run under way answers "already_running"
            static_summary=f"Learning summary {board} {year}",
        )
        status: RunStatus = "started"
        run_id = handle.result_run_id or ""
    except WorkflowAlreadyStartedError as running:
        status, run_id = "already_running", running.run_id or ""
    except RPCError as error:
        _log.warning("temporal_unavailable", error_type=type(error).__name__, error=str(error))
        raise ProblemError(
            503,
            "Service unavailable",
            "The summary could not be started just now; try again shortly.",
            headers={"Retry-After": "5"},
        ) from error
    entry = audit.learning_summary_requested(
        reference=learning_summary_reference(board, year), board=board, year=year, run_status=status, run_id=run_id
    )
    await audit.record(context.sessions, entry, by=audit.By.actor(caller.actor))
    return Run(status=status, workflow_id=workflow_id)


async def list_summaries(context: AppContext, *, caller: Caller) -> list[LearningSummary]:
    """The stored summaries of the caller's boards, newest year first."""
    async with context.sessions() as session:
        return await learning_register.list_summaries(session, boards=sorted(caller.boards))


async def find_summary(context: AppContext, *, caller: Caller, board: str, year: int) -> LearningSummary:
    """The board's summary of ``year``; another board's is "not found", as its cases are."""
    row = None
    if board in caller.boards:
        async with context.sessions() as session:
            row = await learning_register.find_summary(session, board=board, year=year)
    if row is None:
        raise ProblemError(404, "Not found", f"There is no learning summary of board {board} for {year}.")
    return row


async def _require_board(context: AppContext, caller: Caller, board: str) -> None:
    if board not in context.settings.board_codes:
        known = ", ".join(sorted(context.settings.board_codes))
        raise ProblemError(422, "Invalid request", f"Unknown board '{board}'. This service runs: {known}.")
    if board not in caller.boards:
        reason = f"You act for board {', '.join(sorted(caller.boards))}, not {board}."
        await refuse(context, caller, reason, action="learning_summaries.run", reference=None)
