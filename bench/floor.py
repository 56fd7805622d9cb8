"""The floor: a trivial workflow on the same server, through the same client path and data converter.

- ``ping``: an update that returns at once (one workflow task): the least any Temporal update can cost.
- ``ping_activity``: an update that awaits one no-op activity before returning (what a read-your-writes update
  cost the case workflow paid before P1: workflow task, activity task, workflow task).
- ``ping_local_activity``: the same with a *local* no-op activity (what a decision did from P1 to P8: the update
  completes in the workflow task that received it, the activity running inside the worker meanwhile).
- ``ping_start_activity``: an update that starts one no-op activity and returns without awaiting it (what a decision
  does since P8: its register write is started in the workflow task that answers it).
- ``run(fire_at)``: sleeps until ``fire_at`` and returns how late (seconds) the workflow woke: the timer floor.

Imported by the workflow sandbox: no side effects at import, nothing but Temporal and the standard library.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import activity, workflow

FLOOR_TASK_QUEUE = "bench-floor"


@activity.defn(name="bench_noop")
async def bench_noop(value: int) -> int:
    return value


@workflow.defn(name="BenchFloorWorkflow")
class BenchFloorWorkflow:
    def __init__(self) -> None:
        self._count = 0
        self._done = False
        self._started: list[workflow.ActivityHandle[int]] = []

    @workflow.run
    async def run(self, fire_at: datetime | None) -> float:
        if fire_at is not None:
            delay = fire_at - workflow.now()
            if delay > timedelta(0):
                await workflow.sleep(delay)
            return (workflow.now() - fire_at).total_seconds()
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        for handle in self._started:
            await handle
        return 0.0

    @workflow.update
    async def ping(self, value: int) -> int:
        self._count += 1
        return value

    @workflow.update
    async def ping_activity(self, value: int) -> int:
        result: int = await workflow.execute_activity(bench_noop, value, start_to_close_timeout=timedelta(seconds=30))
        self._count += 1
        return result

    @workflow.update
    async def ping_local_activity(self, value: int) -> int:
        result: int = await workflow.execute_local_activity(
            bench_noop, value, start_to_close_timeout=timedelta(seconds=30)
        )
        self._count += 1
        return result

    @workflow.update
    async def ping_start_activity(self, value: int) -> int:
        self._started.append(workflow.start_activity(bench_noop, value, start_to_close_timeout=timedelta(seconds=30)))
        self._count += 1
        return value

    @workflow.signal
    def finish(self) -> None:
        self._done = True
