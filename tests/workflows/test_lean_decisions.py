"""A decision's workflow task carries only what changed (patch ``lean-decision-commands``, issue 16): the clock
keeps its timer while the next reminder or due time stays the same, and search attributes are upserted only
when one of them changes; its notices go out after its register write (patch ``notices-after-register-write``).
Against stand-in activities on the time-skipping server, as the fast tier is."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from domain.activity_contracts import RECORD_CASE_EVENT, SEND_NOTICE
from domain.decision_inputs import DecideChairInput, RecordScreeningInput
from domain.roles import Role
from tests.support.stand_in_activities import StandIns, open_case
from tests.workflows.test_case_workflow_fast import DEATH, Case, decide, eventually, today
from workflows.case_options import LEAN_DECISIONS, NOTICES_AFTER_WRITE
from workflows.case_workflow import ScrCaseWorkflow


async def _events(case: Case) -> list[HistoryEvent]:
    return list((await case.fetch_history()).events)


def _count(events: list[HistoryEvent], kind: EventType.ValueType) -> int:
    return sum(1 for event in events if event.event_type == kind)


def _upserted(events: list[HistoryEvent]) -> list[set[str]]:
    """The names of our search attributes each upsert carried, in order (the SDK's own upserts of the patches
    in force, ``TemporalChangeVersion``, left out)."""
    upserts = (
        set(event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        - {"TemporalChangeVersion"}
        for event in events
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    )
    return [names for names in upserts if names]


async def _stage_shown(case: Case, stage: str) -> None:
    for _ in range(500):
        if (await case.describe()).search_attributes.get("ScrStage") == [stage]:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"ScrStage never showed {stage}")


async def _timer_running(case: Case) -> list[HistoryEvent]:
    """The history once the case's clock has a timer running (the opening's notices go out first)."""
    for _ in range(500):
        events = await _events(case)
        started = _count(events, EventType.EVENT_TYPE_TIMER_STARTED)
        if started > _count(events, EventType.EVENT_TYPE_TIMER_CANCELED) + _count(
            events, EventType.EVENT_TYPE_TIMER_FIRED
        ):
            return events
        await asyncio.sleep(0.01)
    raise AssertionError("the case's clock never started a timer")


async def _idle(case: Case) -> None:
    for _ in range(500):
        raw = (await case.describe()).raw_description
        if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the case never went idle")


async def test_new_cases_run_with_the_patch(env: WorkflowEnvironment, queue: str) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    patches = (await case.describe()).search_attributes["TemporalChangeVersion"]
    assert LEAN_DECISIONS in patches


async def test_a_decision_that_leaves_the_next_clock_event_keeps_the_timer(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    before = await _timer_running(case)
    next_before = (await case.query(ScrCaseWorkflow.state)).next_deadline_key

    state = await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    await eventually(lambda: any(e.details.get("decision_kind") == "screening" for e in stand_ins.events))
    await _idle(case)  # its notices out and the clock back to waiting

    after = await _events(case)
    assert state.next_deadline_key == next_before  # screening leaves the chair's month as the next deadline
    assert _count(after, EventType.EVENT_TYPE_TIMER_CANCELED) == 0
    assert _count(after, EventType.EVENT_TYPE_TIMER_STARTED) == _count(before, EventType.EVENT_TYPE_TIMER_STARTED)


async def test_the_kept_timer_still_reminds_breaches_and_escalates(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    await env.sleep(timedelta(days=40))  # past the chair's month, on the timer the screening left running

    await eventually(lambda: "deadline_breached" in stand_ins.kinds())
    assert "deadline_reminder" in stand_ins.kinds()
    assert any(kind == "deadline_escalation" for kind, _ in stand_ins.sent())
    assert {d.key: d.status.value for d in (await case.query(ScrCaseWorkflow.state)).deadlines}[
        "chair_decision"
    ] == "overdue"


async def test_a_decision_that_moves_the_next_event_replaces_the_timer(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    before = await _timer_running(case)
    state = await decide(case, Role.INDEPENDENT_CHAIR, DecideChairInput(decision="initiate_scr", rationale="r"))
    assert state.next_deadline_key != "chair_decision"  # met: the review's clocks come next

    # The clock looks again once the chair's notices are out: then the old timer goes and the new one starts.
    started = _count(before, EventType.EVENT_TYPE_TIMER_STARTED)
    for _ in range(500):
        after = await _events(case)
        if _count(after, EventType.EVENT_TYPE_TIMER_STARTED) > started:
            break
        await asyncio.sleep(0.01)
    assert _count(after, EventType.EVENT_TYPE_TIMER_CANCELED) == _count(before, EventType.EVENT_TYPE_TIMER_CANCELED) + 1
    assert _count(after, EventType.EVENT_TYPE_TIMER_STARTED) == started + 1


async def test_search_attributes_are_upserted_only_when_they_change(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await _stage_shown(case, "screening")  # the opening's upserts are all in the history
    opening = _upserted(await _events(case))
    assert opening
    assert "ScrBoard" in opening[0]  # the first upsert names the board; none after it repeats it
    assert all("ScrBoard" not in names for names in opening[1:])

    state = await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    await _stage_shown(case, state.stage)
    await eventually(lambda: any(e.details.get("decision_kind") == "screening" for e in stand_ins.events))
    screening = _upserted(await _events(case))[len(opening) :]
    # One upsert for the decision, with the stage it moved; the board and "overdue" stay as they were.
    assert len(screening) == 1, screening
    assert "ScrStage" in screening[0]
    assert not {"ScrBoard", "ScrOverdue"} & screening[0]
    described = await case.describe()
    assert described.typed_search_attributes  # still all there for the Web UI's saved searches
    names = {pair.key.name for pair in described.typed_search_attributes}
    assert {"ScrStage", "ScrBoard", "ScrNextDeadline", "ScrOverdue", "ScrAwaitingRoles"} <= names


async def test_the_answering_task_carries_no_upsert_the_one_after_the_register_write_does(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await _stage_shown(case, "screening")
    state = await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    await _stage_shown(case, state.stage)

    events = await _events(case)
    accepted = max(
        i for i, e in enumerate(events) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )
    answered = next(
        i
        for i, e in enumerate(events)
        if i > accepted and e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    task_end = next(
        (
            i
            for i, e in enumerate(events)
            if i > answered and e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
        ),
        len(events),
    )
    answering_task = events[accepted:task_end]  # the commands of the task that answered the decision
    assert not _upserted(answering_task)
    assert any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in answering_task)  # the write
    assert _upserted(events[task_end:])  # the stage reached the Web UI after it


async def test_new_cases_send_a_decisions_notices_after_its_register_write(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    assert NOTICES_AFTER_WRITE in (await case.describe()).search_attributes["TemporalChangeVersion"]
    await _idle(case)
    opened = len(await _events(case))
    sent_before = len(stand_ins.sent())

    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    await eventually(lambda: len(stand_ins.sent()) > sent_before)  # the screening's notice to the chair went out
    await _idle(case)

    events = (await _events(case))[opened:]
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    write_done = next(
        e.event_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and scheduled.get(e.activity_task_completed_event_attributes.scheduled_event_id) == RECORD_CASE_EVENT.name
    )
    answered = next(
        e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    notices = [event_id for event_id, name in scheduled.items() if name == SEND_NOTICE.name]
    assert notices
    # The answering task started the write alone; every notice of the decision was scheduled after the write.
    assert [name for event_id, name in scheduled.items() if event_id < write_done] == [RECORD_CASE_EVENT.name]
    assert answered < write_done < min(notices)
