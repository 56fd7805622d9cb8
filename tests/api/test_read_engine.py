"""The access check's reads (``store.database.create_reads``): autocommit sessions without a ping before each use;
on SQLite, run on the calling thread; a decision's one-row read by the driver itself (``store.row_reads``), which
must read exactly what SQLAlchemy reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import bindparam, column, select, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from store import documents, register
from store.database import ReadSessions, RequestReads, create_engine, create_reads, read_once, session_factory
from store.models import Case, CaseIdentifierRecord
from store.row_reads import RowQuery, session_rows
from tests.support.case_harness import register_case
from tests.support.services import fresh_database


@pytest.fixture
async def request_reads(database_url: str) -> AsyncIterator[RequestReads]:
    made = create_reads(database_url)
    yield made
    await made.dispose()


@pytest.fixture
def reads(request_reads: RequestReads) -> ReadSessions:
    return request_reads.sessions


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
            await _terminate_others(engine)
            assert await _stage(reads.sessions, reference) == "screening"
            await _terminate_others(engine)
            found = await documents.case_with_identifiers(reads.row, reference=reference)  # the driver's read too
            assert found is not None
            assert found[0].stage == "screening"
        finally:
            await engine.dispose()
            await reads.dispose()


async def _terminate_others(engine: AsyncEngine) -> None:
    """Drop every other connection to the database, as a restart of the database would."""
    async with engine.connect() as admin:
        dropped = await admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        assert dropped.all(), "the read engine's pooled connection was not found"


def _columns(entity: Case | CaseIdentifierRecord | None) -> dict[str, object] | None:
    return None if entity is None else {c.key: getattr(entity, c.key) for c in type(entity).__table__.columns}


async def test_the_drivers_one_row_read_equals_sqlalchemys(engine: AsyncEngine, request_reads: RequestReads) -> None:
    """Types and all: dates, aware datetimes and JSON come back as the ORM gives them, with identifiers or without."""
    plain = await register_case(engine, stage="screening", incident={"outcome": "died", "place": "home"})
    named = await register_case(engine, stage="chair_decision")
    async with session_factory(engine).begin() as session:
        identifiers = {"child": {"names": ["Ada Example"], "dates_of_birth": ["2014-03-01"]}}
        await documents.put_identifiers(session, reference=named, identifiers=identifiers, updated_by="bob")
    by_sqlalchemy = session_rows(session_factory(engine))
    for reference in (plain, named):
        found = await documents.case_with_identifiers(request_reads.row, reference=reference)
        expected = await documents.case_with_identifiers(by_sqlalchemy, reference=reference)
        assert found is not None
        assert expected is not None
        async with session_factory(engine)() as session:
            loaded = await session.get(Case, reference), await session.get(CaseIdentifierRecord, reference)
        assert [_columns(e) for e in found] == [_columns(e) for e in expected] == [_columns(e) for e in loaded]
    found_named = await documents.case_with_identifiers(request_reads.row, reference=named)
    assert found_named is not None
    assert found_named[1] is not None
    assert found_named[1].identifiers == identifiers
    assert found_named[0].created_at.tzinfo is not None
    assert found_named[0].aware_on == date(2016, 3, 24)
    assert await documents.case_with_identifiers(request_reads.row, reference="NEL-2016-9999") is None


async def test_a_failed_driver_read_raises_sqlalchemys_error(request_reads: RequestReads) -> None:
    """The API answers SQLAlchemy's database errors (503 for a lost connection): a driver's own error must not
    escape past them."""
    missing = RowQuery(select(column("x")).select_from(table("no_such_table")).where(column("x") == bindparam("x")))
    with pytest.raises(DBAPIError):
        await request_reads.row(missing, {"x": 1})
