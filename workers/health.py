"""The worker's health endpoint: a tiny HTTP/1.1 server on asyncio streams (no web framework).

- ``GET /healthz`` (readiness): 200 while the worker runs and Temporal answers its health check, else 503.
- ``GET /livez`` (liveness): 200 while the process's event loop answers, whatever Temporal's state, so that
  an orchestrator restarts a hung process but not a healthy one waiting for Temporal to come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog
from temporalio.client import Client

log = structlog.get_logger("scr.worker.health")

HealthCheck = Callable[[], Awaitable[object]]
"""Succeeds (returns anything) when the worker's dependencies are healthy; raises otherwise."""

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request", 503: "Service Unavailable"}
_MAX_HEADER_LINES = 100


def parse_bind(bind: str) -> tuple[str, int]:
    """``"0.0.0.0:8081"`` → ``("0.0.0.0", 8081)``; ``"[::]:8081"`` → ``("::", 8081)``."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{bind!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def temporal_health_check(client: Client, timeout: float = 3.0) -> HealthCheck:
    """Temporal's own gRPC health check through the worker's client connection."""

    async def check() -> object:
        return await client.service_client.check_health(timeout=timedelta(seconds=timeout))

    return check


class WorkerHealthServer:
    """Serves /healthz and /livez; :meth:`mark_stopping` makes /healthz answer 503 during a shutdown."""

    def __init__(self, check: HealthCheck, *, timeout: float = 5.0) -> None:
        self._check = check
        self._timeout = timeout
        self._stopping = False
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the health server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    def mark_stopping(self) -> None:
        self._stopping = True

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)
            self._server = None

    async def __aenter__(self) -> WorkerHealthServer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _readiness(self) -> tuple[int, dict[str, object]]:
        if self._stopping:
            return 503, {"status": "stopping", "temporal": None}
        try:
            await asyncio.wait_for(self._check(), timeout=self._timeout)
        except Exception as error:
            log.warning("worker health check failed", error=type(error).__name__)
            return 503, {"status": "unavailable", "temporal": False}
        return 200, {"status": "ok", "temporal": True}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status, body = await asyncio.wait_for(self._respond(reader), timeout=self._timeout + 5)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status, body = 400, {"status": "bad request"}
        payload = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n"
            "Cache-Control: no-store\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        with contextlib.suppress(ConnectionError):
            writer.write(head + payload)
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
        request_line = (await reader.readline()).decode("latin-1").strip()
        for _ in range(_MAX_HEADER_LINES):  # headers are read and ignored
            if (await reader.readline()) in (b"\r\n", b"\n", b""):
                break
        parts = request_line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return 400, {"status": "bad request"}
        method, target = parts[0], parts[1].split("?", 1)[0]
        if target not in ("/healthz", "/livez"):
            return 404, {"status": "not found"}
        if method != "GET":
            return 405, {"status": "method not allowed"}
        if target == "/livez":
            return 200, {"status": "alive"}
        return await self._readiness()
