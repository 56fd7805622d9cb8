"""Real processes for the failure tests: our own Temporal dev server (file-backed, restartable), `scr worker`
subprocesses (killable), an SMTP sink that can be stopped and started again on the same port, a PostgreSQL
case register that can be made unreachable, and the staff API in-process, with no worker of its own.

Everything here fails loudly (never skips) when a binary or a service is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflow.v1 import PendingActivityInfo
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowUpdateInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)
from temporalio.service import RPCError

from api.app import create_app
from api.context import AppContext
from domain.case_contract import case_workflow_id
from domain.case_messages import CaseState
from store.database import create_engine, session_factory
from store.models import AuditEvent, Case, Notice
from store.settings import Settings
from tests.support.payload_keys import TEST_PAYLOAD_KEYS, encrypting_codec
from tests.support.services import binary, free_port
from workers.smtp_sink import start_smtp_sink
from workers.temporal_server import start_dev_server, stop_process, wait_for_server
from workflows.case_workflow import ScrCaseWorkflow

T = TypeVar("T")

NAMESPACE = "default"
TIME_SKIPPING = ["--dynamic-config-value", "frontend.WorkflowTimeSkippingEnabled=true"]


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, seconds: float, what: str, interval: float = 0.2
) -> T:
    """Poll ``probe`` until it returns something other than None (or False); fail after ``seconds``. An error
    from the probe counts as "not yet" (the service may be on its way back), except a failed assertion."""
    deadline = time.monotonic() + seconds
    last_error: BaseException | None = None
    while True:
        try:
            result = await probe()
            if result is not None and result is not False:
                return result
        except AssertionError:
            raise
        except Exception as error:
            last_error = error
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s (last error: {last_error!r})")
        await asyncio.sleep(interval)


# -- Temporal ----------------------------------------------------------------------------------------------


class DevServer:
    """`temporal server start-dev` on free ports with a database file that survives a restart."""

    def __init__(self, folder: Path, *, time_skipping: bool = False) -> None:
        self.db_file = folder / "temporal.db"
        self.log_file = folder / "temporal.log"
        self.port = free_port()
        self.ui_port = free_port()
        # Every port the dev server opens is chosen here, so a restart reuses them and none is left to chance.
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.extra_args = ["--headless", *(TIME_SKIPPING if time_skipping else [])]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "the dev server is already running"
        self.process = start_dev_server(
            db_file=self.db_file,
            port=self.port,
            ui_port=self.ui_port,
            log_file=self.log_file,
            extra_args=[
                *self.extra_args,
                "--http-port",
                str(self.http_port),
                "--metrics-port",
                str(self.metrics_port),
            ],
        )

    async def ready(self, seconds: float = 60.0) -> Client:
        """Once it answers: a client with the test payload key (the workers' key)."""
        assert self.process is not None
        return await wait_for_server(self.address, NAMESPACE, self.process, encrypting_codec(), seconds)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


# -- `scr worker` processes --------------------------------------------------------------------------------


def service_env(**settings: str) -> dict[str, str]:
    """The test's environment without any SCR_/TEMPORAL_ setting of the developer's, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "TEMPORAL_"))}
    env.update(settings)
    return env


class WorkerProcess:
    """One `scr worker`, as deployed: its own process, JSON logs in a file, a health endpoint to wait on."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.health_port = free_port()
        self.log_file = folder / f"{name}.log"
        self.env = env | {"SCR_WORKER_HEALTH_BIND": f"127.0.0.1:{self.health_port}"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [binary("scr"), "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def identity(self) -> str:
        """The Temporal SDK's default worker identity, which pending activities name as their last worker."""
        return f"{self.pid}@{socket.gethostname()}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def ready(self, seconds: float = 60.0) -> None:
        async def healthy() -> bool:
            if not self.running():
                raise AssertionError(f"{self.name} exited with {self.exit_code()}:\n{self.log_tail()}")
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"http://127.0.0.1:{self.health_port}/healthz")).status_code == 200

        try:
            await eventually(healthy, seconds=seconds, what=f"{self.name} ready")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log_tail()}") from None

    def freeze(self) -> None:
        """SIGSTOP: the process holds its connections but does nothing (a stalled host)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def kill_9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the worker's graceful shutdown), SIGKILL if it does not end in time."""
        if self.process is not None:
            if self.process.poll() is None:
                os.kill(self.process.pid, signal.SIGCONT)  # a frozen process would not see the SIGTERM
            stop_process(self.process, timeout)

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return f"({self.name}: no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


# -- SMTP --------------------------------------------------------------------------------------------------


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def notice_key(message: EmailMessage) -> str:
    """The notice's business key from its ``X-SCR-Notice`` header. The header is folded at 78 characters on
    the wire (as RFC 2047 encoded words when the key is long, or before the value), so read it decoded and
    unfolded."""
    return str(message["X-SCR-Notice"]).strip()


class SmtpSink:
    """The product's SMTP sink on a fixed port, stoppable and startable again on that port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        deadline = time.monotonic() + 10
        while not _port_is_free(self.port):  # a just-closed listener can hold the port for a moment
            assert time.monotonic() < deadline, f"SMTP port {self.port} did not come free"
            time.sleep(0.1)
        self._controller = start_smtp_sink(self.folder, "127.0.0.1", self.port)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    def notice_keys(self) -> Counter[str]:
        """How many copies of each notice arrived, by the stable ``X-SCR-Notice`` business key."""
        return Counter(notice_key(m) for m in self.messages())

    async def wait_for_keys(self, expected: set[str], seconds: float) -> Counter[str]:
        async def complete() -> Counter[str] | None:
            keys = self.notice_keys()
            return keys if expected <= set(keys) else None

        try:
            return await eventually(complete, seconds=seconds, what="expected notices delivered")
        except AssertionError:
            missing = sorted(expected - set(self.notice_keys()))
            raise AssertionError(f"notices not delivered within {seconds:.0f} s: {missing}") from None


# -- PostgreSQL --------------------------------------------------------------------------------------------


class DatabaseSwitch:
    """Makes one PostgreSQL database unreachable (no new connections, existing ones terminated) and back."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.name = url.database
        socket_dir = url.query.get("host")
        self._connect_args: dict[str, Any] = {
            "host": str(socket_dir) if socket_dir else url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": "postgres",
        }

    async def take_down(self) -> None:
        connection = await asyncpg.connect(**self._connect_args)
        try:
            await connection.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", self.name
            )
        finally:
            await connection.close()

    async def bring_back(self) -> None:
        connection = await asyncpg.connect(**self._connect_args)
        try:
            await connection.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        finally:
            await connection.close()


# -- the API's Temporal client ----------------------------------------------------------------------------


class UpdateSpy(Interceptor):
    """Tells the test when the API has sent a workflow update (a staff decision) to Temporal."""

    def __init__(self) -> None:
        self.sent = asyncio.Event()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _UpdateSpyOutbound(next, self.sent)


class _UpdateSpyOutbound(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, sent: asyncio.Event) -> None:
        super().__init__(next)
        self._sent = sent

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        self._sent.set()
        return await super().start_workflow_update(input)


def with_interceptor(client: Client, interceptor: Interceptor) -> Client:
    config = client.config()
    config["interceptors"] = [*config["interceptors"], interceptor]
    return Client(**config)


# -- the whole service, with its workers as processes ------------------------------------------------------


class Service:
    """The staff API in-process (over httpx, no worker of its own) and `scr worker` processes, all on one
    task queue, one board, one case register, one SMTP port and one Temporal server."""

    def __init__(
        self,
        folder: Path,
        server: DevServer,
        client: Client,
        settings: Settings,
        smtp: SmtpSink,
        http: httpx.AsyncClient,
        engine: AsyncEngine,
    ) -> None:
        self.folder = folder
        self.server = server
        self.client = client
        self.settings = settings
        self.database_url = settings.database_url
        self.smtp = smtp
        self.http = http
        self.engine = engine
        self.board = next(iter(self.settings.board_codes))
        self.workers: list[WorkerProcess] = []

    def worker_env(self) -> dict[str, str]:
        return service_env(
            TEMPORAL_ADDRESS=self.server.address,
            TEMPORAL_NAMESPACE=NAMESPACE,
            SCR_DATABASE_URL=self.database_url,
            SCR_SMTP_HOST="127.0.0.1",
            SCR_SMTP_PORT=str(self.smtp.port),
            SCR_TASK_QUEUE=self.settings.task_queue,
            SCR_BOARDS=",".join(self.settings.boards),
            SCR_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,  # the key the API's client encrypts with
            SCR_METRICS_BIND="",
            SCR_WORKER_GRACEFUL_SHUTDOWN_SECONDS="2",
        )

    async def start_workers(self, count: int) -> list[WorkerProcess]:
        started = [
            WorkerProcess(f"worker-{len(self.workers) + n + 1}", self.folder / "logs", self.worker_env())
            for n in range(count)
        ]
        self.workers.extend(started)
        for worker in started:
            worker.start()
        await asyncio.gather(*(worker.ready() for worker in started))
        return started

    def stop_workers(self) -> None:
        for worker in self.workers:
            worker.stop()

    @staticmethod
    def auth(role: str, user: str = "someone") -> dict[str, str]:
        return {"Authorization": f"Bearer dev:{role}:{user}"}

    def handle(self, reference: str) -> WorkflowHandle[ScrCaseWorkflow, None]:
        return self.client.get_workflow_handle_for(ScrCaseWorkflow.run, case_workflow_id(reference))

    async def workflow_state(self, reference: str) -> CaseState:
        return await self.handle(reference).query(ScrCaseWorkflow.state)

    async def open_case(self, body: dict[str, Any], *, seconds: float) -> str:
        """POST /api/v1/cases; a 503 (the workflow did not confirm in time) is retried with the same
        Idempotency-Key, as the API tells its callers to."""
        headers = self.auth("business_manager", "bob") | {"Idempotency-Key": uuid.uuid4().hex}

        async def attempt() -> str | None:
            response = await self.http.post("/api/v1/cases", json=body, headers=headers)
            if response.status_code == 503:
                return None
            assert response.status_code in (200, 201), response.text
            return str(response.json()["reference"])

        return await eventually(attempt, seconds=seconds, what="case opened", interval=1.0)

    async def decide(self, reference: str, kind: str, role: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=self.auth(role, f"{role}-user")
        )

    async def decide_until(
        self, reference: str, kind: str, role: str, body: dict[str, Any], *, stage: str, seconds: float
    ) -> None:
        """Take a decision through the API until the case is at ``stage``. A 503 means "it may still apply:
        read the case before resending": so read the workflow's state, and resend only if it has not moved;
        a resend refused with 409 because the first one applied meanwhile is fine."""

        async def attempt() -> bool:
            if (await self.workflow_state(reference)).stage == stage:
                return True
            response = await self.decide(reference, kind, role, body)
            if response.status_code == 200:
                assert response.json()["stage"] == stage, response.text
                return True
            assert response.status_code in (409, 503), f"{kind} on {reference}: {response.status_code} {response.text}"
            return False

        await eventually(attempt, seconds=seconds, what=f"{kind} decision applied to {reference}", interval=0.5)

    async def read_case(self, reference: str) -> httpx.Response:
        return await self.http.get(f"/api/v1/cases/{reference}", headers=self.auth("auditor"))

    # -- what the register and Temporal hold ---------------------------------------------------------------

    async def notices(self, reference: str | None = None) -> list[Notice]:
        """The register's notice rows of this service's cases (or of one case)."""
        query = select(Notice).where(Notice.case_reference.startswith(f"{self.board}-"))
        if reference is not None:
            query = select(Notice).where(Notice.case_reference == reference)
        async with session_factory(self.engine)() as session:
            return list(await session.scalars(query))

    async def registered_case(self, reference: str) -> Case:
        async with session_factory(self.engine)() as session:
            case = await session.get(Case, reference)
        assert case is not None, reference
        return case

    async def audit(self, reference: str) -> list[AuditEvent]:
        async with session_factory(self.engine)() as session:
            return list(await session.scalars(select(AuditEvent).where(AuditEvent.case_reference == reference)))

    async def activities_running_on(self, identity: str) -> list[tuple[str, str]]:
        """(workflow id, activity type) of every activity Temporal still counts as running on the worker
        ``identity``: after a SIGKILL, these wait for their start-to-close timeout before they are retried."""
        async with session_factory(self.engine)() as session:
            workflow_ids = list(await session.scalars(select(Case.workflow_id).where(Case.board == self.board)))
        found = []
        for workflow_id in workflow_ids:
            with contextlib.suppress(RPCError):  # registered, workflow not started yet
                description = await self.client.get_workflow_handle(workflow_id).describe()
                for pending in description.raw_description.pending_activities:
                    started = pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                    if started and pending.last_worker_identity == identity:
                        found.append((workflow_id, pending.activity_type.name))
        return found

    async def pending_activity(self, reference: str, activity_type: str) -> PendingActivityInfo | None:
        description = await self.handle(reference).describe()
        for pending in description.raw_description.pending_activities:
            if pending.activity_type.name == activity_type:
                return pending
        return None


async def pending_timers(handle: WorkflowHandle[Any, Any]) -> dict[str, datetime]:
    """The workflow's timers that have started and neither fired nor been cancelled: id → when they fire."""
    started: dict[int, tuple[str, datetime]] = {}
    for event in (await handle.fetch_history()).events:
        if event.HasField("timer_started_event_attributes"):
            attributes = event.timer_started_event_attributes
            fires = event.event_time.ToDatetime(UTC) + attributes.start_to_fire_timeout.ToTimedelta()
            started[event.event_id] = (attributes.timer_id, fires)
        elif event.HasField("timer_fired_event_attributes"):
            started.pop(event.timer_fired_event_attributes.started_event_id, None)
        elif event.HasField("timer_canceled_event_attributes"):
            started.pop(event.timer_canceled_event_attributes.started_event_id, None)
    return dict(started.values())


def service_settings(database_url: str, smtp_port: int) -> Settings:
    # A board code of this test's own: references (and so workflow ids) never collide with other tests'.
    board = "F" + uuid.uuid4().hex[:5].upper().translate(str.maketrans("0123456789", "GHIJKLMNOP"))
    return Settings(
        database_url=database_url,
        smtp_port=smtp_port,
        task_queue=f"scr-failure-{uuid.uuid4().hex[:8]}",
        boards=board,
        payload_keys=TEST_PAYLOAD_KEYS,
    )


@asynccontextmanager
async def in_process_api(client: Client, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    """The staff API app over httpx with no worker: the `scr worker` processes do the work. Unhandled errors
    come back as the 500 response the app sends, not as exceptions in the test."""
    engine = create_engine(settings.database_url)
    context = AppContext(settings=settings, sessions=session_factory(engine), temporal=client)
    app = create_app(settings, context)
    app.state.context = context  # httpx's ASGI transport does not run the lifespan
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://scr.test", timeout=60) as http:
            yield http, engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def service(
    folder: Path, server: DevServer, client: Client, database_url: str, smtp: SmtpSink
) -> AsyncIterator[Service]:
    """The API in-process plus whatever workers the test starts; every worker process is ended on the way out,
    whatever happened."""
    settings = service_settings(database_url, smtp.port)
    running: Service | None = None
    try:
        async with in_process_api(client, settings) as (http, engine):
            running = Service(folder, server, client, settings, smtp, http, engine)
            yield running
    finally:
        if running is not None:
            for worker in running.workers:
                with contextlib.suppress(Exception):
                    worker.stop(timeout=5)
