"""A decision answers before its register write lands; the API process that answered it still reads it back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from api.register_fence import RegisterFence
from domain.uk_time import london_date
from store import register
from store.database import session_factory
from tests.support.case_harness import Stack, api_stack, register_case
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))


async def _registered_version(engine: AsyncEngine, reference: str, version: int) -> None:
    async with session_factory(engine).begin() as session:
        assert await register.apply_snapshot(session, reference=reference, version=version, values={})


async def test_a_read_waits_until_the_register_holds_the_answered_version(engine: AsyncEngine) -> None:
    reference = await register_case(engine)
    fence = RegisterFence()
    fence.answered(reference, 2)
    settled = asyncio.create_task(fence.settle(session_factory(engine)))
    await _registered_version(engine, reference, 1)  # an older write is not enough
    await asyncio.sleep(0.3)
    assert not settled.done()
    await _registered_version(engine, reference, 2)
    await asyncio.wait_for(settled, timeout=5)
    assert fence.pending == 0


async def test_a_write_that_never_lands_is_given_up_after_the_wait(engine: AsyncEngine) -> None:
    reference = await register_case(engine)
    fence = RegisterFence()
    fence.answered(reference, 5)
    await asyncio.wait_for(fence.settle(session_factory(engine), wait=0.2), timeout=5)
    assert fence.pending == 0  # later reads do not stall on it again


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        yield running


@asynccontextmanager
async def register_writes_held(database_url: str) -> AsyncIterator[None]:
    """Hold SQLite's write lock, as a slow or busy register would: writers wait, readers go on. Taken from a
    thread: the worker runs in this process, and a write of its own in flight must be able to finish first."""
    path = make_url(database_url).database
    assert path is not None
    assert Path(path).exists()
    connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    try:
        await asyncio.to_thread(connection.execute, "BEGIN IMMEDIATE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


async def test_a_decision_answers_while_its_register_write_waits_and_reads_see_it(
    stack: Stack, sqlite_url: str
) -> None:
    body = {
        "board": stack.board,
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "no"},
    }
    reference = (await stack.open_case(body)).json()["reference"]
    auditor = stack.auth("auditor")
    # Let the opening finish first (its notices, then its last register write, moving the case to screening):
    # a register write held back in the middle of it would hold the workflow task, and the decision with it.
    for _ in range(150):
        if (await stack.http.get(f"/api/v1/cases/{reference}", headers=auditor)).json()["stage"] == "screening":
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("the case did not reach screening within 15 s")

    async with register_writes_held(sqlite_url):
        decided = await asyncio.wait_for(stack.screen(reference), timeout=15)
        assert decided.status_code == 200, decided.text
        assert decided.json()["stage"] == "awaiting_chair_decision"
        read = asyncio.create_task(stack.http.get(f"/api/v1/cases/{reference}", headers=auditor))
        await asyncio.sleep(0.5)
        assert not read.done()  # it waits for the decision to reach the register, rather than show the old stage
    case = (await asyncio.wait_for(read, timeout=15)).json()
    assert case["stage"] == "awaiting_chair_decision"
    timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=auditor)).json()
    assert [e["details"].get("decision_kind") for e in timeline if e["kind"] == "decision"] == ["screening"]
