"""Fixtures of the workflow tests: the fast tier's (the case workflow against stand-in activities on a
time-skipping server of the test's own: ``env``, ``stand_ins``, ``queue``) and ``story`` (the real worker, SQLite and
an SMTP sink on a time-skipping server, for ``test_lifecycle_scenarios.py`` and ``test_imported_case_clocks.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from store.database import create_engine
from tests.support.case_harness import running_worker, settings_for
from tests.support.payload_keys import encrypting_converter
from tests.support.services import MailBox, binary, register_search_attributes
from tests.support.stand_in_activities import StandIns, stand_in_worker
from tests.workflows.story import Story


@pytest.fixture
async def stand_ins() -> StandIns:
    return StandIns()


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own (≈0.3 s to start): a case of another test still in flight, or an
    update that failed, can hold up time skipping on a shared one."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=encrypting_converter()
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture
async def queue(env: WorkflowEnvironment, stand_ins: StandIns) -> AsyncIterator[str]:
    async with stand_in_worker(env.client, stand_ins) as task_queue:
        yield task_queue


@pytest.fixture
async def story(sqlite_url: str, mail: MailBox) -> AsyncIterator[Story]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=encrypting_converter()
    )
    engine = create_engine(sqlite_url)
    try:
        await register_search_attributes(env.client)
        settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
        async with running_worker(env.client, engine, settings):
            yield Story(env, engine, settings, mail)
    finally:
        await engine.dispose()
        await env.shutdown()
