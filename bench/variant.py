"""A bench-only variant of ``ScrCaseWorkflow`` that runs its register write and deadline resolution as *local*
activities, to measure the proposal in BENCHMARKS.md without touching product code.

Same rules, same activities, same register; the only difference is ``execute_local_activity`` in place of
``execute_activity`` for ``record_case_event`` and ``compute_case_deadlines``, so a ``decide`` update completes in
the workflow task that received it instead of waiting for an activity task and a second workflow task. Runs on
its own task queue under its own workflow type; the API never starts it.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.case_workflow import ACTIVITY_TIMEOUT, PATIENT_RETRY, ScrCaseWorkflow

with workflow.unsafe.imports_passed_through():
    from domain.case_file import CaseWorkflowInput
    from domain.case_messages import Actor, ComputeDeadlinesInput, RecordCaseEventInput, ScheduledDeadline
    from domain.case_rules import SYSTEM, Outcome

VARIANT_TASK_QUEUE = "bench-local-activities"
VARIANT_WORKFLOW = "BenchScrCaseLocalActivities"


@workflow.defn(name=VARIANT_WORKFLOW)
class LocalActivityCaseWorkflow(ScrCaseWorkflow):
    @workflow.run
    async def run(self, data: CaseWorkflowInput) -> None:
        await super().run(data)

    async def _compute(self, data: ComputeDeadlinesInput) -> list[ScheduledDeadline]:
        deadlines: list[ScheduledDeadline] = await workflow.execute_local_activity(
            "compute_case_deadlines",
            data,
            result_type=list[ScheduledDeadline],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary="resolve deadlines",
        )
        return deadlines

    async def _record(self, outcome: Outcome, actor: Actor = SYSTEM, assessment: dict[str, Any] | None = None) -> None:
        self._case.version += 1
        await workflow.execute_local_activity(
            "record_case_event",
            RecordCaseEventInput(
                reference=self._case.reference,
                business_key=f"{self._case.reference}:{self._case.version}:{outcome.kind}",
                kind=outcome.kind,
                actor=actor,
                at=workflow.now(),
                summary=outcome.summary,
                rationale=outcome.rationale,
                details=outcome.details,
                snapshot=self._snapshot(),
                assessment=assessment,
            ),
            result_type=bool,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=PATIENT_RETRY,
            summary=f"record: {outcome.summary[:80]}",
        )
        self._publish_visibility()
