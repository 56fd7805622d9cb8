"""Processes the bench starts besides `scr api` and `scr worker`: ``python -m bench.procs <what> ...``.

- ``smtp PORT FOLDER``: the product's SMTP sink (``workers.smtp_sink``) in a process of its own, so that writing
  .eml files does not compete with the load generator for its interpreter.
- ``floor-worker``: a worker for the trivial floor workflow (``bench.floor``) on its own task queue.

The floor worker reads its connection from the same ``SCR_*``/``TEMPORAL_*`` environment as ``scr worker``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path

from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from bench.floor import FLOOR_TASK_QUEUE, BenchFloorWorkflow, bench_noop
from store.payload_codec import codec_from_settings
from store.settings import Settings
from store.temporal_client import connect
from workers.smtp_sink import start_smtp_sink


def _run_smtp(port: int, folder: Path) -> None:
    controller = start_smtp_sink(folder, "127.0.0.1", port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    stop.wait()
    controller.stop()


async def _serve(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    await worker.run()


def _sandboxed(settings: Settings) -> bool:
    # Code from before SCR_WORKER_WORKFLOW_SANDBOX ran every workflow in the sandbox (a baseline run of old code).
    return bool(getattr(settings, "worker_workflow_sandbox", True))


async def _floor_worker() -> None:
    settings = Settings()
    client = await connect(settings.temporal_address, settings.temporal_namespace, codec_from_settings(settings))
    worker = Worker(
        client,
        task_queue=FLOOR_TASK_QUEUE,
        workflows=[BenchFloorWorkflow],
        activities=[bench_noop],
        graceful_shutdown_timeout=timedelta(seconds=1),
        # The same cache as the product's workers: with fewer floor workflows cached than the section pings, each
        # ping would replay first and the floor would look slower than it is (it did in full mode before this).
        max_cached_workflows=settings.worker_max_cached_workflows,
        # The product's workers' runner (SCR_WORKER_WORKFLOW_SANDBOX): the floor is the same configuration.
        workflow_runner=SandboxedWorkflowRunner() if _sandboxed(settings) else UnsandboxedWorkflowRunner(),
    )
    await _serve(worker)


def main(argv: list[str]) -> int:
    what = argv[0] if argv else ""
    if what == "smtp" and len(argv) == 3:
        _run_smtp(int(argv[1]), Path(argv[2]))
    elif what == "floor-worker":
        asyncio.run(_floor_worker())
    else:
        sys.stderr.write("usage: python -m bench.procs smtp PORT FOLDER | floor-worker\n")
        return 2
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the Temporal SDK can crash at interpreter exit (sdk-python #300)
