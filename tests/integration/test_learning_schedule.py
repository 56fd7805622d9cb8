"""The yearly learning-summary schedules on the real Temporal dev server: ensured idempotently (and by several
workers at once), updated in place when the code's schedule changes, and a trigger produces the report."""

from __future__ import annotations

import asyncio
import contextlib
import random
import string
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime

import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleOverlapPolicy, ScheduleRange
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.learning_summary_contract import learning_summary_workflow_id
from domain.learning_summary_messages import LearningSummaryResult
from domain.uk_time import LONDON, london_date
from store import learning_register
from store.database import create_engine, session_factory
from store.document_store import FilesystemDocumentStore
from tests.support.case_harness import running_worker, settings_for
from tests.support.learning_harness import populate_year
from tests.support.services import MailBox
from workers.learning_schedule import ensure_learning_schedules, ensure_learning_schedules_for, learning_schedule_id
from workflows.learning_summary_workflow import LearningSummaryWorkflow


def board_code() -> str:
    return "".join(random.choices(string.ascii_uppercase, k=6))


@contextlib.asynccontextmanager
async def deleted_afterwards(client: Client, boards: Iterable[str]) -> AsyncIterator[None]:
    """The dev server outlives the test: leave no schedule behind to fire next January."""
    try:
        yield
    finally:
        for board in boards:
            with contextlib.suppress(RPCError):
                await client.get_schedule_handle(learning_schedule_id(board)).delete()


async def test_one_schedule_per_board_however_many_workers_start(dev_server_env: WorkflowEnvironment) -> None:
    client = dev_server_env.client
    boards = {board_code(), board_code()}
    queue = f"scr-test-{uuid.uuid4().hex[:8]}"
    async with deleted_afterwards(client, boards):
        started = await asyncio.gather(
            *(ensure_learning_schedules(client, boards=boards, task_queue=queue) for _ in range(3))
        )
        assert started == [sorted(learning_schedule_id(b) for b in boards)] * 3
        await ensure_learning_schedules(client, boards=boards, task_queue=queue)  # a restart changes nothing

        for board in boards:
            description = await client.get_schedule_handle(learning_schedule_id(board)).describe()
            schedule = description.schedule
            [calendar] = schedule.spec.calendars
            fields = (calendar.month, calendar.day_of_month, calendar.hour, calendar.minute)
            assert [tuple(field) for field in fields] == [
                (ScheduleRange(1),),
                (ScheduleRange(15),),
                (ScheduleRange(7),),
                (ScheduleRange(0),),
            ]
            # Finding its own schedule there, no worker rewrote it.
            assert description.info.last_updated_at is None
            assert schedule.spec.time_zone_name == "Europe/London"
            assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
            action = schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow)
            assert (action.workflow, action.task_queue) == ("LearningSummaryWorkflow", queue)
            assert action.id == f"scr-learning-summary-{board}-scheduled"
            # Next: 15 January at 07:00 UK time (GMT in January).
            now = datetime.now(UTC)
            year = london_date(now).year + (0 if now < datetime(now.year, 1, 15, 7, tzinfo=LONDON) else 1)
            assert description.info.next_action_times[0] == datetime(year, 1, 15, 7, tzinfo=UTC)


async def test_a_changed_schedule_is_updated_in_place_and_an_operators_pause_kept(
    dev_server_env: WorkflowEnvironment,
) -> None:
    client = dev_server_env.client
    board = board_code()
    async with deleted_afterwards(client, [board]):
        await ensure_learning_schedules(client, boards=[board], task_queue="scr-old-queue")
        handle = client.get_schedule_handle(learning_schedule_id(board))
        await handle.pause(note="held by the operator")
        await ensure_learning_schedules(client, boards=[board], task_queue="scr-new-queue")
        description = await handle.describe()
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.task_queue == "scr-new-queue"
        assert description.info.last_updated_at is not None
        assert description.schedule.state.paused
        assert description.schedule.state.note == "held by the operator"


@pytest.mark.timeout(120)
async def test_triggering_the_schedule_produces_the_years_report(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    client = dev_server_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    board = next(iter(settings.board_codes))
    year = london_date(datetime.now(UTC)).year - 1
    engine = create_engine(sqlite_url)
    try:
        cases = await populate_year(engine, board=board, year=year)
        async with deleted_afterwards(client, [board]), running_worker(client, engine, settings):
            assert await ensure_learning_schedules_for(client, settings)
            await client.get_schedule_handle(learning_schedule_id(board)).trigger()
            workflow_id = learning_summary_workflow_id(board, year)
            result = await asyncio.wait_for(year_run_result(client, workflow_id), timeout=60)
            assert result.partners_notified
            async with session_factory(engine)() as session:
                row = await learning_register.find_summary(session, board=board, year=year)
            assert row is not None
            html = (await FilesystemDocumentStore(settings.document_dir).get(row.html_sha256)).decode()
            assert f"Annual learning summary {year}" in html
            assert cases.published in html
            [message] = await mail.wait_for(1)
            assert message["To"] == settings.mail.partners
    finally:
        await engine.dispose()


async def year_run_result(client: Client, workflow_id: str) -> LearningSummaryResult:
    """The scheduled run starts the year's run a moment after the trigger: wait for it to exist, then to end."""
    handle = client.get_workflow_handle_for(LearningSummaryWorkflow.run, workflow_id)
    while True:
        try:
            return await handle.result()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.2)
