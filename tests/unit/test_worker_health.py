"""The worker's health endpoint and metrics, on real servers: a real HTTP server on a free port, the Temporal dev
server (reachable) and a closed port (unreachable); and `scr worker` run as a process, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from domain.case_messages import NoticeKind, NoticeResult, SendNoticeInput
from store.database import create_engine
from store.settings import Settings
from tests.support.services import free_port
from workers.case_worker import build_worker
from workers.health import WorkerHealthServer, parse_bind, temporal_health_check
from workers.worker_runtime import NOTICES_SENT, NoticeMetricsInterceptor, create_runtime, run_worker


@pytest.fixture
async def unreachable_client() -> Client:
    # Lazy: the client is made without a server; every call to it fails to connect.
    return await Client.connect(f"127.0.0.1:{free_port()}", lazy=True)


async def _serve(server: WorkerHealthServer) -> str:
    await server.start("127.0.0.1", free_port())
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
async def reachable_health(dev_server_env: WorkflowEnvironment) -> AsyncIterator[tuple[WorkerHealthServer, str]]:
    async with WorkerHealthServer(temporal_health_check(dev_server_env.client)) as server:
        yield server, await _serve(server)


async def test_healthz_is_200_when_temporal_answers(reachable_health: tuple[WorkerHealthServer, str]) -> None:
    _, base = reachable_health
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "temporal": True}
        assert response.headers["content-type"] == "application/json"
        assert (await http.get("/livez")).status_code == 200
        assert (await http.get("/healthz?verbose=1")).status_code == 200


async def test_other_paths_and_methods_are_refused(reachable_health: tuple[WorkerHealthServer, str]) -> None:
    _, base = reachable_health
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        assert (await http.get("/")).status_code == 404
        assert (await http.get("/metrics")).status_code == 404
        assert (await http.post("/healthz")).status_code == 405
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"nonsense\r\n\r\n")
    await writer.drain()
    assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
    writer.close()


async def test_healthz_is_503_once_the_worker_is_stopping(reachable_health: tuple[WorkerHealthServer, str]) -> None:
    server, base = reachable_health
    server.mark_stopping()
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "stopping"
        assert (await http.get("/livez")).status_code == 200


async def test_healthz_is_503_when_temporal_is_unreachable(unreachable_client: Client) -> None:
    async with WorkerHealthServer(temporal_health_check(unreachable_client, timeout=2)) as server:
        base = await _serve(server)
        async with httpx.AsyncClient(base_url=base, timeout=15) as http:
            response = await http.get("/healthz")
            assert response.status_code == 503
            assert response.json() == {"status": "unavailable", "temporal": False}
            # Liveness does not depend on Temporal: the orchestrator must not restart a worker for its outage.
            assert (await http.get("/livez")).status_code == 200


def test_parse_bind() -> None:
    assert parse_bind("0.0.0.0:8081") == ("0.0.0.0", 8081)
    assert parse_bind("[::]:9464") == ("::", 9464)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_bind("8081")


def test_settings_for_the_worker_process() -> None:
    settings = Settings()
    assert settings.worker_graceful_shutdown_seconds == 20
    assert settings.metrics_bind == "0.0.0.0:9464"
    assert settings.worker_health_bind == "0.0.0.0:8081"
    assert Settings(metrics_bind="", worker_health_bind="").metrics_bind == ""
    with pytest.raises(ValueError, match="HOST:PORT"):
        Settings(metrics_bind="9464")
    with pytest.raises(ValueError, match="HOST:PORT"):
        Settings(worker_health_bind="localhost:http")
    with pytest.raises(ValueError, match="greater than or equal"):
        Settings(worker_graceful_shutdown_seconds=-1)


class _Sends(ActivityInboundInterceptor):
    def __init__(self, newly_sent: bool) -> None:
        self.newly_sent = newly_sent

    async def execute_activity(self, input: ExecuteActivityInput) -> NoticeResult:
        return NoticeResult(business_key="k", message_id="<m@x>", newly_sent=self.newly_sent)


async def test_notice_counter_and_sdk_metrics_on_the_prometheus_endpoint(dev_server_env: WorkflowEnvironment) -> None:
    port = free_port()
    runtime = create_runtime(f"127.0.0.1:{port}")
    interceptor = NoticeMetricsInterceptor(runtime.metric_meter)
    data = SendNoticeInput(
        reference="NEL-2026-0001", kind=NoticeKind.CHAIR_DECISION, occurrence="1", recipient="ofsted"
    )
    for newly_sent in (True, True, False):
        inbound = interceptor.intercept_activity(_Sends(newly_sent))
        await inbound.execute_activity(ExecuteActivityInput(fn=lambda: None, args=[data], executor=None, headers={}))
    # A client on this runtime reports the SDK's own metrics on the same endpoint.
    client = await Client.connect(dev_server_env.client.service_client.config.target_host, runtime=runtime)
    await client.service_client.check_health()
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    samples = {line.split(" ")[0]: line.split(" ")[-1] for line in text.splitlines() if line.startswith(NOTICES_SENT)}
    assert samples == {
        f'{NOTICES_SENT}{{kind="chair_decision",outcome="already_sent",service_name="temporal-core-sdk"}}': "1",
        f'{NOTICES_SENT}{{kind="chair_decision",outcome="sent",service_name="temporal-core-sdk"}}': "2",
    }, text
    assert "temporal_request" in text


async def test_worker_exits_non_zero_when_temporal_is_unreachable() -> None:
    settings = Settings(temporal_address=f"127.0.0.1:{free_port()}", metrics_bind="", worker_health_bind="127.0.0.1:0")
    assert await asyncio.wait_for(run_worker(settings), timeout=60) == 1


async def test_worker_exits_non_zero_when_it_cannot_serve_its_health_endpoint(
    dev_server_env: WorkflowEnvironment, sqlite_url: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = Settings(
            temporal_address=dev_server_env.client.service_client.config.target_host,
            database_url=sqlite_url,
            metrics_bind="",
            worker_health_bind=f"127.0.0.1:{taken.getsockname()[1]}",
        )
        assert await asyncio.wait_for(run_worker(settings), timeout=60) == 1


async def _wait_for_http(url: str, process: asyncio.subprocess.Process, seconds: float = 60) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + seconds
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            assert process.returncode is None, "scr worker exited early"
            try:
                return await http.get(url)
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def test_scr_worker_process_serves_health_and_metrics_and_stops_on_sigterm(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    health, metrics = free_port(), free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_server_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": dev_server_env.client.namespace,
        "SCR_DATABASE_URL": sqlite_url,
        "SCR_TASK_QUEUE": f"scr-cases-health-{health}",
        "SCR_WORKER_HEALTH_BIND": f"127.0.0.1:{health}",
        "SCR_METRICS_BIND": f"127.0.0.1:{metrics}",
        "SCR_WORKER_GRACEFUL_SHUTDOWN_SECONDS": "5",
    }
    scr = str(Path(sys.executable).parent / "scr")
    process = await asyncio.create_subprocess_exec(scr, "worker", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE)
    try:
        response = await _wait_for_http(f"http://127.0.0.1:{health}/healthz", process)
        assert response.status_code == 200, response.text
        metrics_text = (await _wait_for_http(f"http://127.0.0.1:{metrics}/metrics", process)).text
        assert "temporal_" in metrics_text
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    records = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    events = [record["event"] for record in records]
    assert "worker started" in events
    assert "worker shutting down" in events
    assert events[-1] == "worker stopped"
    started = next(record for record in records if record["event"] == "worker started")
    assert started["graceful_shutdown_seconds"] == 5
    assert started["level"] == "info"
    assert "timestamp" in started


async def test_the_workflow_cache_is_bounded_by_the_setting(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sqlite_url)
    try:
        assert Settings().worker_max_cached_workflows == 1000  # the SDK's own default, kept
        settings = Settings(
            database_url=sqlite_url,
            worker_max_cached_workflows=7,
            var_dir=tmp_path,
            task_queue=f"scr-test-{tmp_path.name}",  # a queue of its own: a client takes one worker per queue
        )
        async with build_worker(dev_server_env.client, engine, settings) as worker:
            assert worker.config()["max_cached_workflows"] == 7
    finally:
        await engine.dispose()
    with pytest.raises(ValueError, match="greater than or equal"):
        Settings(worker_max_cached_workflows=-1)
