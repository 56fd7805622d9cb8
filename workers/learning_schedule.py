"""One Temporal Schedule per board served: the annual learning summary, every 15 January at 07:00 UK time.

15 January leaves staff two weeks after the year's end to record late December decisions and action progress
(the figures are read as at 31 December either way). Workers ensure the schedules when they start: creating one
that exists changes nothing, several workers starting together is fine (one creates, the others find it), and a
schedule whose action or times differ from this code's (a new task queue, a new time) is updated in place,
keeping whether an operator paused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from functools import partial

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.learning_summary_messages import LearningSummaryInput
from store.settings import Settings
from workflows.learning_summary_workflow import LearningSummaryWorkflow

log = structlog.get_logger("scr.learning_schedule")

TIME_ZONE = "Europe/London"
RUNS_ON = {"month": 1, "day_of_month": 15, "hour": 7, "minute": 0}
# After a Temporal outage, a missed January run still happens if the server is back within a month.
CATCHUP_WINDOW = timedelta(days=31)
# A worker waits this long per call at most: a slow server must not hold up the cases it runs.
RPC_TIMEOUT = timedelta(seconds=10)


def learning_schedule_id(board: str) -> str:
    return f"scr-learning-summary-{board}"


def learning_schedule(board: str, task_queue: str) -> Schedule:
    """The board's yearly run; each started workflow's id is this id plus "-scheduled" and the scheduled time
    (Temporal appends it), and that run hands the year to ``scr-learning-summary-<board>-<year>``."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            LearningSummaryWorkflow.run,
            LearningSummaryInput(board=board),
            id=f"{learning_schedule_id(board)}-scheduled",
            task_queue=task_queue,
            static_summary=f"Scheduled learning summary {board}",
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    second=[ScheduleRange(0)],
                    minute=[ScheduleRange(RUNS_ON["minute"])],
                    hour=[ScheduleRange(RUNS_ON["hour"])],
                    day_of_month=[ScheduleRange(RUNS_ON["day_of_month"])],
                    month=[ScheduleRange(RUNS_ON["month"])],
                    comment="annual learning summary of the year before",
                )
            ],
            time_zone_name=TIME_ZONE,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(note="Annual learning summary (ensured by the SCR worker at start)"),
    )


async def ensure_learning_schedules(client: Client, *, boards: Iterable[str], task_queue: str) -> list[str]:
    """Create (or bring up to date) the schedule of each board; returns their ids."""
    ids = []
    for board in sorted(boards):
        schedule_id = learning_schedule_id(board)
        desired = learning_schedule(board, task_queue)
        try:
            await client.create_schedule(schedule_id, desired, rpc_timeout=RPC_TIMEOUT)
            log.info("learning summary schedule created", schedule_id=schedule_id)
        except ScheduleAlreadyRunningError:
            handle = client.get_schedule_handle(schedule_id)
            await handle.update(partial(_update, desired=desired), rpc_timeout=RPC_TIMEOUT)
        ids.append(schedule_id)
    return ids


async def ensure_learning_schedules_for(client: Client, settings: Settings) -> bool:
    """At worker start: the schedules of every board served. A failure is logged, not fatal: the cases the
    worker runs matter more than a report due in January, and the next worker start tries again."""
    try:
        await ensure_learning_schedules(client, boards=settings.board_codes, task_queue=settings.task_queue)
    except Exception as error:
        log.error("learning summary schedules not ensured", error_type=type(error).__name__, error=str(error))
        return False
    return True


def _update(current: ScheduleUpdateInput, desired: Schedule) -> ScheduleUpdate | None:
    schedule = current.description.schedule
    if _signature(schedule) == _signature(desired):
        return None
    log.info("learning summary schedule updated", schedule_id=current.description.id)
    # An operator's pause (and its note) stays as it is.
    return ScheduleUpdate(schedule=replace(desired, state=schedule.state))


def _signature(schedule: Schedule) -> tuple[object, ...]:
    """What this code decides about a schedule, comparable between a described one and a new one."""
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    calendars = tuple(
        (tuple(c.second), tuple(c.minute), tuple(c.hour), tuple(c.day_of_month), tuple(c.month))
        for c in schedule.spec.calendars
    )
    return (
        action.workflow,
        action.id,
        action.task_queue,
        calendars,
        schedule.spec.time_zone_name,
        schedule.policy.overlap,
        schedule.policy.catchup_window,
    )
