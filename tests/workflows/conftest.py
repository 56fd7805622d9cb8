"""Fixtures of the fast tier (the case workflow against stand-in activities on a time-skipping server of the
test's own): ``test_case_workflow_fast.py`` and ``test_lean_decisions.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support.payload_keys import encrypting_converter
from tests.support.services import binary, register_search_attributes
from tests.support.stand_in_activities import StandIns, stand_in_worker


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
