"""A thin HTTP/1.1 client for the timed decisions: one kept-alive connection, a JSON body, a JSON answer.

Why not httpx for these samples: on this machine httpx's ``AsyncClient`` spends about 2.3 ms of its own per request
(a trivial FastAPI endpoint on the same uvicorn answers in 3.3 ms through httpx and in 1.0 ms through this client,
p50 of 300, measured by hand). That is the measuring instrument's cost, not the service's, and the floor's client
(the Temporal SDK's Rust core) has no such cost; a browser or another service calling the API would not pay it
either. The round-trip section still times a share of its decisions through httpx (series ``http_screening_httpx``)
so the difference stays visible. Everything else in the bench uses httpx.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class ThinHttpError(RuntimeError):
    pass


class ThinHttp:
    """Requests one at a time on one connection (the timed samples are sequential); reconnects when closed."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        payload = json.dumps(body).encode()
        head = [f"POST {path} HTTP/1.1", f"Host: {self._host}:{self._port}", "Content-Type: application/json"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        head.append(f"Content-Length: {len(payload)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        if self._reader is None or self._writer is None or self._writer.is_closing() or self._reader.at_eof():
            # uvicorn closes a connection idle for 5 s: the samples are settled apart, so some find it closed.
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        self._writer.write(request)
        await self._writer.drain()
        status, response_headers = _parse_head(await self._reader.readuntil(b"\r\n\r\n"))
        if response_headers.get("transfer-encoding") == "chunked":
            raw = await self._chunked()
        else:
            raw = await self._reader.readexactly(int(response_headers.get("content-length", "0")))
        if response_headers.get("connection") == "close":
            await self.aclose()
        return status, json.loads(raw) if raw else None

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        body = b""
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return body
            body += chunk[:-2]

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
        self._reader = self._writer = None


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ThinHttpError(f"not an HTTP/1.1 response: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    return int(parts[1]), headers
