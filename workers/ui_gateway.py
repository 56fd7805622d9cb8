"""`scr dev`'s front door to the Temporal Web UI: the UI and its payload codec on one origin, so the UI decodes
case data with no manual step.

The dev server's UI listens on a private port; this gateway serves it at SCR_TEMPORAL_UI_PORT and sends
``/codec/*`` to the API's codec with a dev operator's token. The codec stays operator-only: the gateway is the
operator here, on 127.0.0.1 and in dev mode only (production's UI passes the operator's OIDC access token to the
codec instead: README, "Encrypted payloads and the Web UI").
"""

from __future__ import annotations

import httpx
from starlette.types import Message, Receive, Scope, Send

CODEC_PREFIX = "/codec/"
DEV_OPERATOR_TOKEN = "dev:operator:dev-web-ui"  # noqa: S105 (a dev token names a role, it guards nothing)
# Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the gateway sets itself.
_NOT_FORWARDED = frozenset(
    {b"host", b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)


class UiGateway:
    """An ASGI app forwarding every HTTP request to the UI, and ``/codec/*`` to the API with the operator token."""

    def __init__(self, *, ui: str, api: str, codec_token: str = DEV_OPERATOR_TOKEN) -> None:
        self._ui = ui.rstrip("/")
        self._api = api.rstrip("/")
        self._authorization = f"Bearer {codec_token}".encode()
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # the UI uses plain HTTP; a websocket is closed unanswered
        codec = scope["path"].startswith(CODEC_PREFIX)
        path = scope.get("raw_path") or scope["path"].encode()
        url = (self._api if codec else self._ui) + path.decode("latin-1")
        if scope["query_string"]:
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_FORWARDED and not (codec and k == b"cookie")]
        if codec:
            headers = [(k, v) for k, v in headers if k != b"authorization"] + [(b"authorization", self._authorization)]
        request = self._http.build_request(scope["method"], url, headers=headers, content=await _body(receive))
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError:
            await _answer(send, 502, b"The Temporal Web UI or the API is not reachable yet.")
            return
        try:
            kept = [(k, v) for k, v in response.headers.raw if k.lower() not in _NOT_FORWARDED]
            await send({"type": "http.response.start", "status": response.status_code, "headers": kept})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message: Message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
