"""Waiting, between two timed samples, for the work the first one deferred to finish.

A decision answers before its register write and its notices run (they are activities started in the answering
workflow task). Timing the next sample straight away puts that deferred work inside it: the first version of the
round-trip section interleaved samples back to back, so the floor it compared against carried the decisions'
register writes and notices and read 39-52 ms instead of the 12-13 ms a bare update takes on an idle dev server.
Before each sample, the bench now waits until:
1. the workflows just touched have no activity and no workflow task pending (their deferred work is done), and
2. the stack's processes have used almost no CPU for a short window (what is left after the last activity, such
   as the API's or the worker's bookkeeping, has run too).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass

from temporalio.client import Client

from bench.stack import Proc

QUIET_WINDOW_S = 0.05  # the stack's processes together under QUIET_CPU_SHARE of one core for this long
QUIET_CPU_SHARE = 0.2  # 10 ms in 50 ms: one clock tick of CPU accounting
GIVE_UP_S = 10.0


@dataclass
class SettleLog:
    """How long settling took, and how often it gave up (a sign the machine was never quiet)."""

    waits: int = 0
    seconds: float = 0.0
    gave_up: int = 0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "settles": self.waits,
            "settle_mean_ms": round(1000 * self.seconds / self.waits, 1) if self.waits else 0.0,
            "settles_that_gave_up": self.gave_up,
        }


async def settle(client: Client, workflow_ids: Iterable[str], procs: Iterable[Proc], log: SettleLog) -> None:
    """Until the workflows' deferred work is done and the stack's processes are idle (see the module's doc)."""
    start = time.monotonic()
    deadline = start + GIVE_UP_S
    finished = await _workflows_idle(client, list(workflow_ids), deadline) and await _cpu_idle(list(procs), deadline)
    log.waits += 1
    log.seconds += time.monotonic() - start
    log.gave_up += 0 if finished else 1


async def _workflows_idle(client: Client, workflow_ids: list[str], deadline: float) -> bool:
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        while True:
            raw = (await handle.describe()).raw_description
            if not raw.pending_activities and not raw.HasField("pending_workflow_task"):
                break
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
    return True


async def _cpu_idle(procs: list[Proc], deadline: float) -> bool:
    def used() -> float:
        return sum(proc.cpu_seconds() for proc in procs)

    before = used()
    while True:
        await asyncio.sleep(QUIET_WINDOW_S)
        after = used()
        if after - before <= QUIET_WINDOW_S * QUIET_CPU_SHARE:
            return True
        if time.monotonic() > deadline:
            return False
        before = after
