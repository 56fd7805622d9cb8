"""The remote codec for the Temporal Web UI and CLI: ``POST /codec/decode`` and ``POST /codec/encode``.

Temporal's remote codec protocol: the body and the answer are ``temporal.api.common.v1.Payloads`` in protobuf
JSON, ``{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}``; the UI names the namespace
in ``X-Namespace``. Decoding hands out plaintext about children, so only the roles the matrix allows for
``codec.use`` (the ``operator``) may call it, refusals audited like every other: with
``Authorization: Bearer`` (the UI's "Pass the user access token", HTTPS only) or with the codec session cookie
(the UI's "Include cross-origin credentials"), which dev mode hands out at ``GET /codec/dev-session``.
Browsers may call it only from the origins in ``SCR_CODEC_CORS_ORIGINS`` (the Web UI).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from api.auth import Principal, authenticate, bearer_scheme, bearer_token
from api.context import Context
from api.errors import ProblemError
from api.permissions import PERMISSIONS, Caller, authorize
from domain.case_messages import Actor
from store.payload_codec import PayloadDecryptionError

PREFIX = "/codec"
SESSION_COOKIE = "scr_codec_session"
SESSION_SECONDS = 8 * 3600
MAX_PAYLOADS = 10_000

router = APIRouter(prefix=PREFIX, tags=["codec"])
_log = structlog.get_logger(__name__)


class PayloadJson(BaseModel):
    """One ``temporal.api.common.v1.Payload`` in protobuf JSON (bytes as base64)."""

    model_config = ConfigDict(extra="allow")

    metadata: dict[str, str] = Field(default_factory=dict, description="Metadata values, base64")
    data: str = Field("", description="Payload bytes, base64")


class PayloadsJson(BaseModel):
    payloads: list[PayloadJson] = Field(default_factory=list, max_length=MAX_PAYLOADS)


def codec_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    """Who calls, proven by the bearer token or, for the Web UI, the codec session cookie. Sync: FastAPI runs it
    in a worker thread, so a JWKS fetch never blocks the event loop."""
    cookie = request.cookies.get(SESSION_COOKIE)
    token = cookie if credentials is None and cookie else bearer_token(credentials)
    return authenticate(request, token)


async def codec_operator(principal: Annotated[Principal, Depends(codec_principal)], context: Context) -> Actor:
    """The Web UI cannot send X-SCR-Role, so the caller acts in the first of their roles the matrix allows for
    ``codec.use`` (or, having none, is refused through ``authorize``). The codec is not scoped to a board."""
    allowed = PERMISSIONS["codec.use"]
    role = next((role for role in principal.roles if role in allowed), principal.roles[0])
    actor = Actor(user=principal.user, role=role)
    await authorize(context, Caller(actor=actor, boards=frozenset()), "codec.use")
    return actor


CodecOperator = Annotated[Actor, Depends(codec_operator)]
Namespace = Annotated[str | None, Header(alias="X-Namespace", description="Sent by the Temporal Web UI")]


@router.post("/decode", response_model=PayloadsJson)
async def decode(body: PayloadsJson, actor: CodecOperator, context: Context, namespace: Namespace = None) -> Any:
    """Decrypt payloads (the Web UI shows case data this way). Payloads that are not encrypted come back as sent."""
    return await _convert("decode", body, actor, context, namespace)


@router.post("/encode", response_model=PayloadsJson)
async def encode(body: PayloadsJson, actor: CodecOperator, context: Context, namespace: Namespace = None) -> Any:
    """Encrypt payloads with the active key (the Web UI uses this to send signals and start workflows)."""
    return await _convert("encode", body, actor, context, namespace)


async def _convert(
    direction: Literal["encode", "decode"], body: PayloadsJson, actor: Actor, context: Context, namespace: str | None
) -> dict[str, Any]:
    served = context.temporal.namespace
    if namespace is not None and namespace != served:
        raise ProblemError(403, "Forbidden", f"This codec serves the namespace '{served}' only.")
    codec = context.temporal.data_converter.payload_codec
    if codec is None:
        raise ProblemError(503, "Codec unavailable", "This API's Temporal client has no payload codec.")
    try:
        payloads = json_format.ParseDict(body.model_dump(), Payloads()).payloads
    except json_format.ParseError:
        raise ProblemError(422, "Invalid payloads", "Payload metadata values and data must be base64.") from None
    try:
        converted: list[Payload] = await (codec.encode(payloads) if direction == "encode" else codec.decode(payloads))
    except PayloadDecryptionError as error:
        raise ProblemError(422, "Cannot decode payloads", str(error)) from None
    _log.info("codec " + direction, user=actor.user, namespace=served, payloads=len(payloads))
    return {"payloads": [json_format.MessageToDict(payload) for payload in converted]}


@router.get("/dev-session", status_code=204, response_class=Response)
async def dev_session(
    request: Request,
    context: Context,
    user: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")] = "operator",
) -> Response:
    """Dev mode only: sets the codec session cookie for `dev:operator:<user>`, so the Web UI (with "Include
    cross-origin credentials" on) can decode. Open it in the browser that shows the UI."""
    if context.settings.auth_mode != "dev":
        raise ProblemError(404, "Not Found", "Not Found")
    response = Response(status_code=204)
    response.set_cookie(
        SESSION_COOKIE,
        f"dev:operator:{user}",
        max_age=SESSION_SECONDS,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.delete("/session", status_code=204, response_class=Response)
async def end_session() -> Response:
    """Forget the codec session cookie."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict")
    return response


class CodecCorsMiddleware:
    """CORS for the codec paths only, so the Web UI's origin can call them (with credentials) and nothing else
    of the API is opened to cross-origin pages."""

    def __init__(self, app: ASGIApp, allow_origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=["POST", "DELETE", "GET"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == PREFIX or scope["path"].startswith(PREFIX + "/")):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
