"""Section 2: full case lifecycles per minute (the part that needs no waiting on dates), with 1 and 2 worker
processes, and where the time goes.

A lifecycle is ``POST /api/v1/cases`` then the nine decisions of ``bench.api_client.LIFECYCLE`` (screening →
chair → reviewers → panel advice → start review → final report → QA → action plan → publication decision), each
over HTTP; ``concurrency`` drivers run lifecycles back to back for ``seconds``. The rate counts requests done in the
window divided by the ten a lifecycle needs (whole lifecycles completed in the window are reported as well).

Where the time goes:
- CPU seconds per lifecycle of each process (Temporal server, worker(s), API, SMTP sink, the bench's own client),
  and how busy the machine's cores were;
- from the histories of the lifecycles completed: run time per case of each activity type (``send_notice`` is SMTP
  plus two register writes), of each local activity type from its marker (since P1 ``record_case_event``, the
  register write — database, and ``compute_case_deadlines`` — CPU, run inside the workflow task), and of workflow
  tasks (the worker running workflow code, local activities included), and the time tasks waited to be picked up;
- an SMTP-only figure: sending one notice-sized message to the sink, to split ``send_notice`` into SMTP and database.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import date
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import psutil

from bench.api_client import LIFECYCLE, PUBLICATION_DOCUMENTS, StaffApi
from bench.histories import TimeSpent
from bench.stack import BenchStack
from bench.stats import median, summary_ms
from domain.case_contract import case_workflow_id

REQUESTS_PER_LIFECYCLE = 2 + len(PUBLICATION_DOCUMENTS) + len(LIFECYCLE)  # + identifiers and the uploads


async def smtp_send_ms(port: int, count: int = 30) -> float:
    """Median milliseconds to send one notice-sized message to the sink (new connection each, as the worker does)."""
    times = []
    for i in range(count):
        message = EmailMessage()
        message["From"] = "bench@lscb.example"
        message["To"] = "sub-group@lscb.example"
        message["Subject"] = f"[NEL-2026-{i:04d}] Bench notice"
        message.set_content("A notice-sized body.\n" * 30)
        start = time.perf_counter()
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
        times.append(time.perf_counter() - start)
    return round(median(times) * 1000, 1)


async def background_lifecycles(
    api: StaffApi, stop: asyncio.Event, concurrency: int, today: date
) -> tuple[int, list[str]]:
    """Lifecycle load until ``stop`` is set: the number of requests that succeeded, and what failed (a failed
    lifecycle is abandoned and a new one started)."""
    done = 0
    errors: list[str] = []

    async def driver() -> None:
        nonlocal done
        while not stop.is_set():
            try:
                reference, _ = await api.open_case(today)
                done += 1
                for step in LIFECYCLE:
                    if stop.is_set():
                        return
                    await api.step(reference, step, today)
                    done += 1
            except Exception as error:  # measured, not fatal: report it
                errors.append(f"{time.strftime('%H:%M:%S')} {error!r}"[:300])

    await asyncio.gather(*(driver() for _ in range(concurrency)))
    return done, errors


async def lifecycles_per_minute(
    stack: BenchStack, api: StaffApi, *, workers: int, seconds: float, concurrency: int, today: date
) -> dict[str, Any]:
    while len(stack.worker_names()) < workers:
        await stack.start_worker()
    await stack.wait_quiet()

    completed: list[str] = []
    finished: list[str] = []  # every lifecycle that got through, in the window or after it
    lifecycle_times: list[float] = []
    step_times: dict[str, list[float]] = defaultdict(list)
    requests_in_window = 0
    errors: list[str] = []
    start = time.monotonic()
    deadline = start + seconds
    cpu_before = stack.cpu_snapshot()
    machine_before = psutil.cpu_times()
    cpu_at_deadline: dict[str, float] = {}
    machine_busy: list[float] = []

    async def snapshot_at_deadline() -> None:
        await asyncio.sleep(seconds)
        cpu_at_deadline.update(stack.cpu_snapshot())
        after = psutil.cpu_times()
        total = sum(after) - sum(machine_before)
        idle = (after.idle + after.iowait) - (machine_before.idle + machine_before.iowait)
        machine_busy.append((total - idle) / total if total else 0.0)

    async def driver() -> None:
        nonlocal requests_in_window
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                reference, elapsed = await api.open_case(today)
                step_times["open"].append(elapsed)
                if time.monotonic() <= deadline:
                    requests_in_window += 1
                for step in LIFECYCLE:
                    if step.kind == "publication":  # its copies carry the documents, checked by the gate: first
                        step_times["identifiers"].append(await api.record_identifiers(reference))
                        if time.monotonic() <= deadline:
                            requests_in_window += 1
                        for kind in PUBLICATION_DOCUMENTS:
                            step_times["upload"].append(await api.upload(reference, kind))
                            if time.monotonic() <= deadline:
                                requests_in_window += 1
                    _, elapsed = await api.step(reference, step, today)
                    step_times[step.kind].append(elapsed)
                    if time.monotonic() <= deadline:
                        requests_in_window += 1
            except Exception as error:  # keep measuring; report what failed
                errors.append(repr(error)[:300])
                continue
            finished.append(reference)
            if time.monotonic() <= deadline:
                completed.append(reference)
                lifecycle_times.append(time.monotonic() - began)

    await asyncio.gather(snapshot_at_deadline(), *(driver() for _ in range(concurrency)))
    drained = await stack.wait_quiet()

    cpu = {
        name: round((cpu_at_deadline.get(name, 0.0) - cpu_before.get(name, 0.0)), 2)
        for name in cpu_at_deadline
        if cpu_at_deadline.get(name, 0.0) - cpu_before.get(name, 0.0) > 0.005
    }
    lifecycles = requests_in_window / REQUESTS_PER_LIFECYCLE
    spent = TimeSpent()
    for reference in finished[:40]:
        history = await stack.client.get_workflow_handle(case_workflow_id(reference)).fetch_history()
        spent.add(history.events)
    return {
        "workers": workers,
        "concurrency": concurrency,
        "window_seconds": seconds,
        "lifecycles_per_minute": round(lifecycles * 60 / seconds, 1),
        "whole_lifecycles_completed": len(completed),
        "requests_per_second": round(requests_in_window / seconds, 1),
        "lifecycle_duration": summary_ms(lifecycle_times),
        "request_p50_ms": {kind: round(median(times) * 1000, 1) for kind, times in step_times.items()},
        "notices_drained_after_window_s": round(drained, 1),
        "errors": errors[:5],
        "error_count": len(errors),
        "cpu_seconds_in_window": cpu,
        "cpu_seconds_per_lifecycle": {name: round(v / lifecycles, 3) for name, v in cpu.items()} if lifecycles else {},
        "cores_busy_ours": round(sum(cpu.values()) / seconds, 2),
        "machine_busy_fraction": round(machine_busy[0], 2) if machine_busy else None,
        "cores": psutil.cpu_count(),
        "time_per_case_from_histories": spent.per_history(),
    }
