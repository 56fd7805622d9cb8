"""A board's annual learning summary: compile the year's figures from the case register, render them as HTML and
Markdown, store both, record the summary and email the partners a link.

The yearly schedule starts it without a year: that run works out the year before (UK time) and hands the work to
the year's own run, ``scr-learning-summary-<board>-<year>``, the same workflow id the API starts on demand. So one
year has one id, and the schedule cannot run a year twice at once with staff.

The partners' email is keyed by the HTML's content hash: a re-run that produces the same summary sends nothing,
one whose summary changed (late-recorded progress, identifiers recorded since) tells the partners again.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from workflows import activity_calls

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import (
        COMPILE_LEARNING_SUMMARY,
        RECORD_LEARNING_SUMMARY,
        RENDER_LEARNING_SUMMARY,
        SEND_NOTICE,
    )
    from domain.case_messages import NoticeKind, SendNoticeInput
    from domain.learning_summary import LearningSummaryFigures, summary_as_at, summary_year
    from domain.learning_summary_contract import LEARNING_SUMMARY_WORKFLOW, learning_summary_workflow_id
    from domain.learning_summary_messages import (
        CompileLearningSummaryInput,
        LearningSummaryInput,
        LearningSummaryResult,
        RecordedLearningSummary,
        RecordLearningSummaryInput,
        StoredLearningSummary,
        learning_summary_reference,
    )
    from domain.roles import Recipient

# Reading a board's register and rendering it take seconds; a database outage is waited out, backing off.
WORK_TIMEOUT = timedelta(minutes=2)
RECORD_TIMEOUT = timedelta(seconds=30)
DATABASE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# The email must go eventually: retry without limit, backing off to 10 minutes (as the case workflow does).
PATIENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=10))


@workflow.defn(name=LEARNING_SUMMARY_WORKFLOW)
class LearningSummaryWorkflow:
    @workflow.run
    async def run(self, data: LearningSummaryInput) -> LearningSummaryResult:
        if data.year is None:
            return await self._hand_over(data.board, summary_year(workflow.now()))
        return await self._summarise(data.board, data.year)

    async def _hand_over(self, board: str, year: int) -> LearningSummaryResult:
        """The scheduled run: the year's own run does the work (or is doing it already, started by staff)."""
        workflow_id = learning_summary_workflow_id(board, year)
        workflow.set_current_details(f"Learning summary **{board} {year}**: run `{workflow_id}`")
        try:
            result: LearningSummaryResult = await workflow.execute_child_workflow(
                LearningSummaryWorkflow.run,
                LearningSummaryInput(board=board, year=year),
                id=workflow_id,
                static_summary=f"Learning summary {board} {year}",
            )
        except WorkflowAlreadyStartedError:
            workflow.logger.info("learning summary already under way", extra={"workflow_id": workflow_id})
            return LearningSummaryResult(board=board, year=year, workflow_id=workflow_id)
        return result

    async def _summarise(self, board: str, year: int) -> LearningSummaryResult:
        as_at = summary_as_at(year, workflow.now())
        if as_at.year < year:
            raise ApplicationError(f"{year} has not begun: there is nothing to summarise.", type="YearNotStarted")
        label = f"{board} {year}"
        self._progress(label, f"compiling the figures to {as_at.isoformat()}")
        figures: LearningSummaryFigures = await activity_calls.execute(
            COMPILE_LEARNING_SUMMARY,
            CompileLearningSummaryInput(board=board, year=year, as_at=as_at),
            start_to_close_timeout=WORK_TIMEOUT,
            retry_policy=DATABASE_RETRY,
            summary=f"compile learning summary {label} to {as_at.isoformat()}",
        )
        stored: StoredLearningSummary = await activity_calls.execute(
            RENDER_LEARNING_SUMMARY,
            figures,
            start_to_close_timeout=WORK_TIMEOUT,
            retry_policy=DATABASE_RETRY,
            summary=f"render and store learning summary {label}",
        )
        info = workflow.info()
        recorded: RecordedLearningSummary = await activity_calls.execute(
            RECORD_LEARNING_SUMMARY,
            RecordLearningSummaryInput(
                board=board, year=year, stored=stored, workflow_id=info.workflow_id, run_id=info.run_id
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=DATABASE_RETRY,
            summary=f"record learning summary {label}",
        )
        self._progress(label, "stored; emailing the partners")
        await activity_calls.execute(
            SEND_NOTICE,
            SendNoticeInput(
                reference=learning_summary_reference(board, year),
                kind=NoticeKind.LEARNING_SUMMARY,
                occurrence=stored.html_sha256,
                recipient=Recipient.PARTNERS.value,
                facts={"year": str(year), "board": board, "link": recorded.html_url},
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=PATIENT_RETRY,
            summary=f"learning summary {label} to {Recipient.PARTNERS.value}",
        )
        self._progress(label, "stored; partners told")
        return LearningSummaryResult(
            board=board,
            year=year,
            workflow_id=info.workflow_id,
            stored=stored,
            html_url=recorded.html_url,
            partners_notified=True,
        )

    @staticmethod
    def _progress(label: str, text: str) -> None:
        workflow.set_current_details(f"Learning summary **{label}**: {text}")
