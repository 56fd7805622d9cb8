"""CPU per staff decision, by process: what a decision costs the machine, its deferred work included.

``count`` screening decisions through the API on cases waiting at screening, one after another (each waits for
its answer, not for its deferred work), then until the register has every write and notice (``wait_quiet``). The
CPU each process of the stack used meanwhile (user + system, from /proc via psutil), divided by ``count``: the
Temporal server (the update, the workflow and activity tasks, timers, visibility), the worker (the workflow task,
the register write, the notices), the API, the SMTP sink. The bench process itself is not counted. Clock-tick
accounting (10 ms) makes a figure over fewer than ~100 decisions coarse.
"""

from __future__ import annotations

import time
from typing import Any

from bench.api_client import StaffApi
from bench.stack import BenchStack

SCREENING_BODY = {"recommendation": "initiate_scr", "rationale": "Criteria met"}
MEASURED = ("temporal server", "worker 1", "api", "smtp sink")


async def cpu_per_decision(stack: BenchStack, api: StaffApi, references: list[str]) -> dict[str, Any]:
    await stack.wait_quiet()
    before = stack.cpu_snapshot()
    start = time.monotonic()
    for reference in references:
        await api.decide(reference, "screening", "sub_group", SCREENING_BODY)
    await stack.wait_quiet()
    elapsed = time.monotonic() - start
    after = stack.cpu_snapshot()
    count = len(references)
    per_process = {name: round((after[name] - before[name]) * 1000 / count, 2) for name in MEASURED if name in after}
    return {
        "decisions": count,
        "seconds_with_drain": round(elapsed, 1),
        "cpu_ms_per_decision": per_process,
        "cpu_ms_per_decision_total": round(sum(per_process.values()), 2),
    }
