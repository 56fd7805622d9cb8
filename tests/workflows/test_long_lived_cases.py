"""Cases live for years: continue-as-new carries them, and a worker restart loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import SEARCH_ATTRIBUTES
from domain.case_messages import DeadlineStatus
from domain.decision_inputs import (
    AppointReviewersInput,
    DecideChairInput,
    RecordAgencyAccountInput,
    RecordPanelAdviceInput,
    Reviewer,
    StartReviewInput,
)
from store.database import create_engine
from tests.support.case_harness import ALICE, BOB, DEATH, actor, decide, open_case, running_worker, screen, settings_for
from tests.support.payload_keys import encrypting_converter
from tests.support.services import MailBox, binary
from workflows.case_workflow import ScrCaseWorkflow


@pytest.fixture(scope="module")
async def eager_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server that suggests continue-as-new after 30 events, so a short case exercises it."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=encrypting_converter(),
        dev_server_extra_args=[
            *(arg for name, kind in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{name}={kind}")),
            "--dynamic-config-value",
            "limit.historyCount.suggestContinueAsNew=30",
        ],
    )
    yield env
    await env.shutdown()


async def test_a_case_continues_as_new_without_losing_anything(
    eager_server: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    client = eager_server.client
    engine = create_engine(sqlite_url)
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    try:
        async with running_worker(client, engine, settings):
            today = (await eager_server.get_current_time()).date()
            handle = await open_case(client, engine, settings, incident=DEATH, aware_on=today)
            first_run = (await handle.describe()).run_id
            await handle.execute_update(ScrCaseWorkflow.registered)
            await screen(handle)
            await decide(handle, ALICE, DecideChairInput(decision="initiate_scr", rationale="Died"))
            reviewer = Reviewer(name="R. Reviewer", organisation="Independent", independence_statement="None")
            await decide(handle, BOB, AppointReviewersInput(reviewers=[reviewer]))
            await decide(handle, BOB, RecordPanelAdviceInput(outcome="agrees", advice="Content"))
            await decide(handle, ALICE, StartReviewInput(rationale="Go"))
            for number in range(6):
                state = await decide(
                    handle,
                    actor("agency_contact"),
                    RecordAgencyAccountInput(agency=f"Agency {number}", summary="Account"),
                )
            await mail.wait_for(7)  # incident x2, screening, chair x2, reviewer names, panel advice

            # The run continues as new once the decisions in flight have finished and the register caught up.
            latest = client.get_workflow_handle(handle.id)
            for _ in range(100):
                description = await latest.describe()
                if description.run_id != first_run:
                    break
                await asyncio.sleep(0.1)
            assert description.run_id != first_run
            first_history = await client.get_workflow_handle(handle.id, run_id=first_run).fetch_history()
            assert first_history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW

            carried = await latest.query(ScrCaseWorkflow.state)
            assert carried.stage == "in_review"
            assert carried.chair_decision == "initiate_scr"
            assert {d.key: d.status for d in carried.deadlines}["review_completion"] == DeadlineStatus.PENDING
            assert carried.snapshot_version >= state.snapshot_version
            # Decisions still apply on the new run, and nothing was sent twice.
            state = await decide(
                latest, actor("agency_contact"), RecordAgencyAccountInput(agency="Police", summary="x")
            )
            assert state.stage == "in_review"
        subjects = [str(m["Subject"]) for m in mail.messages()]
        assert len(subjects) == len(set(zip(subjects, [str(m["To"]) for m in mail.messages()], strict=True)))
        assert sum("Notification of a serious child safeguarding incident" in s for s in subjects) == 2
    finally:
        await engine.dispose()


async def test_a_worker_restart_in_the_middle_of_a_case_loses_nothing(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    client = dev_server_env.client
    engine = create_engine(sqlite_url)
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    try:
        async with running_worker(client, engine, settings, terminate_cases=False):
            today = (await dev_server_env.get_current_time()).date()
            handle = await open_case(client, engine, settings, incident=DEATH, aware_on=today)
            await handle.execute_update(ScrCaseWorkflow.registered)
            await screen(handle)
        # The worker is gone; a new one (a new process in production) picks the case up where it was.
        async with running_worker(client, engine, settings):
            state = await decide(handle, ALICE, DecideChairInput(decision="initiate_scr", rationale="After restart"))
            assert state.stage == "reviewer_appointment"
            messages = await mail.wait_for(5)
        assert sum("Notification of a serious child" in str(m["Subject"]) for m in messages) == 2
    finally:
        await engine.dispose()
