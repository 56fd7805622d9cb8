"""One Serious Case Review, from the incident notification to closure, as one durable workflow.

The rules live in ``domain/case_rules.py``; this class runs them: staff decisions arrive as the ``decide``
update (validated by the rules, refused with a reason), every deadline of the case runs on one durable
clock (reminders, then escalation and a breach kept on the case), every change is written to the case
register by an activity, and notices go out by email. Cases live for years: the workflow continues as
new when Temporal suggests it, carrying its :class:`CaseFile`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import case_rules
    from domain.case_file import CaseFile, CaseWorkflowInput
    from domain.case_messages import (
        Actor,
        CaseSnapshot,
        CaseState,
        ComputeDeadlinesInput,
        DeadlineRecord,
        DeadlineStatus,
        DecisionRequest,
        NoticeKind,
        NoticeResult,
        OpenCaseInput,
        RecordCaseEventInput,
        Refusal,
        ScheduledDeadline,
        SendNoticeInput,
    )
    from domain.case_rules import SYSTEM, DecisionRefused, NoticeRequest, Outcome
    from domain.criteria import assess
    from domain.publication_messages import PublishReviewInput, PublishReviewResult, RemoveReviewInput
    from domain.roles import Recipient, Role
    from domain.rule_pack import CaseEvent
    from domain.stages import Stage
    from domain.uk_time import london_date

STAGE = SearchAttributeKey.for_keyword("ScrStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("ScrNextDeadline")
OVERDUE = SearchAttributeKey.for_bool("ScrOverdue")
BOARD = SearchAttributeKey.for_keyword("ScrBoard")

# Short, so an activity lost with a crashed worker is retried on another within half a minute.
ACTIVITY_TIMEOUT = timedelta(seconds=30)
UNAVAILABLE = "ServiceUnavailable"  # the API answers 503: try again
# Register writes and notices must happen eventually: retry without limit, backing off to 10 minutes.
PATIENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=10))
# Patches (workflow.patched) over released code; cases started before each keep the old commands on replay.
# Register writes and deadline resolution as local activities: a decision completes in the workflow task that
# received it instead of waiting for an activity task and a second workflow task (BENCHMARKS.md, P1).
LOCAL_ACTIVITIES = "local-register-and-deadlines"
# A notice's recipients are sent to at once rather than one after another (BENCHMARKS.md, P6).
PARALLEL_NOTICES = "parallel-notice-recipients"
# A notice that cannot be delivered is escalated to the business manager by email, not only recorded.
ESCALATE_UNDELIVERED = "escalate-undelivered-notices"
# A decision answers as soon as the workflow has taken it: its register write follows as an activity started in
# the same workflow task, so the answer no longer waits for the database (BENCHMARKS.md, P8). The API keeps
# read-your-writes for its own callers (api/register_fence.py).
ANSWER_FIRST = "answer-decisions-before-register-write"


@workflow.defn(name="ScrCaseWorkflow")
class ScrCaseWorkflow:
    @workflow.init
    def __init__(self, data: CaseWorkflowInput) -> None:
        opening, carried = data.opening, data.carried
        self._case = carried or CaseFile(
            reference=opening.reference,
            board=opening.board,
            rule_pack=opening.rule_pack,
            rule_pack_version=opening.rule_pack_version,
            aware_on=opening.aware_on,
            notified_on=opening.notified_on,
            incident=opening.incident,
            assessment=assess(opening.incident),
        )
        self._registered = carried is not None
        self._outbox: list[NoticeRequest] = []
        self._unrecorded: list[RecordCaseEventInput] = []  # events taken, not yet in the register (oldest first)
        self._recording = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None  # the newest decision's register write (kept referenced)
        self._decisions = asyncio.Lock()  # one decision at a time: each is checked against the state it changes
        self._woken = False

    # -- the process -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: CaseWorkflowInput) -> None:
        workflow.set_current_details(self._details())
        if data.carried is None:
            await self._open(data.opening)
        while self._case.stage not in case_rules.TERMINAL:
            self._woken = False  # a decision taken from here on wakes the clock below
            await self._send_outbox()
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._decisions.locked())
                await self._write_unrecorded()
                await self._send_outbox()
                workflow.continue_as_new(CaseWorkflowInput(opening=data.opening, carried=self._case))
            await self._run_clock()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._write_unrecorded()
        await self._send_outbox()

    async def _open(self, data: OpenCaseInput) -> None:
        now = workflow.now()
        deadlines = await self._compute(
            ComputeDeadlinesInput(
                rule_pack=data.rule_pack,
                rule_pack_version=data.rule_pack_version,
                events={CaseEvent.AWARE.value: data.aware_on, CaseEvent.NOTIFIED.value: data.notified_on},
            )
        )
        for deadline in deadlines:
            case_rules.add_deadline(self._case, deadline, now)
        assessment = self._case.assessment
        await self._record(
            Outcome(
                "case_opened",
                f"Case opened under {data.rule_pack} v{data.rule_pack_version}; SCR {assessment.scr.replace('_', ' ')}",
                details={"grounds": list(assessment.grounds)},
            ),
            data.opened_by,
            assessment=assessment.model_dump(mode="json"),
        )
        self._registered = True

        if assessment.notifiable:
            facts = {"aware_on": data.aware_on.isoformat(), "grounds": "; ".join(assessment.notifiable_grounds)}
            notice = NoticeRequest(
                NoticeKind.INCIDENT_NOTIFICATION, (Recipient.OFSTED, Recipient.NATIONAL_PANEL), "1", facts
            )
            if await self._send(notice):
                case_rules.meet(self._case, "notify_ofsted", workflow.now())
                await self._record(Outcome("deadline_met", "Ofsted and the National Panel notified of the incident"))
        else:
            case_rules.cancel(self._case, "notify_ofsted")
        if self._case.stage == Stage.NOTIFIED:  # staff may already have moved it on
            self._case.stage = Stage.SCREENING
            await self._record(Outcome("stage_changed", "Referral passed to the SCR sub-group for screening"))

    async def _run_clock(self) -> None:
        """Sleep until the case's next reminder or due time, or until something changes; then act on it."""
        event = case_rules.next_clock_event(self._case)
        if event is not None:
            remaining = event.at - workflow.now()
            if remaining > timedelta(0):
                try:
                    await workflow.wait_condition(self._wake, timeout=remaining, timeout_summary=event.summary)
                    return
                except TimeoutError:
                    pass
            outcome = case_rules.fire_clock(self._case, event.key, workflow.now())
            if outcome is not None:
                self._outbox.extend(outcome.notices)
                await self._record(outcome)
            return
        await workflow.wait_condition(self._wake)

    def _wake(self) -> bool:
        return (
            self._woken
            or bool(self._outbox)
            or self._case.stage in case_rules.TERMINAL
            or workflow.info().is_continue_as_new_suggested()
        )

    # -- staff decisions ---------------------------------------------------------------------------------

    @workflow.update
    async def registered(self) -> CaseState:
        """Completes once the case is in the register, so the API can answer with its deadlines."""
        await workflow.wait_condition(lambda: self._registered)
        return self._state()

    @workflow.update
    async def decide(self, request: DecisionRequest) -> CaseState:
        async with self._decisions:
            now = workflow.now()
            self._check(request)  # again: an earlier decision or a clock may have changed the case meanwhile
            needs = case_rules.deadline_requests(self._case, request.decision, london_date(now))
            schedules = await self._compute(needs) if needs is not None else []
            published_at = await self._publish() if request.decision.kind == "published" else None
            if request.decision.kind == "removal":
                await self._website(
                    "remove_review", RemoveReviewInput(reference=self._case.reference, removed_on=london_date(now))
                )
            changed = self._case.model_copy(deep=True)
            try:
                outcome = case_rules.apply(
                    changed, request.actor, request.decision, workflow.now(), schedules, published_at
                )
            except DecisionRefused as refused:
                raise ApplicationError(refused.message, type=refused.refusal.value) from None
            self._case = changed
            self._outbox.extend(outcome.notices)
            if workflow.patched(ANSWER_FIRST):
                # Already durable in the workflow's history; the register write starts in this workflow task, in
                # a task of its own so that neither the answer nor notices still going out hold it up.
                self._unrecorded.append(self._event(outcome, request.actor))
                self._publish_visibility()
                self._writer = asyncio.create_task(self._write_unrecorded())
            else:
                await self._record(outcome, request.actor)
            self._woken = True
            return self._state()

    @decide.validator
    def _validate_decision(self, request: DecisionRequest) -> None:
        self._check(request)

    def _check(self, request: DecisionRequest) -> None:
        if not self._registered:
            raise ApplicationError("The case is still being opened; try again in a moment.", type="Conflict")
        try:
            case_rules.check(self._case, request.actor, request.decision, london_date(workflow.now()))
        except DecisionRefused as refused:
            raise ApplicationError(refused.message, type=refused.refusal.value) from None

    @workflow.query
    def state(self) -> CaseState:
        return self._state()

    @workflow.query
    def case_file(self) -> CaseFile:
        return self._case

    # -- side effects (activities) -----------------------------------------------------------------------

    async def _compute(self, data: ComputeDeadlinesInput) -> list[ScheduledDeadline]:
        summary = "resolve deadlines: " + ", ".join([*data.events, *(a.key for a in data.adhoc)])
        deadlines: list[ScheduledDeadline] = await self._activity(
            "compute_case_deadlines",
            data,
            result_type=list[ScheduledDeadline],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary=summary,
        )
        return deadlines

    async def _activity(self, activity: str, data: Any, **options: Any) -> Any:
        """The register write and the deadline resolution: short, idempotent, local to the worker's database."""
        if workflow.patched(LOCAL_ACTIVITIES):
            return await workflow.execute_local_activity(activity, data, **options)
        return await workflow.execute_activity(activity, data, **options)

    async def _publish(self) -> str:
        """Put the review on the website through the anonymisation gate; a hit refuses the decision."""
        publication = self._case.publication
        assert publication.planned_on is not None  # the rules put a case in pre-publication with a date
        result: PublishReviewResult = await self._website(
            "publish_review",
            PublishReviewInput(
                reference=self._case.reference,
                withheld=publication.report_withheld,
                publication_on=publication.planned_on,
            ),
            result_type=PublishReviewResult,
        )
        if not result.published or result.location is None:
            places = "; ".join(f"{hit.document_kind}: {hit.category} at {hit.place}" for hit in result.hits[:10])
            more = f" (and {len(result.hits) - 10} more)" if len(result.hits) > 10 else ""
            raise ApplicationError(
                f"The anonymisation gate found {len(result.hits)} possible identifying detail(s): {places}{more}. "
                "Correct the documents, or the chair may accept a specific hit with a reason; then publish again.",
                type=Refusal.CONFLICT.value,
            )
        return result.location

    async def _website(self, activity: str, data: Any, result_type: type[Any] | None = None) -> Any:
        """Publisher activities run inside a decision: a refusal comes back to staff, and a service that stays
        down makes the decision fail (and change nothing) rather than hang."""
        try:
            return await workflow.execute_activity(
                activity,
                data,
                result_type=result_type,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(seconds=10)),
                summary=activity.replace("_", " "),
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                raise ApplicationError(cause.message, type=Refusal.CONFLICT.value) from None
            raise ApplicationError(
                "The website could not be updated just now; nothing was changed. Try again shortly.",
                type=UNAVAILABLE,
            ) from None

    async def _record(self, outcome: Outcome, actor: Actor = SYSTEM, assessment: dict[str, Any] | None = None) -> None:
        """Write the event and the case's new snapshot to the register, and refresh what operators see."""
        if workflow.patched(ANSWER_FIRST):
            # Behind any decisions still unwritten: the register receives every version in order.
            self._unrecorded.append(self._event(outcome, actor, assessment))
            await self._write_unrecorded(local=True)
        else:
            await self._activity(
                "record_case_event",
                self._event(outcome, actor, assessment),
                result_type=bool,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT_RETRY,
                summary=f"record: {outcome.summary[:80]}",
            )
        self._publish_visibility()

    def _event(self, outcome: Outcome, actor: Actor, assessment: dict[str, Any] | None = None) -> RecordCaseEventInput:
        """The next version of the case: the event and the snapshot it leaves, as the register will keep them."""
        self._case.version += 1
        return RecordCaseEventInput(
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
        )

    async def _write_unrecorded(self, *, local: bool = False) -> None:
        """Write the queued events to the register, oldest first, one writer at a time: a case's versions reach
        the register in order, so a snapshot version there means every event up to it is there too. After a
        decision, a regular activity: a local one would hold the workflow task, and the decision's answer with it."""
        async with self._recording:
            while self._unrecorded:
                data = self._unrecorded[0]
                options: dict[str, Any] = {
                    "result_type": bool,
                    "start_to_close_timeout": ACTIVITY_TIMEOUT,
                    "retry_policy": PATIENT_RETRY,
                    "summary": f"record: {data.summary[:80]}",
                }
                if local:
                    await workflow.execute_local_activity("record_case_event", data, **options)
                else:
                    await workflow.execute_activity("record_case_event", data, **options)
                self._unrecorded.pop(0)

    async def _send_outbox(self) -> None:
        while self._outbox:
            await self._send(self._outbox.pop(0))

    async def _send(self, notice: NoticeRequest) -> bool:
        """Send a notice to each recipient; one that cannot be delivered is recorded, never fatal to the case."""
        if workflow.patched(PARALLEL_NOTICES):
            sent = await asyncio.gather(*(self._send_to(notice, recipient) for recipient in notice.recipients))
        else:
            sent = [await self._send_to(notice, recipient) for recipient in notice.recipients]
        return all(sent)

    async def _send_to(self, notice: NoticeRequest, recipient: str) -> bool:
        try:
            await workflow.execute_activity(
                "send_notice",
                SendNoticeInput(
                    reference=self._case.reference,
                    kind=notice.kind,
                    occurrence=notice.occurrence,
                    recipient=recipient,
                    facts=notice.facts,
                ),
                result_type=NoticeResult,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT_RETRY,
                summary=f"{notice.kind.value.replace('_', ' ')} to {recipient}",
            )
            return True
        except ActivityError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            await self._record(
                Outcome(
                    "notice_failed",
                    f"{notice.kind.value.replace('_', ' ')} to {recipient} could not be delivered; "
                    "the business manager must send it by hand",
                    details={"reason": reason, "recipient": recipient},
                )
            )
            manager = Role.BUSINESS_MANAGER.value
            if recipient != manager and workflow.patched(ESCALATE_UNDELIVERED):
                what = {"notice": notice.kind.value.replace("_", " "), "recipient": recipient.replace("_", " ")}
                occurrence = f"{notice.kind.value}:{recipient}:{notice.occurrence}"
                self._outbox.append(NoticeRequest(NoticeKind.NOTICE_UNDELIVERED, (manager,), occurrence, what))
            return False

    # -- views -------------------------------------------------------------------------------------------

    def _next_deadline(self) -> tuple[DeadlineRecord, ScheduledDeadline] | None:
        open_deadlines = [d for d in self._case.deadlines.values() if d.is_open]
        soonest = min(open_deadlines, key=lambda d: (d.schedule.due, d.schedule.key), default=None)
        return (soonest.record(), soonest.schedule) if soonest else None

    def _snapshot(self) -> CaseSnapshot:
        upcoming = self._next_deadline()
        return CaseSnapshot(
            version=self._case.version,
            stage=self._case.stage.value,
            overdue=any(d.status == DeadlineStatus.OVERDUE for d in self._case.deadlines.values()),
            next_deadline_key=upcoming[0].key if upcoming else None,
            next_deadline_due=upcoming[0].due if upcoming else None,
            deadlines=self._case.deadline_records(),
            awaiting=case_rules.awaiting(self._case),
        )

    def _state(self) -> CaseState:
        snapshot = self._snapshot()
        return CaseState(
            reference=self._case.reference,
            stage=snapshot.stage,
            overdue=snapshot.overdue,
            deadlines=snapshot.deadlines,
            awaiting=snapshot.awaiting,
            chair_decision=self._case.chair_decision,
            snapshot_version=self._case.version,
            next_deadline_key=snapshot.next_deadline_key,
            next_deadline_due=snapshot.next_deadline_due,
        )

    def _publish_visibility(self) -> None:
        snapshot = self._snapshot()
        upcoming = self._next_deadline()
        updates: list[SearchAttributeUpdate[Any]] = [
            STAGE.value_set(snapshot.stage),
            BOARD.value_set(self._case.board),
            OVERDUE.value_set(snapshot.overdue),
            NEXT_DEADLINE.value_set(upcoming[1].due_at) if upcoming else NEXT_DEADLINE.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details())

    def _details(self) -> str:
        lines = [f"**{self._case.reference}** — stage `{self._case.stage.value}`"]
        upcoming = self._next_deadline()
        if upcoming:
            record = upcoming[0]
            lines.append(f"Next deadline: {record.title} due {record.due.isoformat()} ({record.status.value})")
        awaited = case_rules.awaiting(self._case)
        if awaited:
            lines.append("Awaiting: " + "; ".join(f"{a.description} ({', '.join(a.roles)})" for a in awaited[:5]))
        breached = [d.schedule.title for d in self._case.deadlines.values() if d.breached_at is not None]
        if breached:
            lines.append("Breached: " + ", ".join(breached))
        return "\n\n".join(lines)
