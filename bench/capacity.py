"""Section 3: many open cases waiting on their timers — worker memory, database sizes, API read times.

Cases are opened through the API (each waits at screening on its chair-decision reminder timer). Reads are timed
one at a time with the stack quiet: ``GET /api/v1/tasks`` pages (``{items, total, limit, offset}``, 50 a page, from
the ``case_tasks`` table since P4: the sub-group's queue holds every case awaiting screening, so its last page is
deep; the chair's holds only the cases awaiting the chair) and ``GET /api/v1/cases`` pages (first, last, by stage).
Each read records its response size, and for pages the items returned and the total. Target: each read's p99 at N
cases under 10x its p99 at 100 cases; the console's pages (``bench.console_reads``) within 3x.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from sqlalchemy import text

from bench.api_client import StaffApi
from bench.console_reads import ConsoleReader, console_reads
from bench.stack import BenchStack
from bench.stats import summary_ms

PAGE = 50


def read_paths(cases: int, sub_group_tasks: int) -> list[tuple[str, str, str]]:
    last_case = max(cases - PAGE, 0)
    last_task = max(sub_group_tasks - PAGE, 0)
    return [
        ("tasks, sub_group", f"/api/v1/tasks?limit={PAGE}", "sub_group"),
        ("tasks, sub_group, last page", f"/api/v1/tasks?limit={PAGE}&offset={last_task}", "sub_group"),
        ("tasks, independent_chair", f"/api/v1/tasks?limit={PAGE}", "independent_chair"),
        ("cases, first page", f"/api/v1/cases?limit={PAGE}", "auditor"),
        ("cases, last page", f"/api/v1/cases?limit={PAGE}&offset={last_case}", "auditor"),
        ("cases, stage=screening", f"/api/v1/cases?stage=screening&limit={PAGE}", "auditor"),
    ]


async def first_real_case(stack: BenchStack) -> str:
    """The oldest case opened through the API (cloned register rows have no workflow behind them)."""
    query = "SELECT reference FROM cases WHERE workflow_id NOT LIKE 'synthetic-%' ORDER BY reference LIMIT 1"
    async with stack.engine.connect() as connection:
        return str((await connection.execute(text(query))).scalar_one())


async def case_count(stack: BenchStack) -> int:
    async with stack.engine.connect() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM cases"))).scalar_one())


async def api_reads(
    stack: BenchStack, api: StaffApi, samples: int, console: ConsoleReader | None = None
) -> dict[str, Any]:
    """The API's reads and, given ``console``, the console's pages (``bench.console_reads``)."""
    total = await case_count(stack)
    _, sub_group_tasks = await api.tasks("sub_group", limit=1)
    results: dict[str, Any] = {"cases": total, "sub_group_tasks": sub_group_tasks}
    for label, path, role in read_paths(total, sub_group_tasks):
        for _ in range(2):  # warm-up
            await api.get(path, role)
        times, size, body = [], 0, None
        for _ in range(samples):
            size, elapsed, body = await api.get(path, role)
            times.append(elapsed)
        results[label] = {**summary_ms(times), "response_bytes": size}
        if isinstance(body, dict) and "items" in body:
            results[label].update(items=len(body["items"]), total=body.get("total"))
    if console is not None:
        reference = await first_real_case(stack)
        results.update(
            await console_reads(
                console, cases=total, sub_group_tasks=sub_group_tasks, reference=reference, samples=samples
            )
        )
    return results


async def footprint(stack: BenchStack) -> dict[str, Any]:
    sizes = await stack.file_sizes()
    return {
        "cases": await case_count(stack),
        "worker_rss_mb": round(stack.rss("worker 1") / 2**20, 1),
        "temporal_server_rss_mb": round(stack.rss("temporal server") / 2**20, 1),
        "temporal_db_mb": round(sizes["temporal.db"] / 2**20, 2),
        "register_db_mb": round(sizes["scr.db"] / 2**20, 2),
    }


async def open_to(
    stack: BenchStack, api: StaffApi, target: int, today: date, concurrency: int, at_least: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """Open cases through the API until the register holds ``target`` (and at least ``at_least`` new ones): the
    opening rate and latency, and the references opened (they wait at screening, untouched)."""
    missing = max(target - await case_count(stack), at_least)
    if missing <= 0:
        return {"opened": 0}, []
    failures_before = api.open_failures
    start = time.monotonic()
    references, times = await api.open_many(missing, today, concurrency=concurrency)
    elapsed = time.monotonic() - start
    drained = await stack.wait_quiet(give_up_after=1800)
    stats = {
        "opened": missing,
        "concurrency": concurrency,
        "seconds": round(elapsed, 1),
        "cases_per_second": round(missing / elapsed, 1),
        "open_request": summary_ms(times),
        "open_500s_retried": api.open_failures - failures_before,
        "drain_after_s": round(drained, 1),
    }
    return stats, references


def compare_reads(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """p99 at N over p99 at 100, per read; targets: the API's reads under 10x, the console's pages within 3x."""
    out: dict[str, Any] = {}
    for label in small:
        if not isinstance(small[label], dict) or label not in large:
            continue
        p99_small, p99_large = small[label].get("p99_ms"), large[label].get("p99_ms")
        if p99_small and p99_large:
            target = 3 if label.startswith("console:") else 10
            out[label] = {
                "p99_small_ms": p99_small,
                "p99_large_ms": p99_large,
                "ratio": round(p99_large / p99_small, 1),
                "target": target,
                "meets_target": p99_large / p99_small <= target if target == 3 else p99_large / p99_small < target,
            }
    return out


def per_case_growth(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    cases = large["cases"] - small["cases"]
    if cases <= 0:
        return {}
    return {
        "worker_rss_kb_per_case": round((large["worker_rss_mb"] - small["worker_rss_mb"]) * 1024 / cases, 1),
        "temporal_db_kb_per_case": round((large["temporal_db_mb"] - small["temporal_db_mb"]) * 1024 / cases, 1),
        "register_db_kb_per_case": round((large["register_db_mb"] - small["register_db_mb"]) * 1024 / cases, 1),
    }
