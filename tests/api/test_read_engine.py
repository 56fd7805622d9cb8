"""The access check's reads: autocommit sessions without a ping before each use (``store.database``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from store import register
from store.database import create_engine, create_read_engine, read_once, session_factory
from tests.support.case_harness import register_case
from tests.support.services import fresh_database


@pytest.fixture
async def reads(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_read_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def _stage(sessions: async_sessionmaker[AsyncSession], reference: str) -> str | None:
    case = await read_once(sessions, lambda session: register.find_case(session, reference=reference))
    return None if case is None else case.stage


async def test_a_read_sees_every_write_committed_before_it(
    engine: AsyncEngine, reads: async_sessionmaker[AsyncSession]
) -> None:
    reference = await register_case(engine, stage="screening")
    assert await _stage(reads, reference) == "screening"  # the pooled connection is kept for the next read
    async with session_factory(engine).begin() as session:
        await register.apply_snapshot(session, reference=reference, version=1, values={"stage": "chair_decision"})
    assert await _stage(reads, reference) == "chair_decision"  # no transaction held open from the last read
    assert await _stage(reads, "NEL-2016-9999") is None


async def test_a_read_on_a_connection_the_database_dropped_is_tried_again_on_a_new_one(tmp_path: Path) -> None:
    async with fresh_database("postgres", tmp_path) as url:
        engine, read_engine = create_engine(url), create_read_engine(url)
        try:
            reads = session_factory(read_engine)
            reference = await register_case(engine, stage="screening")
            assert await _stage(reads, reference) == "screening"
            async with engine.connect() as admin:  # as a restart of the database would
                dropped = await admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert dropped.all(), "the read engine's pooled connection was not found"
            assert await _stage(reads, reference) == "screening"
        finally:
            await engine.dispose()
            await read_engine.dispose()
