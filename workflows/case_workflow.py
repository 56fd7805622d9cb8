"""One Serious Case Review, from the incident notification to closure, as one durable workflow.

The rules live in ``domain/lifecycle/`` (one handler per decision); this class runs them: staff decisions arrive
as the ``decide`` update (validated by the rules, refused with a reason), their declared effects run as
activities (``decision_effects.py``), every deadline of the case runs on one durable clock (reminders, then
escalation and a breach kept on the case), every change is written to the case register in order
(``case_register_writer.py``) and notices go out by email (``notice_outbox.py``). Cases live for years: the
workflow continues as new when Temporal suggests it, carrying its :class:`CaseFile`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import lifecycle
    from domain.case_contract import (
        AWAITING_ROLES,
        BOARD,
        CASE_WORKFLOW,
        NEXT_DEADLINE,
        OVERDUE,
        STAGE,
    )
    from domain.case_file import CaseFile, CaseWorkflowInput, new_case_file
    from domain.case_messages import (
        Actor,
        CaseSnapshot,
        CaseState,
        ComputeDeadlinesInput,
        DeadlineStatus,
        DecisionRequest,
        NoticeKind,
        OpenCaseInput,
    )
    from domain.imports.building import RowRefused, build_case, deadline_events
    from domain.imports.messages import ImportedCase
    from domain.lifecycle import DecisionRefused, NoticeRequest, Outcome, incident
    from domain.lifecycle.views import next_deadline, operator_details, snapshot
    from domain.roles import Recipient
    from domain.rule_pack import CaseEvent
    from domain.stages import Stage
    from domain.uk_time import london_date

from workflows.case_clock import CaseClock
from workflows.case_options import (
    ANSWER_FIRST,
    AWAITING_ROLES_ATTRIBUTE,
    COPY_DELIVERY,
    IMPORTED_CASES,
    LEAN_DECISIONS,
    NOTICES_AFTER_WRITE,
    STATUTORY_NOTICES,
)
from workflows.case_register_writer import CaseRegisterWriter
from workflows.decision_effects import resolve_deadlines, run_effects
from workflows.notice_outbox import NoticeOutbox

IMPORT_REFUSED = "ImportRefused"


@workflow.defn(name=CASE_WORKFLOW)
class ScrCaseWorkflow:
    @workflow.init
    def __init__(self, data: CaseWorkflowInput) -> None:
        opening, carried = data.opening, data.carried
        self._case = carried or new_case_file(opening)
        self._registered = carried is not None
        self._register = CaseRegisterWriter(lambda: self._case)
        self._outbox = NoticeOutbox(
            self._case.reference, self._record, delivered=self._notice_delivered, already_met=self._already_met
        )
        self._decisions = asyncio.Lock()  # one decision at a time: each is checked against the state it changes
        self._woken = False
        self._import_refused: str | None = None  # why an imported row could not be taken in (the API checked it first)
        self._lean = False  # LEAN_DECISIONS: the clock's timer kept, search attributes upserted when they change
        self._notices_after_write = False  # NOTICES_AFTER_WRITE
        self._clock = CaseClock()
        self._visible: dict[str, Any] = {}  # the search attributes as last upserted (LEAN_DECISIONS)

    # -- the process -------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, data: CaseWorkflowInput) -> None:
        if workflow.patched(COPY_DELIVERY):
            self._case.publication.deliver_copies = True
        if workflow.patched(STATUTORY_NOTICES):
            self._case.statutory_notices = True
        if workflow.patched(LEAN_DECISIONS):
            self._lean = True
        if workflow.patched(NOTICES_AFTER_WRITE):
            self._notices_after_write = True
        workflow.set_current_details(operator_details(self._case))
        if data.carried is None:
            if data.imported is not None and workflow.patched(IMPORTED_CASES):
                await self._take_import(data.opening, data.imported)
            else:
                await self._open(data.opening)
        while self._case.stage not in lifecycle.TERMINAL:
            self._woken = False  # a decision taken from here on wakes the clock below
            if self._notices_after_write:  # the decision's answer has gone; its notices follow its register write
                await workflow.wait_condition(self._register.written)
            await self._outbox.send_all()
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._decisions.locked())
                await self._register.flush()
                await self._outbox.send_all()
                self._clock.stop()
                self._show_latest()
                workflow.continue_as_new(CaseWorkflowInput(opening=data.opening, carried=self._case))
            await self._run_clock()
        self._clock.stop()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._register.flush()
        await self._outbox.send_all()
        self._show_latest()

    async def _open(self, data: OpenCaseInput) -> None:
        now = workflow.now()
        deadlines = await resolve_deadlines(
            ComputeDeadlinesInput(
                rule_pack=data.rule_pack,
                rule_pack_version=data.rule_pack_version,
                events={CaseEvent.AWARE.value: data.aware_on, CaseEvent.NOTIFIED.value: data.notified_on},
                board=data.board,
            )
        )
        for deadline in deadlines:
            lifecycle.add_deadline(self._case, deadline, now)
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

        if self._case.statutory_notices:
            schedules = {deadline.key: deadline for deadline in deadlines}
            for outcome in incident.start_incident_deadlines(self._case, schedules, now):
                await self._record(outcome)
            owed = incident.incident_notice(self._case)
            if owed is not None:
                await self._outbox.send(owed)
        elif assessment.notifiable:
            facts = {"aware_on": data.aware_on.isoformat(), "grounds": "; ".join(assessment.notifiable_grounds)}
            notice = NoticeRequest(
                NoticeKind.INCIDENT_NOTIFICATION, (Recipient.OFSTED, Recipient.NATIONAL_PANEL), "1", facts
            )
            if await self._outbox.send(notice):
                lifecycle.meet(self._case, "notify_ofsted", workflow.now())
                await self._record(Outcome("deadline_met", "Ofsted and the National Panel notified of the incident"))
        else:
            lifecycle.cancel(self._case, "notify_ofsted")
        if self._case.stage == Stage.NOTIFIED:  # staff may already have moved it on
            self._case.stage = Stage.SCREENING
            await self._record(Outcome("stage_changed", "Referral passed to the SCR sub-group for screening"))

    async def _take_import(self, data: OpenCaseInput, imported: ImportedCase) -> None:
        """A review already under way (issue 17): at its stage, its deadlines settled from its real dates as of
        now, its past decisions on the timeline as imported by ``opened_by``; then only the notices still owed
        from now on go out (the incident notice while its five working days run), and its clocks run on."""
        schedules = await resolve_deadlines(
            ComputeDeadlinesInput(
                rule_pack=data.rule_pack,
                rule_pack_version=data.rule_pack_version,
                events=deadline_events(imported.row),
                board=data.board,
            )
        )
        try:
            built = build_case(self._case, imported.row, schedules, workflow.now(), imported.source)
        except RowRefused as refused:  # the API checked the row first; only a day's turn between can get here
            self._import_refused = str(refused)
            await workflow.wait_condition(workflow.all_handlers_finished)  # "registered" answers with the reason
            raise ApplicationError(self._import_refused, type=IMPORT_REFUSED, non_retryable=True) from None
        self._case = built.case
        for outcome in built.outcomes:
            by_importer = outcome.kind in ("case_imported", "decision")
            await self._record(outcome, data.opened_by if by_importer else lifecycle.SYSTEM)
        self._registered = True
        still_running = tuple(
            recipient
            for key, recipient in incident.incident_recipients(self._case).items()
            if self._case.deadlines[key].status == DeadlineStatus.PENDING
        )
        owed = incident.incident_notice(self._case, only=still_running) if still_running else None
        if owed is not None:
            await self._outbox.send(owed)

    async def _run_clock(self) -> None:
        """Sleep until the case's next reminder or due time, or until something changes; then act on it."""
        event = lifecycle.next_clock_event(self._case)
        if self._lean:
            if await self._clock.wait(event, self._wake):
                assert event is not None
                await self._fire(event.key)
            return
        if event is not None:
            remaining = event.at - workflow.now()
            if remaining > timedelta(0):
                try:
                    await workflow.wait_condition(self._wake, timeout=remaining, timeout_summary=event.summary)
                    return
                except TimeoutError:
                    pass
            await self._fire(event.key)
            return
        await workflow.wait_condition(self._wake)

    async def _fire(self, key: str) -> None:
        outcome = lifecycle.fire_clock(self._case, key, workflow.now())
        if outcome is not None:
            self._outbox.extend(outcome.notices)
            await self._record(outcome)

    def _already_met(self, notice: NoticeRequest, recipient: str) -> bool:
        """Whether the deadline this recipient's copy would meet is met already (Ofsted told by the local
        authority): then it is not sent, so Ofsted never gets a duplicate."""
        deadline = self._case.deadlines.get(notice.meets.get(recipient, ""))
        return deadline is not None and deadline.status in (DeadlineStatus.MET, DeadlineStatus.MET_LATE)

    def _wake(self) -> bool:
        return (
            self._woken
            or bool(self._outbox)
            or self._case.stage in lifecycle.TERMINAL
            or workflow.info().is_continue_as_new_suggested()
        )

    async def _notice_delivered(self, notice: NoticeRequest, recipient: str, refused: str | None) -> None:
        """A recipient got a notice, or refused it: a delivery that meets a deadline meets it (the incident
        notice, per recipient); a tracked notice (the pre-publication copies) is counted either way."""
        now = workflow.now()
        key = notice.meets.get(recipient)
        if key is not None and refused is None:
            met = incident.delivered(self._case, key, recipient, now)
            if met is not None:
                await self._record(met)
        if notice.track_delivery:
            await self._record(lifecycle.notice_delivery(self._case, notice, recipient, now, refused))

    # -- staff decisions ---------------------------------------------------------------------------------

    @workflow.update  # REGISTERED_UPDATE
    async def registered(self) -> CaseState:
        """Completes once the case is in the register, so the API can answer with its deadlines."""
        await workflow.wait_condition(lambda: self._registered or self._import_refused is not None)
        if self._import_refused is not None:
            raise ApplicationError(self._import_refused, type=IMPORT_REFUSED)
        return self._state()

    @workflow.update  # DECIDE_UPDATE
    async def decide(self, request: DecisionRequest) -> CaseState:
        async with self._decisions:
            self._check(request)  # again: an earlier decision or a clock may have changed the case meanwhile
            results = await run_effects(
                lifecycle.declared_effects(self._case, request.decision, london_date(workflow.now()))
            )
            changed = self._case.working_copy()
            try:
                outcome = lifecycle.apply(changed, request.actor, request.decision, workflow.now(), results)
            except DecisionRefused as refused:
                raise ApplicationError(refused.message, type=refused.refusal.value) from None
            self._case = changed
            self._outbox.extend(outcome.notices)
            if workflow.patched(ANSWER_FIRST):
                if self._lean:  # upsert after the register write: in the answer's task it cost the answer ~3 ms
                    shown = self._register.record_decision(outcome, request.actor, then=self._publish_visibility)
                else:
                    shown = self._register.record_decision(outcome, request.actor)
                    self._publish_visibility()
            else:
                await self._record(outcome, request.actor)
                shown = snapshot(self._case)
            self._woken = True
            return self._state(shown)

    @decide.validator
    def _validate_decision(self, request: DecisionRequest) -> None:
        self._check(request)

    def _check(self, request: DecisionRequest) -> None:
        if not self._registered:
            raise ApplicationError("The case is still being opened; try again in a moment.", type="Conflict")
        try:
            lifecycle.check(self._case, request.actor, request.decision, london_date(workflow.now()))
        except DecisionRefused as refused:
            raise ApplicationError(refused.message, type=refused.refusal.value) from None

    @workflow.query  # STATE_QUERY
    def state(self) -> CaseState:
        return self._state()

    @workflow.query
    def case_file(self) -> CaseFile:
        return self._case

    # -- the register and what operators see -------------------------------------------------------------

    async def _record(
        self, outcome: Outcome, actor: Actor = lifecycle.SYSTEM, assessment: dict[str, Any] | None = None
    ) -> None:
        """Write the event and the case's new snapshot to the register, and refresh what operators see."""
        await self._register.record(outcome, actor, assessment)
        self._publish_visibility()

    def _state(self, shown: CaseSnapshot | None = None) -> CaseState:
        """The case's state; ``shown``: its snapshot, when the caller has just taken it (a decision's event)."""
        shown = shown if shown is not None else snapshot(self._case)
        return CaseState(
            reference=self._case.reference,
            stage=shown.stage,
            overdue=shown.overdue,
            deadlines=shown.deadlines,
            awaiting=shown.awaiting,
            chair_decision=self._case.chair_decision,
            snapshot_version=self._case.version,
            next_deadline_key=shown.next_deadline_key,
            next_deadline_due=shown.next_deadline_due,
            assessment=self._case.assessment.model_dump(mode="json"),
            incident=self._case.incident.model_dump(mode="json"),
        )

    def _show_latest(self) -> None:
        """Before the run ends: what operators see, if a decision's deferred upsert has not run yet (LEAN_DECISIONS)."""
        if self._lean:
            self._publish_visibility()

    def _publish_visibility(self) -> None:
        shown = snapshot(self._case)
        upcoming = next_deadline(self._case)
        updates: list[SearchAttributeUpdate[Any]] = [
            STAGE.value_set(shown.stage),
            BOARD.value_set(self._case.board),
            OVERDUE.value_set(shown.overdue),
            NEXT_DEADLINE.value_set(upcoming.schedule.due_at) if upcoming else NEXT_DEADLINE.value_unset(),
        ]
        if workflow.patched(AWAITING_ROLES_ATTRIBUTE):
            roles = sorted({role for awaited in shown.awaiting for role in awaited.roles})
            updates.append(AWAITING_ROLES.value_set(roles))
        if self._lean:
            # Unknown until first upserted in this run (a run continued as new inherits the previous run's values).
            updates = [u for u in updates if u.key.name not in self._visible or self._visible[u.key.name] != u.value]
            self._visible.update((update.key.name, update.value) for update in updates)
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(operator_details(self._case))
