"""The access check's reads (``store.database.create_reads``): autocommit sessions without a ping before each use;
on SQLite, run on the calling thread."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store import register
from store.database import ReadSessions, create_engine, create_reads, read_once, session_factory
from tests.support.case_harness import register_case
from tests.support.services import fresh_database


@pytest.fixture
async def reads(database_url: str) -> AsyncIterator[ReadSessions]:
    made = create_reads(database_url)
    yield made.sessions
    await made.dispose()


async def _stage(sessions: ReadSessions, reference: str) -> str | None:
    case = await read_once(sessions, lambda session: register.find_case(session, reference=reference))
    return None if case is None else case.stage


async def test_a_read_sees_every_write_committed_before_it(engine: AsyncEngine, reads: ReadSessions) -> None:
    reference = await register_case(engine, stage="screening")
    assert await _stage(reads, reference) == "screening"  # the pooled connection is kept for the next read
    async with session_factory(engine).begin() as session:
        await register.apply_snapshot(session, reference=reference, version=1, values={"stage": "chair_decision"})
    assert await _stage(reads, reference) == "chair_decision"  # no transaction held open from the last read
    assert await _stage(reads, "NEL-2016-9999") is None


async def test_a_read_does_not_wait_for_a_write_in_progress(engine: AsyncEngine, reads: ReadSessions) -> None:
    """A decision's access check reads while the worker writes the register: it gets the last committed state at
    once (on SQLite the read holds the API's event loop while it runs, so waiting there would stall every request)."""
    reference = await register_case(engine, stage="screening")
    async with session_factory(engine).begin() as writing:
        await register.apply_snapshot(writing, reference=reference, version=1, values={"stage": "chair_decision"})
        await writing.flush()  # the row is written and locked, not committed
        started = time.monotonic()
        assert await asyncio.wait_for(_stage(reads, reference), timeout=5) == "screening"
        assert time.monotonic() - started < 1, "the read waited for the writer"
    assert await _stage(reads, reference) == "chair_decision"


async def test_a_read_on_a_connection_the_database_dropped_is_tried_again_on_a_new_one(tmp_path: Path) -> None:
    async with fresh_database("postgres", tmp_path) as url:
        engine, reads = create_engine(url), create_reads(url)
        try:
            reference = await register_case(engine, stage="screening")
            assert await _stage(reads.sessions, reference) == "screening"
            async with engine.connect() as admin:  # as a restart of the database would
                dropped = await admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert dropped.all(), "the read engine's pooled connection was not found"
            assert await _stage(reads.sessions, reference) == "screening"
        finally:
            await engine.dispose()
            await reads.dispose()
