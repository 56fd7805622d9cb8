"""One-row reads on the request path, run by the database's own driver.

A decision reads one row (the case and its recorded identifiers) before it goes to the workflow. Through
SQLAlchemy's execution path that read cost ~1.3 ms (SQLite) and ~1.8 ms (PostgreSQL) in a process that had been
idle for a few milliseconds, as an API process is between requests, against ~0.1 ms and ~0.7 ms for the driver's own
call: SQLAlchemy's many layers run cold (measured 2026-12-08, BENCHMARKS.md, P13). The statement is still written with
SQLAlchemy and compiled once per dialect, and each value passes through its column type's own processors, so a row
reads as SQLAlchemy would read it (tests/api/test_read_engine.py compares the two on both databases).

If the driver's call fails (a dead pooled connection, a lock), the read runs once more through SQLAlchemy, on a new
connection, and raises SQLAlchemy's errors if it fails again (the API answers a lost database with 503)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, MappingResult, Select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

RowValues = dict[str, Any]
Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class DriverForm:
    """A statement as one dialect's driver takes it: SQL with positional parameters, and the type processors
    SQLAlchemy would apply to the parameters and to the columns."""

    sql: str
    binds: tuple[tuple[str, Processor | None], ...]
    columns: tuple[tuple[str, Processor | None], ...]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect) -> DriverForm:
        compiled = statement.compile(dialect=dialect)
        if compiled.positiontup is None:
            raise ValueError(f"{dialect.name}: a driver read needs a positional parameter style")
        binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        )
        columns = tuple(
            (key, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for key, column in statement.selected_columns.items()
        )
        return cls(compiled.string, binds, columns)

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(params[name] if process is None else process(params[name]) for name, process in self.binds)

    def values(self, row: Sequence[Any]) -> RowValues:
        return {
            key: value if process is None else process(value)
            for (key, process), value in zip(self.columns, row, strict=True)
        }


class RowQuery:
    """A SELECT of at most one row with named bind parameters (``bindparam("reference")``)."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._forms: dict[str, DriverForm] = {}

    def form(self, dialect: Dialect) -> DriverForm:
        form = self._forms.get(dialect.name)
        if form is None:
            form = self._forms[dialect.name] = DriverForm.compile(self.statement, dialect)
        return form


RowRead = Callable[[RowQuery, Mapping[str, Any]], Awaitable[RowValues | None]]


def session_rows(sessions: async_sessionmaker[AsyncSession]) -> RowRead:
    """The same reads through SQLAlchemy's session (where no driver read is set up)."""

    async def read(query: RowQuery, params: Mapping[str, Any]) -> RowValues | None:
        async with sessions() as session:
            return _first((await session.execute(query.statement, dict(params))).mappings())

    return read


def sqlite_rows(engine: Engine) -> RowRead:
    """With the standard library's driver on the calling thread (``store.database.InlineSqliteReads``)."""

    async def read(query: RowQuery, params: Mapping[str, Any]) -> RowValues | None:
        form = query.form(engine.dialect)
        try:
            with closing(engine.raw_connection()) as connection:
                cursor = connection.driver_connection.execute(form.sql, form.arguments(params))  # type: ignore[union-attr]
                row = cursor.fetchone()
        except Exception:  # whatever the driver raises: once more through SQLAlchemy, below
            with engine.connect() as fallback:
                return _first(fallback.execute(query.statement, dict(params)).mappings())
        return None if row is None else form.values(row)

    return read


def asyncpg_rows(engine: AsyncEngine) -> RowRead:
    """With asyncpg, on a connection of ``engine``'s pool (SQLAlchemy set its JSON codecs when it connected)."""

    async def read(query: RowQuery, params: Mapping[str, Any]) -> RowValues | None:
        form = query.form(engine.dialect)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            try:
                row = await driver.fetchrow(form.sql, *form.arguments(params))  # type: ignore[union-attr]
            except Exception:  # whatever the driver raises: once more through SQLAlchemy, below
                await connection.invalidate()
            else:
                return None if row is None else form.values(row)
        async with engine.connect() as fallback:
            return _first((await fallback.execute(query.statement, dict(params))).mappings())

    return read


def _first(rows: MappingResult) -> RowValues | None:
    found = rows.one_or_none()
    return None if found is None else dict(found)
