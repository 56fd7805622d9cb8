"""One Serious Case Review, from the incident notification onwards, as one durable workflow.

This first slice runs: notification (deadlines resolved, Ofsted told), the wait for the independent
chair's decision under the ``chair_decision`` clock (reminders, then escalation and a recorded breach),
and the decision itself. Later stages wait on the stage the decision leads to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case_messages import (
        Actor,
        CaseSnapshot,
        CaseState,
        ChairDecisionInput,
        ComputeDeadlinesInput,
        DeadlineRecord,
        DeadlineStatus,
        NoticeKind,
        NoticeResult,
        OpenCaseInput,
        RecordCaseEventInput,
        Refusal,
        ScheduledDeadline,
        SendNoticeInput,
    )
    from domain.criteria import assess, chair_decision_problem
    from domain.roles import Recipient, Role
    from domain.rule_pack import CaseEvent
    from domain.stages import Stage
    from domain.uk_time import london_date

STAGE = SearchAttributeKey.for_keyword("ScrStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("ScrNextDeadline")
OVERDUE = SearchAttributeKey.for_bool("ScrOverdue")
BOARD = SearchAttributeKey.for_keyword("ScrBoard")

SYSTEM = Actor(user="system", role=Role.OPERATOR)
ACTIVITY_TIMEOUT = timedelta(minutes=2)
# Register writes and notices must happen eventually: retry without limit, backing off to 10 minutes.
PATIENT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=10))

CHAIR_DECIDES_AT = (Stage.NOTIFIED, Stage.AWAITING_CHAIR_DECISION)
DECISION_STAGES = {
    "initiate_scr": Stage.REVIEWER_APPOINTMENT,
    "do_not_initiate": Stage.PANEL_SCRUTINY,
    "alternative_review": Stage.ALTERNATIVE_REVIEW,
}
DECISION_TEXT = {
    "initiate_scr": "initiate a Serious Case Review",
    "do_not_initiate": "do not initiate a Serious Case Review",
    "alternative_review": "commission an alternative form of review",
}


@workflow.defn(name="ScrCaseWorkflow")
class ScrCaseWorkflow:
    @workflow.init
    def __init__(self, data: OpenCaseInput) -> None:
        self._case = data
        self._assessment = assess(data.incident)
        self._stage = Stage.NOTIFIED
        self._schedule: dict[str, ScheduledDeadline] = {}
        self._deadlines: dict[str, DeadlineRecord] = {}
        self._version = 0
        self._registered = False
        self._chair: ChairDecisionInput | None = None
        self._deciding = False

    # -- the process -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: OpenCaseInput) -> None:
        workflow.set_current_details(self._details())
        self._add_schedule(
            await self._compute_deadlines({CaseEvent.AWARE: data.aware_on, CaseEvent.NOTIFIED: data.notified_on})
        )
        await self._record(
            "case_opened",
            data.opened_by,
            f"Case opened under {data.rule_pack} v{data.rule_pack_version}; "
            f"SCR {self._assessment.scr.replace('_', ' ')}",
            details={"grounds": list(self._assessment.grounds)},
            assessment=self._assessment.model_dump(mode="json"),
        )
        self._registered = True

        await self._notify_incident()
        if self._chair is None:  # the chair may decide while the notices are still going out
            await self._enter(Stage.AWAITING_CHAIR_DECISION)
        await self._watch_deadline("chair_decision", lambda: self._chair is not None)
        await workflow.wait_condition(lambda: not self._deciding)
        await self._notify_decision()

        # The stages after the chair's decision are not built yet: the case waits here, durable, until they are.
        await workflow.wait_condition(lambda: self._stage in (Stage.CLOSED, Stage.CLOSED_WITHOUT_REVIEW))
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _notify_incident(self) -> None:
        if not self._assessment.notifiable:
            self._deadlines["notify_ofsted"] = self._deadlines["notify_ofsted"].model_copy(
                update={"status": DeadlineStatus.NOT_APPLICABLE}
            )
            return
        facts = {
            "aware_on": self._case.aware_on.isoformat(),
            "grounds": "; ".join(self._assessment.notifiable_grounds),
        }
        sent = await self._send(NoticeKind.INCIDENT_NOTIFICATION, Recipient.OFSTED, "1", facts)
        await self._send(NoticeKind.INCIDENT_NOTIFICATION, Recipient.NATIONAL_PANEL, "1", facts)
        if sent:
            self._meet("notify_ofsted", workflow.now())
            await self._record("deadline_met", SYSTEM, "Ofsted notified of the incident")

    async def _notify_decision(self) -> None:
        # Non-notifiable cases (e.g. an alternative review of good practice) are never reported to Ofsted.
        if self._chair is None or not self._assessment.notifiable:
            return
        facts = {
            "decision_text": DECISION_TEXT[self._chair.decision],
            "decided_on": london_date(workflow.now()).isoformat(),
        }
        for recipient in (Recipient.OFSTED, Recipient.NATIONAL_PANEL):
            await self._send(NoticeKind.CHAIR_DECISION, recipient, "1", facts)

    # -- staff decisions ---------------------------------------------------------------------------------

    @workflow.update
    async def registered(self) -> CaseState:
        """Completes once the case is in the register, so the API can answer with its deadlines."""
        await workflow.wait_condition(lambda: self._registered)
        return self._state()

    @workflow.update
    async def decide_chair(self, data: ChairDecisionInput) -> CaseState:
        self._deciding = True
        try:
            decided_at = workflow.now()
            self._chair = data
            self._meet("chair_decision", decided_at)
            if data.decision == "initiate_scr":
                self._add_schedule(await self._compute_deadlines({CaseEvent.INITIATED: london_date(decided_at)}))
            self._stage = DECISION_STAGES[data.decision]
            await self._record(
                "chair_decision",
                data.actor,
                f"Independent chair decided to {DECISION_TEXT[data.decision]}",
                rationale=data.rationale,
                details={"decision": data.decision, "definitive_evidence": data.definitive_evidence},
            )
            return self._state()
        finally:
            self._deciding = False

    @decide_chair.validator
    def _check_chair_decision(self, data: ChairDecisionInput) -> None:
        if data.actor.role != Role.INDEPENDENT_CHAIR:
            raise ApplicationError(
                "Only the board's independent chair can decide whether to initiate a review.",
                type=Refusal.FORBIDDEN,
            )
        if not self._registered or self._deciding or self._stage not in CHAIR_DECIDES_AT:
            raise ApplicationError(
                f"The case is at stage '{self._stage.value}'; the chair's decision is taken at stage "
                f"'{Stage.AWAITING_CHAIR_DECISION.value}'.",
                type=Refusal.CONFLICT,
            )
        problem = chair_decision_problem(self._assessment, data.decision, data.definitive_evidence)
        if problem is not None:
            raise ApplicationError(problem, type=Refusal.CONFLICT)

    @workflow.query
    def state(self) -> CaseState:
        return self._state()

    # -- clocks ------------------------------------------------------------------------------------------

    async def _watch_deadline(self, key: str, done: Callable[[], bool]) -> None:
        """Remind before the deadline, escalate once it passes, and keep the breach on the case."""
        deadline = self._schedule[key]
        for number, remind_at in enumerate(deadline.reminders_at, start=1):
            if remind_at <= workflow.now():
                continue  # a case opened late does not send reminders that are already stale
            if await self._wait_until(done, remind_at, f"{deadline.title}: reminder {number} before {deadline.due}"):
                return
            await self._send(
                NoticeKind.DEADLINE_REMINDER, deadline.who_acts, f"{key}:{number}", _deadline_facts(deadline)
            )
        opened_late = deadline.due_at <= workflow.now()
        if await self._wait_until(done, deadline.due_at, f"{deadline.title} due {deadline.due}"):
            return
        self._deadlines[key] = self._deadlines[key].model_copy(
            update={"status": DeadlineStatus.OVERDUE, "breached_at": workflow.now()}
        )
        await self._record("deadline_breached", SYSTEM, f"Deadline missed: {deadline.title} was due {deadline.due}")
        if not opened_late:
            for recipient in deadline.escalate_to:
                await self._send(NoticeKind.DEADLINE_ESCALATION, recipient, key, _deadline_facts(deadline))
        await workflow.wait_condition(done)

    async def _wait_until(self, done: Callable[[], bool], instant: datetime, summary: str) -> bool:
        """Wait for ``done`` or ``instant``, whichever comes first; True when ``done``."""
        remaining = instant - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(done, timeout=remaining, timeout_summary=summary)
            except TimeoutError:
                return False
        return done()

    def _meet(self, key: str, at: datetime) -> None:
        record = self._deadlines.get(key)
        if record is None:
            return
        late = record.status == DeadlineStatus.OVERDUE or at > self._schedule[key].due_at
        self._deadlines[key] = record.model_copy(
            update={"status": DeadlineStatus.MET_LATE if late else DeadlineStatus.MET, "met_at": at}
        )

    def _add_schedule(self, deadlines: list[ScheduledDeadline]) -> None:
        for deadline in deadlines:
            self._schedule[deadline.key] = deadline
            self._deadlines[deadline.key] = DeadlineRecord(
                key=deadline.key,
                title=deadline.title,
                due=deadline.due,
                status=DeadlineStatus.PENDING,
                rule=deadline.rule,
                source=deadline.source,
            )

    # -- side effects (activities) -----------------------------------------------------------------------

    async def _compute_deadlines(self, events: dict[CaseEvent, date]) -> list[ScheduledDeadline]:
        data = ComputeDeadlinesInput(
            rule_pack=self._case.rule_pack,
            rule_pack_version=self._case.rule_pack_version,
            events={event.value: day for event, day in events.items()},
        )
        deadlines: list[ScheduledDeadline] = await workflow.execute_activity(
            "compute_case_deadlines",
            data,
            result_type=list[ScheduledDeadline],
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary="resolve statutory deadlines",
        )
        return deadlines

    async def _record(
        self,
        kind: str,
        actor: Actor,
        summary: str,
        *,
        rationale: str | None = None,
        details: dict[str, object] | None = None,
        assessment: dict[str, object] | None = None,
    ) -> None:
        """Write the event and the case's new snapshot to the register, and refresh what operators see."""
        self._version += 1
        await workflow.execute_activity(
            "record_case_event",
            RecordCaseEventInput(
                reference=self._case.reference,
                business_key=f"{self._case.reference}:{self._version}:{kind}",
                kind=kind,
                actor=actor,
                at=workflow.now(),
                summary=summary,
                rationale=rationale,
                details=details or {},
                snapshot=self._snapshot(),
                assessment=assessment,
            ),
            result_type=bool,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=PATIENT_RETRY,
            summary=f"record {kind.replace('_', ' ')}",
        )
        self._publish_visibility()

    async def _send(self, kind: NoticeKind, recipient: str, occurrence: str, facts: dict[str, str]) -> bool:
        """Send a notice; a notice that cannot be delivered is recorded on the case, never fatal to it."""
        try:
            await workflow.execute_activity(
                "send_notice",
                SendNoticeInput(
                    reference=self._case.reference,
                    kind=kind,
                    occurrence=occurrence,
                    recipient=recipient,
                    facts=facts,
                ),
                result_type=NoticeResult,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT_RETRY,
                summary=f"{kind.value.replace('_', ' ')} to {recipient}",
            )
        except ActivityError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            await self._record(
                "notice_failed",
                SYSTEM,
                f"{kind.value} to {recipient} could not be delivered",
                details={"reason": reason},
            )
            return False
        return True

    async def _enter(self, stage: Stage) -> None:
        self._stage = stage
        await self._record("stage_changed", SYSTEM, f"Case moved to stage '{stage.value}'")

    # -- views -------------------------------------------------------------------------------------------

    def _next_deadline(self) -> DeadlineRecord | None:
        open_deadlines = [
            d for d in self._deadlines.values() if d.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)
        ]
        return min(open_deadlines, key=lambda d: d.due, default=None)

    def _snapshot(self) -> CaseSnapshot:
        upcoming = self._next_deadline()
        return CaseSnapshot(
            version=self._version,
            stage=self._stage.value,
            overdue=any(d.status == DeadlineStatus.OVERDUE for d in self._deadlines.values()),
            next_deadline_key=upcoming.key if upcoming else None,
            next_deadline_due=upcoming.due if upcoming else None,
            deadlines=list(self._deadlines.values()),
        )

    def _state(self) -> CaseState:
        snapshot = self._snapshot()
        return CaseState(
            reference=self._case.reference,
            stage=snapshot.stage,
            overdue=snapshot.overdue,
            deadlines=snapshot.deadlines,
            chair_decision=self._chair.decision if self._chair else None,
            snapshot_version=self._version,
        )

    def _publish_visibility(self) -> None:
        snapshot = self._snapshot()
        upcoming = self._next_deadline()
        updates: list[SearchAttributeUpdate[Any]] = [
            STAGE.value_set(snapshot.stage),
            BOARD.value_set(self._case.board),
            OVERDUE.value_set(snapshot.overdue),
            NEXT_DEADLINE.value_set(self._schedule[upcoming.key].due_at) if upcoming else NEXT_DEADLINE.value_unset(),
        ]
        workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._details())

    def _details(self) -> str:
        upcoming = self._next_deadline()
        lines = [f"**{self._case.reference}** — stage `{self._stage.value}`"]
        if upcoming:
            lines.append(f"Next deadline: {upcoming.title} due {upcoming.due.isoformat()} ({upcoming.status.value})")
        breached = [d.title for d in self._deadlines.values() if d.breached_at is not None]
        if breached:
            lines.append("Breached: " + ", ".join(breached))
        return "\n\n".join(lines)


def _deadline_facts(deadline: ScheduledDeadline) -> dict[str, str]:
    return {
        "title": deadline.title,
        "due": deadline.due.isoformat(),
        "rule": deadline.rule,
        "source": deadline.source,
    }
