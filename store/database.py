"""Engine and session factory for the case register (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

T = TypeVar("T")


def create_engine(url: str) -> AsyncEngine:
    return _engine(url) if url.startswith("sqlite") else _engine(url, pool_pre_ping=True)


def create_read_engine(url: str) -> AsyncEngine:
    """For reads of one statement on the request path (a decision's access check): autocommit, so no BEGIN and
    ROLLBACK around the statement, and no ping before it (on PostgreSQL those were three of its four round trips,
    ~3 ms of a decision's answer). A connection found dead is retried by ``read_once``."""
    return _engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


def _engine(url: str, **options: Any) -> AsyncEngine:
    # hide_parameters: a database error's message (which tracebacks in the logs carry) would otherwise repeat the
    # statement's values: rationales, identifiers, emails.
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, hide_parameters=True, **options)


async def read_once(sessions: async_sessionmaker[AsyncSession], read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``read`` in a session of ``sessions``; once more on a new connection if the pooled one was dead (the
    database restarted: the read engine does not ping before each use)."""
    try:
        async with sessions() as session:
            return await read(session)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    async with sessions() as session:
        return await read(session)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets the API read while the worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
