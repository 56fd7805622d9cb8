"""A second Temporal dev server that runs nothing but the floor workflow: the least an update costs here.

The floor on the product's own server shares that server (its task queues, timers, visibility writes) with the
cases. A bare dev server, started the same way (file-backed, same binary, same flags) with only the floor worker
polling it, shows what an update costs when nothing else is there. Its samples are taken between the product's,
each after the stack has settled, so both see the same machine.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass, field

from temporalio.client import Client, WorkflowHandle

from bench.floor import FLOOR_TASK_QUEUE, BenchFloorWorkflow
from bench.stack import NAMESPACE, BenchStack, Proc, free_port
from store.payload_codec import codec_from_settings
from workers.temporal_server import start_dev_server, stop_process, wait_for_server


@dataclass
class BareFloor:
    stack: BenchStack
    port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)
    client: Client | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        folder = self.stack.workdir / "bare"
        server = start_dev_server(
            db_file=folder / "temporal.db",
            port=self.port,
            ui_port=free_port(),
            log_file=self.stack.workdir / "logs" / "bare-temporal.log",
            extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
        )
        self.procs.append(Proc("bare temporal server", server))
        codec = codec_from_settings(self.stack.settings)
        self.client = await wait_for_server(self.address, NAMESPACE, server, codec)
        self.procs.append(self._spawn_floor_worker())

    def _spawn_floor_worker(self) -> Proc:
        log = (self.stack.workdir / "logs" / "bare-floor-worker.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "bench.procs", "floor-worker"],
            cwd=self.stack.source,
            env=self.stack.env(TEMPORAL_ADDRESS=self.address),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return Proc("bare floor worker", worker, log)

    async def workflows(self, count: int) -> list[WorkflowHandle[BenchFloorWorkflow, float]]:
        assert self.client is not None, "start the bare server first"
        run = uuid.uuid4().hex[:6]
        handles = [
            await self.client.start_workflow(
                BenchFloorWorkflow.run, None, id=f"bare-floor-{run}-{i}", task_queue=FLOOR_TASK_QUEUE
            )
            for i in range(count)
        ]
        await handles[0].execute_update(BenchFloorWorkflow.ping, 0)  # the worker is up and polling
        return handles

    async def close(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc.popen, timeout=10.0)
            if proc.log is not None:
                proc.log.close()
        self.procs.clear()
