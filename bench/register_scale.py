"""API reads at 10,000 cases without opening 10,000 workflows (quick mode), and the proposed read paths.

``GET /api/v1/tasks`` and ``GET /api/v1/cases`` read only the case register, so their cost at size N depends on the
register's rows, not on the workflows behind them. ``clone_cases`` copies the ``cases`` rows the bench opened (real
rows, written by the workflows' activities) under new references (``SYN-...``, board unchanged) until the register
holds N; the same HTTP reads are then timed. Labelled *synthetic* in the results; ``--full`` opens real cases.

``proposed_read_paths`` times, on a copy of that register, the current queries next to the ones BENCHMARKS.md
proposes: the task list from an indexed ``case_tasks`` table (one row per awaited decision and role) with a page of
50, and the case list with an index on ``(board, created_at, reference)``.
"""

from __future__ import annotations

import inspect
import json
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.stack import BOARD
from store import register
from store.database import create_engine, session_factory

CLOSED = ("closed", "closed_without_review")


def clone_cases(db_file: Path, target: int) -> int:
    """Copy existing ``cases`` rows under new references until there are ``target``; returns how many were added."""
    connection = sqlite3.connect(db_file, timeout=30)
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(cases)")]
        count = int(connection.execute("SELECT count(*) FROM cases").fetchone()[0])
        originals = connection.execute("SELECT * FROM cases WHERE reference NOT LIKE 'SYN-%'").fetchall()
        added = 0
        rows = []
        while count + added < target and originals:
            row = list(originals[added % len(originals)])
            number = count + added
            row[columns.index("reference")] = f"SYN-2026-{number:05d}"
            row[columns.index("workflow_id")] = f"synthetic-{number}"
            row[columns.index("idempotency_key")] = None
            rows.append(row)
            added += 1
        placeholders = ",".join("?" * len(columns))
        # Column names come from the schema itself (PRAGMA table_info), not from input.
        insert = f"INSERT INTO cases ({','.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        connection.executemany(insert, rows)
        connection.commit()
        return added
    finally:
        connection.close()


def _copy_with_proposals(db_file: Path, copy: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(db_file, timeout=30)
    source.execute(f"VACUUM INTO '{copy}'")
    source.close()
    connection = sqlite3.connect(copy)
    connection.execute(
        "CREATE TABLE case_tasks (case_reference TEXT, board TEXT, stage TEXT, role TEXT, kind TEXT, "
        "description TEXT, due DATE)"
    )
    rows = connection.execute(
        "SELECT reference, board, stage, awaiting FROM cases WHERE stage NOT IN (?, ?)", CLOSED
    ).fetchall()
    for reference, board, stage, awaiting in rows:
        for item in json.loads(awaiting or "[]"):
            for role in item.get("roles", []):
                connection.execute(
                    "INSERT INTO case_tasks VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (reference, board, stage, role, item["kind"], item["description"], item.get("due")),
                )
    connection.execute("CREATE INDEX ix_case_tasks_role_due ON case_tasks (role, board, due, case_reference)")
    connection.execute("CREATE INDEX ix_cases_board_created ON cases (board, created_at DESC, reference DESC)")
    connection.commit()
    connection.close()


async def proposed_read_paths(db_file: Path, workdir: Path, repeats: int = 10) -> dict[str, Any]:
    """Median ms of the current register reads and of the proposed ones, on a copy of ``db_file``."""
    current_engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    copy = workdir / "proposals.db"
    _copy_with_proposals(db_file, copy)
    proposed_engine = create_engine(f"sqlite+aiosqlite:///{copy}")
    current, proposed = session_factory(current_engine), session_factory(proposed_engine)
    total = 0

    async def timed(run: Callable[[], Awaitable[object]]) -> float:
        await run()
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            await run()
            samples.append(time.perf_counter() - start)
        return round(statistics.median(samples) * 1000, 1)

    # Scoped by board where the register function takes boards (it gained the parameter during issue 8).
    scope: dict[str, Any] = (
        {"boards": [BOARD]} if "boards" in inspect.signature(register.cases_awaiting).parameters else {}
    )

    async def tasks_now() -> object:
        async with current() as session:
            cases = await register.cases_awaiting(session, role="sub_group", **scope)
        return sorted(
            (
                (c.reference, item.get("due") or "9999")
                for c in cases
                for item in c.awaiting
                if "sub_group" in item["roles"]
            ),
            key=lambda t: (t[1], t[0]),
        )

    async def tasks_table() -> object:
        async with proposed() as session:
            page = await session.execute(
                text(
                    "SELECT case_reference, kind, due FROM case_tasks WHERE role = :role AND board = :board "
                    "ORDER BY due IS NULL, due, case_reference LIMIT 50"
                ),
                {"role": "sub_group", "board": BOARD},
            )
            count = await session.execute(
                text("SELECT count(*) FROM case_tasks WHERE role = :role AND board = :board"),
                {"role": "sub_group", "board": BOARD},
            )
            return page.all(), count.scalar_one()

    async with current() as session:
        total = int((await session.execute(text("SELECT count(*) FROM cases"))).scalar_one())

    def cases_page(sessions: Any, offset: int) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with sessions() as session:
                return await register.list_cases(session, boards=[BOARD], stage=None, limit=50, offset=offset)

        return run

    last = max(total - 50, 0)
    try:
        return {
            "cases": total,
            "tasks_sub_group_query_ms": {
                "current (every open case, role filtered in Python)": await timed(tasks_now),
                "proposed (case_tasks table, index, page of 50 + total)": await timed(tasks_table),
            },
            "cases_last_page_query_ms": {
                "current": await timed(cases_page(current, last)),
                "proposed (index on board, created_at, reference)": await timed(cases_page(proposed, last)),
            },
            "cases_first_page_query_ms": {
                "current": await timed(cases_page(current, 0)),
                "proposed (index on board, created_at, reference)": await timed(cases_page(proposed, 0)),
            },
        }
    finally:
        await current_engine.dispose()
        await proposed_engine.dispose()
