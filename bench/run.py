"""Run the benchmarks: ``.venv/bin/python -m bench.run [--full] [--json bench/results/latest.json] [--keep]``.

Starts its own embedded stack in a temporary folder (see ``bench/stack.py``), runs the five sections of issue 8,
prints a table and writes every figure as JSON. Quick mode (default) takes about 5 minutes on a shared 2-core
machine; ``--full`` uses the sizes the issue asks for (1,000+ decisions, 10,000 open cases) and takes 45-50 minutes
there. Not part of the test suite: it passes or fails nothing; the targets are reported next to the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from bench import capacity, deadlines, history_size, latency, register_scale, throughput
from bench import replicas as bench_replicas
from bench.api_client import StaffApi
from bench.console_reads import ConsoleReader
from bench.stack import BenchStack
from domain.uk_time import london_date
from workers.temporal_server import temporal_cli


@dataclass(frozen=True)
class Sizes:
    decisions: int
    diagnostics: int
    warmup: int
    baseline_cases: int
    open_cases: int
    open_concurrency: int
    read_samples: int
    throughput_seconds: float
    throughput_concurrency: int
    deadline_cases: int
    deadline_lead: float
    deadline_background: int
    synthetic_cases: int = 0  # register rows cloned up to this many for the API reads (0: none)
    synthetic_read_samples: int = 10
    replica_decisions: int = 100  # section "replicas": decisions through one replica, read back on the other
    # The workers' workflow cache (SCR_WORKER_MAX_CACHED_WORKFLOWS; the product's default is 1,000). Full mode holds
    # every case the decision section touches (about 1,330): with fewer, each decision on a case pushed out of the
    # cache replays its history first (measured in the first full run: ratio 3.3 instead of 2.5).
    worker_cache: int = 1000


QUICK = Sizes(
    decisions=200,
    diagnostics=40,
    warmup=10,
    baseline_cases=100,
    open_cases=500,
    open_concurrency=8,
    read_samples=20,
    throughput_seconds=15,
    throughput_concurrency=8,
    deadline_cases=40,
    deadline_lead=8,
    deadline_background=2,
    synthetic_cases=10_000,
)
SMOKE = Sizes(
    decisions=20,
    diagnostics=10,
    warmup=3,
    baseline_cases=20,
    open_cases=60,
    open_concurrency=4,
    read_samples=5,
    throughput_seconds=5,
    throughput_concurrency=4,
    deadline_cases=10,
    deadline_lead=5,
    deadline_background=1,
    synthetic_cases=1_000,
    synthetic_read_samples=3,
    replica_decisions=10,
)
FULL = Sizes(
    decisions=1000,
    diagnostics=300,
    warmup=20,
    baseline_cases=100,
    open_cases=10_000,
    open_concurrency=8,
    # p99 of 50 lay between the two slowest requests: one lone stall (~160 ms, an API's full garbage collection
    # before P13) decided a page's verdict; p99 of 200 is the third-slowest request.
    read_samples=200,
    throughput_seconds=90,
    throughput_concurrency=8,
    deadline_cases=500,
    deadline_lead=60,  # burst 2 gets twice this: 500 fast-forwards of a second reminder need about 120 s
    deadline_background=2,
    worker_cache=2000,
    replica_decisions=300,
)


def machine() -> dict[str, Any]:
    cpu_model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([temporal_cli(), "--version"], capture_output=True, text=True, check=False).stdout
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=False)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "temporalio": metadata.version("temporalio"),
        "temporal_cli": version.strip(),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "source": {"commit": commit.stdout.strip(), "uncommitted_changes": bool(dirty.stdout.strip())},
    }


Section = Callable[[], Awaitable[Any]]


async def _section(results: dict[str, Any], name: str, run: Section) -> None:
    """Run one section; record its time and how busy the whole machine was meanwhile (it may be shared)."""
    started = time.monotonic()
    before = psutil.cpu_times()
    sys.stderr.write(f"[bench] {name} ...\n")
    try:
        results[name] = await run()
    except Exception as error:  # one section failing must not lose the others
        results[name] = {"error": repr(error)[:1000]}
        sys.stderr.write(f"[bench] {name} failed: {error!r}\n")
    after = psutil.cpu_times()
    total = sum(after) - sum(before)
    idle = (after.idle + after.iowait) - (before.idle + before.iowait)
    results.setdefault("section_seconds", {})[name] = round(time.monotonic() - started, 1)
    results.setdefault("machine_cpu_busy", {})[name] = round((total - idle) / total, 2) if total else None
    results.setdefault("load_average_1min_after", {})[name] = round(os.getloadavg()[0], 2)


SECTIONS = (
    "baseline",
    "decision_round_trip",
    "replicas",
    "throughput",
    "capacity",
    "deadline_accuracy",
    "history_size",
)


async def run(
    sizes: Sizes,
    mode: str,
    workdir: Path,
    only: set[str] | None = None,
    *,
    postgres: str = "",
    api_replicas: int = 2,
) -> dict[str, Any]:
    stack = BenchStack(workdir, worker_cache=sizes.worker_cache, postgres_server=postgres, api_replicas=api_replicas)
    results: dict[str, Any] = {
        "mode": mode,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "database": stack.register_kind, "api_replicas": api_replicas},
        "sizes": sizes.__dict__,
    }
    api: StaffApi | None = None
    console: ConsoleReader | None = None
    try:
        await stack.start()
        api = StaffApi(stack.api_url)
        today = london_date(datetime.now(UTC))
        results["workflow_cache_size"] = sizes.worker_cache
        idle_footprint = await capacity.footprint(stack)
        reads_small: dict[str, Any] = {}
        footprint_small: dict[str, Any] = {}
        deadline_refs: list[str] = []
        idle: list[str] = []  # cases waiting at screening that no section has touched yet
        staff = api
        console = ConsoleReader(stack.api_url)

        async def baseline() -> dict[str, Any]:
            opened, references = await capacity.open_to(
                stack, staff, sizes.baseline_cases, today, sizes.open_concurrency
            )
            idle.extend(references)
            footprint_small.update(await capacity.footprint(stack))
            reads_small.update(await capacity.api_reads(stack, staff, sizes.read_samples, console))
            return {"opening": opened, "idle": idle_footprint, "footprint": footprint_small, "reads": reads_small}

        async def round_trip() -> dict[str, Any]:
            return await latency.decision_round_trip(
                stack,
                staff,
                decisions=sizes.decisions,
                diagnostics=sizes.diagnostics,
                warmup=sizes.warmup,
                today=today,
                idle=idle,
            )

        async def replicas() -> dict[str, Any]:
            references = await latency.cases_waiting(staff, idle, sizes.replica_decisions + sizes.warmup, today)
            await stack.wait_quiet()
            return await bench_replicas.across_replicas(stack, references, sizes.warmup)

        async def lifecycles() -> dict[str, Any]:
            out: dict[str, Any] = {"smtp_send_median_ms": await throughput.smtp_send_ms(stack.smtp_port)}
            for workers in (1, 2):
                out[f"workers_{workers}"] = await throughput.lifecycles_per_minute(
                    stack,
                    staff,
                    workers=workers,
                    seconds=sizes.throughput_seconds,
                    concurrency=sizes.throughput_concurrency,
                    today=today,
                )
            await stack.stop_worker("worker 2")
            return out

        async def open_cases() -> dict[str, Any]:
            opened, references = await capacity.open_to(
                stack, staff, sizes.open_cases, today, sizes.open_concurrency, at_least=sizes.deadline_cases
            )
            deadline_refs.extend(references[-sizes.deadline_cases :])
            large = await capacity.footprint(stack)
            reads_large = await capacity.api_reads(stack, staff, sizes.read_samples, console)
            register_file = stack.workdir / "scr.db"
            tasks_check = await register_scale.tasks_match_awaiting(stack.engine)
            synthetic: dict[str, Any] = {}
            if sizes.synthetic_cases > large["cases"]:
                added = await register_scale.clone_cases(stack.engine, sizes.synthetic_cases)
                reads_synthetic = await capacity.api_reads(stack, staff, sizes.synthetic_read_samples, console)
                synthetic = {
                    "rows_cloned": added,
                    "case_tasks_match_awaiting": await register_scale.tasks_match_awaiting(stack.engine),
                    "reads": reads_synthetic,
                    "reads_compared": capacity.compare_reads(reads_small, reads_synthetic),
                    "read_paths_before_after": (
                        await register_scale.read_paths_before_after(register_file, stack.workdir)
                        if not postgres
                        else {"skipped": "SQLite only: it times a copy of the register file without P5's indexes"}
                    ),
                }
            return {
                "workflow_cache_size": results["workflow_cache_size"],
                "opening": opened,
                "footprint_at_baseline": footprint_small,
                "footprint": large,
                "growth": capacity.per_case_growth(footprint_small, large),
                "reads_at_baseline": reads_small,
                "reads": reads_large,
                "reads_compared": capacity.compare_reads(reads_small, reads_large),
                "case_tasks_match_awaiting": tasks_check,
                "synthetic_register": synthetic,
            }

        async def deadline_accuracy() -> dict[str, Any]:
            if not deadline_refs:  # run alone (--only): open its own cases
                deadline_refs.extend((await staff.open_many(sizes.deadline_cases, today))[0])
                await stack.wait_quiet()
            return await deadlines.deadline_accuracy(
                stack, staff, deadline_refs, lead=sizes.deadline_lead, background=sizes.deadline_background
            )

        async def histories() -> dict[str, Any]:
            return await history_size.history_sizes(stack, staff)

        sections: dict[str, Section] = {
            "baseline": baseline,
            "decision_round_trip": round_trip,
            "replicas": replicas,
            "throughput": lifecycles,
            "capacity": open_cases,
            "deadline_accuracy": deadline_accuracy,
            "history_size": histories,
        }
        for name, section in sections.items():
            if only is None or name in only:
                await _section(results, name, section)
        results["open_case_500s_total"] = {"attempts": api.open_attempts, "failures_retried": api.open_failures}
    finally:
        if api is not None:
            await api.aclose()
        if console is not None:
            await console.aclose()
        await stack.close()
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


# -- the table ---------------------------------------------------------------------------------------------


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text}{unit}"


def _target(compared: dict[str, Any]) -> str:
    target = compared.get("target", 10)
    shown = f"<= {target}x" if target == 3 else f"< {target}x"
    return shown + ("" if compared.get("meets_target", compared.get("meets_10x")) else "  MISSED")


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(label: str, value: str, target: str = "") -> None:
        rows.append((label, value, target))

    def pct(series: Any) -> str:
        if not isinstance(series, dict) or not series.get("n"):
            return "-"
        return f"{_fmt(series['p50_ms'])} / {_fmt(series['p95_ms'])} / {_fmt(series['p99_ms'])} ms (n={series['n']})"

    rt = results.get("decision_round_trip", {})
    add("1. decision round trip p50/p95/p99", "")
    for label, key in (
        ("  POST .../decisions/screening (HTTP, thin client)", "http_screening"),
        ("  the same decision through httpx", "http_screening_httpx"),
        ("  floor: bare update, trivial workflow", "floor_update"),
        ("  same update, dev server running nothing else", "bare_server_floor_update"),
        ("  POST .../decisions/chair (HTTP, +deadlines)", "http_chair"),
        ("  decide update, Python client (no HTTP)", "direct_decide"),
        ("  floor + one no-op activity started (P8 design)", "floor_update_starting_activity"),
        ("  floor + one no-op local activity (P1 design)", "floor_update_with_local_activity"),
        ("  floor + one no-op activity (pre-P1 design)", "floor_update_with_activity"),
    ):
        add(label, pct(_get(rt, "series", key)))
    ratio = _get(rt, "ratio") or {}
    add(
        "  ratio ours/floor p50 / p95 / p99",
        f"{_fmt(ratio.get('p50'))} / {_fmt(ratio.get('p95'))} / {_fmt(ratio.get('p99'))}",
        "<= 1.5 at p50 and p99",
    )
    to_bare = _get(rt, "ratio_to_bare_server_floor") or {}
    add(
        "  ratio ours/bare server's floor",
        f"{_fmt(to_bare.get('p50'))} / {_fmt(to_bare.get('p95'))} / {_fmt(to_bare.get('p99'))}",
    )
    settling = _get(rt, "settling") or {}
    add(
        "  settle before each sample (mean, gave up)",
        f"{_fmt(settling.get('settle_mean_ms'))} ms, {_fmt(settling.get('settles_that_gave_up'))} of "
        f"{_fmt(settling.get('settles'))}",
    )
    cpu = _get(rt, "cpu_per_decision") or {}
    if cpu.get("decisions"):
        add(
            f"  CPU per decision, deferred work included (n={cpu['decisions']})",
            f"{_fmt(cpu.get('cpu_ms_per_decision_total'))} ms: "
            + ", ".join(f"{name} {_fmt(ms)}" for name, ms in cpu["cpu_ms_per_decision"].items()),
        )
    started = _get(rt, "ratio_to_floor_starting_activity") or {}
    add(
        "  ratio ours/(floor + started activity)",
        f"{_fmt(started.get('p50'))} / {_fmt(started.get('p95'))} / {_fmt(started.get('p99'))}",
    )
    screening = _get(rt, "server_side_from_histories", "screening_update") or {}
    if screening.get("n"):
        add(
            "  server side, screening (histories, p50)",
            f"{_fmt(_get(screening, 'server_side', 'p50_ms'))} ms: {_fmt(screening['workflow_tasks_median'])} "
            f"workflow task(s) ({_fmt(screening['workflow_task_run_median_ms'])} ms run, of which "
            f"{_fmt(screening.get('local_activity_run_median_ms'))} ms in "
            f"{_fmt(screening.get('local_activities_median'))} local activity), "
            f"{_fmt(screening['activities_median'])} activity task(s)",
        )

    rep = results.get("replicas", {})
    if rep.get("decisions"):
        add(f"1b. two API replicas ({_fmt(rep['decisions'])} decisions)", "")
        add("  decision, alternating replicas", pct(rep.get("decision_alternating_replicas")))
        add("  read on the other replica with min_version", pct(rep.get("read_other_replica_with_min_version")))
        add("  read on the same replica (its fence)", pct(rep.get("read_same_replica_after_decision")))
        add(
            "  plain read on the other replica still stale",
            f"{_fmt(rep.get('plain_read_other_replica_stale'))} of {_fmt(rep['decisions'])}; min_version reads "
            f"failed {_fmt(rep.get('min_version_reads_failed'))}; older than answered "
            f"{_fmt(rep.get('reads_older_than_answered'))}",
            "0 older",
        )

    tp = results.get("throughput", {})
    add("2. lifecycles/minute (open → publication decision)", "")
    for workers in (1, 2):
        section = tp.get(f"workers_{workers}", {})
        cpu = section.get("cpu_seconds_per_lifecycle", {})
        where = ", ".join(f"{k} {v:.2f}s" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])[:4])
        add(
            f"  {workers} worker process(es)",
            f"{_fmt(section.get('lifecycles_per_minute'))}/min; CPU per lifecycle: {where}",
        )
    spent = _get(tp, "workers_1", "time_per_case_from_histories") or {}
    if spent:
        acts = spent.get("activities", {})
        parts = [f"{v['count_per_case']:g} x {name} {v['run_ms_per_case']:.0f} ms" for name, v in acts.items()]
        local_acts = spent.get("local_activities", {})
        parts += [
            f"{v['count_per_case']:g} x {name} (local) {v['run_ms_per_case']:.0f} ms" for name, v in local_acts.items()
        ]
        task = spent.get("workflow_tasks", {})
        run_ms, queue_ms = task.get("run_ms_per_case", 0), task.get("queue_ms_per_case", 0)
        parts.append(
            f"{task.get('count_per_case', 0):g} workflow tasks {run_ms:.0f} ms run (local activities included) "
            f"+ {queue_ms:.0f} ms queued; {_fmt(spent.get('events_per_case'))} events"
        )
        add("  per lifecycle (histories, 1 worker)", "; ".join(parts))
    add("  SMTP send to the sink (median)", _fmt(tp.get("smtp_send_median_ms"), " ms"))

    cap = results.get("capacity", {})
    fp = cap.get("footprint", {})
    add(
        f"3. capacity at {_fmt(fp.get('cases'))} cases",
        f"worker RSS {_fmt(fp.get('worker_rss_mb'))} MB (cache {_fmt(cap.get('workflow_cache_size'))} workflows); "
        f"temporal.db {_fmt(fp.get('temporal_db_mb'))} MB; register {_fmt(fp.get('register_db_mb'))} MB",
    )
    growth = cap.get("growth", {})
    if growth:
        add(
            "  growth per case",
            f"RSS {_fmt(growth.get('worker_rss_kb_per_case'))} KB, "
            f"temporal.db {_fmt(growth.get('temporal_db_kb_per_case'))} KB, "
            f"register {_fmt(growth.get('register_db_kb_per_case'))} KB",
        )
    for label, compared in (cap.get("reads_compared") or {}).items():
        add(
            f"  {'' if label.startswith('console:') else 'GET '}{label} p99",
            f"{_fmt(compared['p99_small_ms'])} → {_fmt(compared['p99_large_ms'])} ms (x{compared['ratio']})",
            _target(compared),
        )

    synthetic = cap.get("synthetic_register") or {}
    synthetic_cases = _get(synthetic, "reads", "cases")
    for label, compared in (synthetic.get("reads_compared") or {}).items():
        add(
            f"  {'' if label.startswith('console:') else 'GET '}{label} p99, {_fmt(synthetic_cases)} cases (synthetic)",
            f"{_fmt(compared['p99_small_ms'])} → {_fmt(compared['p99_large_ms'])} ms (x{compared['ratio']})",
            _target(compared),
        )
    paths = synthetic.get("read_paths_before_after") or {}
    for label, key in (
        ("tasks query (sub_group)", "tasks_sub_group_query_ms"),
        ("cases last page query", "cases_last_page_query_ms"),
    ):
        figures = list((paths.get(key) or {}).values())
        if len(figures) >= 2:
            add(f"  {label}: before → now (median)", " → ".join(_fmt(f) for f in figures) + " ms")
    for where, check in (
        ("real", cap.get("case_tasks_match_awaiting")),
        ("synthetic", synthetic.get("case_tasks_match_awaiting")),
    ):
        if check:
            add(
                f"  case_tasks rows vs cases.awaiting ({where})",
                f"{_fmt(check['rows'])} rows, {_fmt(check['missing'])} missing, {_fmt(check['extra'])} extra",
            )

    hs = results.get("history_size", {})
    add("4. history size", "")
    for name in ("full_case", "three_year_case"):
        case = hs.get(name, {})
        if "error" in case:
            add(f"  {name}", f"error: {case['error'][:80]}")
            continue
        add(
            f"  {name.replace('_', ' ')} ({_fmt(case.get('months'))} months)",
            f"{_fmt(case.get('events'))} events, {_fmt(case.get('bytes'))} bytes, {_fmt(case.get('runs'))} run(s), "
            f"{_fmt(case.get('events_per_month_mean'))} events/month",
            "far under 4,096 events / 4 MiB per run",
        )
        markers = case.get("markers") or {}
        if markers:
            local_markers = sum((markers.get("local_activities") or {}).values())
            add(
                "    of which markers",
                f"{_fmt(local_markers)} local activities, {_fmt(sum((markers.get('patches') or {}).values()))} "
                f"patches; {_fmt(case.get('activity_tasks'))} activity tasks; "
                f"{_fmt(case.get('workflow_tasks'))} workflow tasks",
            )
    projection = hs.get("projection")
    if projection:
        add(
            "  continue-as-new suggested after",
            f"{_fmt(projection['months_to_continue_as_new_suggestion'])} months of such a case",
        )

    dl = results.get("deadline_accuracy", {})
    add(f"5. deadline lateness, burst of {_fmt(dl.get('cases_per_burst'))} under load", "p50 / p95 / p99")
    add("  floor: bare timer wake-up", pct(dl.get("floor_bare_timer_wakeup")))
    add("  floor: bare timer, fast-forwarded", pct(dl.get("floor_bare_timer_wakeup_fast_forwarded")))
    for burst, email in (("reminder", "email_sent_after_due"), ("escalation", "emails_sent_after_due")):
        add(f"  {burst}: server fired the timer", pct(_get(dl, burst, "from_histories", "timer_fired_after_due")))
        add(
            f"  {burst}: worker started the task",
            pct(_get(dl, burst, "from_histories", "task_started_after_timer_fired")),
        )
        add(f"  {burst}: workflow woke (after due)", pct(_get(dl, burst, "workflow_woke_after_due")))
        add(
            f"  {burst}: send_notice done (histories, after due)",
            pct(_get(dl, burst, "from_histories", "notices_sent_after_due")),
        )
        split = _get(dl, burst, "from_histories") or {}
        if _get(split, "notices_span_scheduled_to_last_sent", "n"):
            add(
                f"  {burst}: notices scheduled / span / sum of runs (p50)",
                " / ".join(
                    _fmt(_get(split, key, "p50_ms"))
                    for key in ("notices_scheduled_after_due", "notices_span_scheduled_to_last_sent", "notices_run_sum")
                )
                + " ms",
            )
        add(f"  {burst}: email(s) sent (wall clock, after due)", pct(_get(dl, burst, email)))
        add(f"  {burst}: virtual clock behind plan", pct(_get(dl, burst, "virtual_clock_behind_wall_plan")))

    errors = [name for name, value in results.items() if isinstance(value, dict) and "error" in value]
    if errors:
        add("sections that failed", ", ".join(errors))

    width = max(len(r[0]) for r in rows)
    lines = [
        f"{label.ljust(width)}  {value}" + (f"   [target {target}]" if target else "") for label, value, target in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--full", action="store_true", help="the sizes issue 8 asks for (long: see BENCHMARKS.md)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the bench itself works (~2 min)")
    parser.add_argument(
        "--json", type=Path, default=Path("bench/results/latest.json"), help="where to write the figures"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the stack (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, logs, mail)")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated sections to run (default: all): {', '.join(SECTIONS)}; capacity compares with "
        "baseline, so run both together",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SCR_BENCH_POSTGRES_URL", ""),
        help="keep the register on this PostgreSQL server (postgresql+asyncpg://user@host:port/db), in a fresh "
        "database dropped after the run (default: $SCR_BENCH_POSTGRES_URL, else SQLite)",
    )
    parser.add_argument("--api-replicas", type=int, default=2, help="API processes (section replicas needs 2)")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scr-bench-"))
    sizes, mode = (FULL, "full") if args.full else (SMOKE, "smoke") if args.smoke else (QUICK, "quick")
    started = time.monotonic()
    try:
        only = {name.strip() for name in args.only.split(",")} if args.only else None
        if only is not None and not only <= set(SECTIONS):
            parser.error(f"unknown section(s): {', '.join(sorted(only - set(SECTIONS)))}")
        results = asyncio.run(run(sizes, mode, workdir, only, postgres=args.postgres, api_replicas=args.api_replicas))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results["total_seconds"] = round(time.monotonic() - started, 1)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    sys.stdout.write(table(results) + "\n")
    sys.stdout.write(f"\n{mode} run in {results['total_seconds']} s; figures in {args.json}")
    sys.stdout.write(f"; stack files kept in {workdir}\n" if args.keep or args.workdir else "\n")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the Temporal SDK can crash at interpreter exit (sdk-python #300)
