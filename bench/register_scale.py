"""API reads at 10,000 cases without opening 10,000 workflows (quick mode), and the read paths before and after
P4/P5.

``GET /api/v1/tasks`` and ``GET /api/v1/cases`` read only the case register, so their cost at size N depends on the
register's rows, not on the workflows behind them. ``clone_cases`` copies the ``cases`` rows the bench opened (real
rows, written by the workflows' ``record_case_event``) under new references (``SYN-...``, board unchanged) until
the register holds N, and with each the original's ``case_tasks`` rows (P4: what ``record_case_event`` writes
through ``store.register.replace_tasks`` for that snapshot), so the task list at N reads the same index the
product reads. The same HTTP reads are then timed. Labelled *synthetic* in the results; ``--full`` opens real cases.

``read_paths_before_after`` times, on that register, the product's register queries next to the previous
implementation, which is inlined here only for the comparison (no product code keeps it):

- tasks, before: every open case's row selected (``awaiting`` JSON and all), the role filtered in Python, every
  task returned and sorted (``store.register.cases_awaiting`` and ``api/routers/tasks.py`` before P4);
- tasks, now: ``store.register.tasks_for`` (``case_tasks`` by index, a page of 50 and the total);
- cases pages, before: ``store.register.list_cases`` on a copy of the register without P5's indexes
  (``ix_cases_board_created_at``, ``ix_cases_created_at``); now: the same query on the register itself.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.stack import BOARD
from store import register
from store.database import create_engine, session_factory
from store.models import Case

CLOSED = ("closed", "closed_without_review")
P5_INDEXES = ("ix_cases_board_created_at", "ix_cases_created_at")
PAGE = 50


def clone_cases(db_file: Path, target: int) -> int:
    """Copy existing ``cases`` rows, with their ``case_tasks`` rows, under new references until there are
    ``target`` cases; returns how many cases were added."""
    connection = sqlite3.connect(db_file, timeout=30)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(cases)")]
        task_columns = [row[1] for row in connection.execute("PRAGMA table_info(case_tasks)")]
        reference_at = columns.index("reference")
        task_reference_at = task_columns.index("case_reference")
        count = int(connection.execute("SELECT count(*) FROM cases").fetchone()[0])
        originals = connection.execute("SELECT * FROM cases WHERE reference NOT LIKE 'SYN-%'").fetchall()
        tasks_of: dict[str, list[tuple[Any, ...]]] = {}
        for task in connection.execute("SELECT * FROM case_tasks WHERE case_reference NOT LIKE 'SYN-%'"):
            tasks_of.setdefault(task[task_reference_at], []).append(task)
        added = 0
        rows, task_rows = [], []
        while count + added < target and originals:
            original = originals[added % len(originals)]
            row = list(original)
            number = count + added
            reference = f"SYN-2026-{number:05d}"
            row[reference_at] = reference
            row[columns.index("workflow_id")] = f"synthetic-{number}"
            row[columns.index("idempotency_key")] = None
            rows.append(row)
            for task in tasks_of.get(original[reference_at], []):
                task_row = list(task)
                task_row[task_reference_at] = reference
                task_rows.append(task_row)
            added += 1
        # Column names come from the schema itself (PRAGMA table_info), not from input.
        insert = f"INSERT INTO cases ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})"  # noqa: S608
        insert_tasks = f"INSERT INTO case_tasks ({','.join(task_columns)}) VALUES ({','.join('?' * len(task_columns))})"  # noqa: S608
        connection.executemany(insert, rows)
        connection.executemany(insert_tasks, task_rows)
        connection.commit()
        return added
    finally:
        connection.close()


async def tasks_match_awaiting(engine: AsyncEngine) -> dict[str, Any]:
    """Whether ``case_tasks`` holds exactly one row per (open case, awaited item, role) of ``cases.awaiting``: what
    ``record_case_event`` should have written (a check of the product's rows and of the clone). SQLite or
    PostgreSQL (there ``awaiting`` comes back as JSON already)."""
    async with engine.connect() as connection:
        expected: set[tuple[str, int, str]] = set()
        for reference, stage, awaiting in await connection.execute(
            text("SELECT reference, stage, awaiting FROM cases")
        ):
            if stage in CLOSED:
                continue
            items = json.loads(awaiting or "[]") if isinstance(awaiting, str) else awaiting or []
            for position, item in enumerate(items):
                expected.update((reference, position, role) for role in item.get("roles", []))
        rows = {
            (str(r[0]), int(r[1]), str(r[2]))
            for r in await connection.execute(text("SELECT case_reference, position, role FROM case_tasks"))
        }
    return {
        "rows": len(rows),
        "expected_from_awaiting": len(expected),
        "missing": len(expected - rows),
        "extra": len(rows - expected),
        "consistent": rows == expected,
    }


def _copy_without_p5_indexes(db_file: Path, copy: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(db_file, timeout=30)
    source.execute(f"VACUUM INTO '{copy}'")
    source.close()
    connection = sqlite3.connect(copy)
    for index in P5_INDEXES:
        connection.execute(f"DROP INDEX IF EXISTS {index}")
    connection.commit()
    connection.close()


async def _tasks_before_p4(session: AsyncSession, role: str) -> list[tuple[str, str, date | None]]:
    """The previous implementation of ``GET /api/v1/tasks``' register read, for the comparison only: every open case
    of the board with anything awaited, the role filtered in Python, every task sorted (undated last)."""
    cases = await session.scalars(
        select(Case).where(
            Case.board.in_([BOARD]), Case.stage.not_in(CLOSED), func.length(cast(Case.awaiting, String)) > 2
        )
    )
    tasks = [
        (case.reference, item["kind"], date.fromisoformat(item["due"]) if item.get("due") else None)
        for case in cases
        for item in case.awaiting
        if role in item.get("roles", [])
    ]
    return sorted(tasks, key=lambda t: (t[2] is None, t[2] or date.max, t[0]))


async def read_paths_before_after(db_file: Path, workdir: Path, repeats: int = 10) -> dict[str, Any]:
    """Median ms of the register reads behind ``GET /api/v1/tasks`` and ``GET /api/v1/cases``: the previous
    implementation and the product's, on the same rows."""
    now_engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    copy = workdir / "without-p5-indexes.db"
    _copy_without_p5_indexes(db_file, copy)
    before_engine = create_engine(f"sqlite+aiosqlite:///{copy}")
    now, before = session_factory(now_engine), session_factory(before_engine)

    async def timed(run: Callable[[], Awaitable[object]]) -> float:
        await run()
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            await run()
            samples.append(time.perf_counter() - start)
        return round(statistics.median(samples) * 1000, 1)

    async def tasks_before() -> object:
        async with now() as session:
            return await _tasks_before_p4(session, "sub_group")

    def tasks_now(offset: int) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with now() as session:
                return await register.tasks_for(session, role="sub_group", boards=[BOARD], limit=PAGE, offset=offset)

        return run

    def cases_page(sessions: async_sessionmaker[AsyncSession], offset: int) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with sessions() as session:
                return await register.list_cases(session, boards=[BOARD], stage=None, limit=PAGE, offset=offset)

        return run

    async with now() as session:
        total = int((await session.execute(text("SELECT count(*) FROM cases"))).scalar_one())
        _, tasks_total = await register.tasks_for(session, role="sub_group", boards=[BOARD], limit=1, offset=0)
    last, last_task = max(total - PAGE, 0), max(tasks_total - PAGE, 0)
    try:
        return {
            "cases": total,
            "sub_group_tasks": tasks_total,
            "tasks_sub_group_query_ms": {
                "before P4 (every open case's row, role filtered in Python, all tasks)": await timed(tasks_before),
                "now (case_tasks by index, first page of 50 + total)": await timed(tasks_now(0)),
                "now, last page": await timed(tasks_now(last_task)),
            },
            "cases_last_page_query_ms": {
                "before P5 (no index)": await timed(cases_page(before, last)),
                "now (ix_cases_board_created_at)": await timed(cases_page(now, last)),
            },
            "cases_first_page_query_ms": {
                "before P5 (no index)": await timed(cases_page(before, 0)),
                "now (ix_cases_board_created_at)": await timed(cases_page(now, 0)),
            },
        }
    finally:
        await now_engine.dispose()
        await before_engine.dispose()
