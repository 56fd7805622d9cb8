"""Engine and session factory for the case register (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Executable, Result, event, make_url
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from store.row_reads import RowRead, asyncpg_rows, session_rows, sqlite_rows

T = TypeVar("T")
M = TypeVar("M")


def create_engine(url: str) -> AsyncEngine:
    return _engine(url) if url.startswith("sqlite") else _engine(url, pool_pre_ping=True)


class Reader(Protocol):
    """What a one-statement read on the request path uses of its session: an ``AsyncSession`` has both."""

    async def execute(self, statement: Executable, /) -> Result[*tuple[Any, ...]]: ...

    async def get(self, entity: type[M], ident: Any, /) -> M | None: ...


ReadSessions = Callable[[], AbstractAsyncContextManager[Reader]]


@dataclass(frozen=True)
class RequestReads:
    """Sessions for reads of one statement on the request path, one-row reads by the driver itself (a decision's
    access check: ``store.row_reads``), and their closing."""

    sessions: ReadSessions
    row: RowRead
    dispose: Callable[[], Awaitable[None]]


def create_reads(url: str) -> RequestReads:
    """Autocommit, so no BEGIN and ROLLBACK around the statement, and no ping before it (on PostgreSQL those were
    three of its four round trips, ~3 ms of a decision's answer); a connection found dead is retried by
    ``read_once``. SQLite reads run on the calling thread (``InlineSqliteReads``)."""
    if url.startswith("sqlite"):
        inline = InlineSqliteReads(url)
        return RequestReads(inline, sqlite_rows(inline.engine), inline.dispose)
    engine = _engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    sessions = session_factory(engine)
    row = asyncpg_rows(engine) if engine.dialect.driver == "asyncpg" else session_rows(sessions)
    return RequestReads(sessions, row, engine.dispose)


class InlineSqliteReads:
    """SQLite reads of one statement with the standard library's driver, on the event loop's thread. aiosqlite
    hands each step of a statement (cursor, execute, fetch, close) to a thread of its own and back: four wake-ups
    of the loop around ~0.2 ms of work (an HTTP decision's access read took ~1-2 ms that way, under 1 ms inline).
    In WAL mode a read does not wait for writers, so it does not hold the loop up; a short busy timeout bounds
    the rare waits there are (a log being recovered after a crash, or removed as its last connection closes)."""

    BUSY_TIMEOUT_MS = 1000

    def __init__(self, url: str) -> None:
        self.engine = create_sync_engine(
            make_url(url).set(drivername="sqlite"),
            connect_args={"check_same_thread": False},  # pooled: the loop's thread today, another one tomorrow
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            hide_parameters=True,
        )
        event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms=self.BUSY_TIMEOUT_MS))

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[Reader]:
        with Session(self.engine) as session:
            yield _InlineReader(session)

    async def dispose(self) -> None:
        self.engine.dispose()


class _InlineReader:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def execute(self, statement: Executable, /) -> Result[*tuple[Any, ...]]:
        return self._session.execute(statement)

    async def get(self, entity: type[M], ident: Any, /) -> M | None:
        return self._session.get(entity, ident)


def _engine(url: str, **options: Any) -> AsyncEngine:
    # hide_parameters: a database error's message (which tracebacks in the logs carry) would otherwise repeat the
    # statement's values: rationales, identifiers, emails.
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_timeout_ms=30_000))
        return engine
    return create_async_engine(url, hide_parameters=True, **options)


async def read_once(sessions: ReadSessions, read: Callable[[Reader], Awaitable[T]]) -> T:
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


def _sqlite_pragmas(*, busy_timeout_ms: int) -> Callable[[DBAPIConnection, ConnectionPoolEntry], None]:
    """The "connect" listener of a SQLite engine: WAL lets the API read while the worker writes; foreign keys are
    off by default in SQLite; ``busy_timeout_ms``: how long a statement waits for a lock."""

    def on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    return on_connect


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
