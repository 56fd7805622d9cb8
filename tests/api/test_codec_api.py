"""The remote codec for the Temporal Web UI: operators only, the UI's origin only, Temporal's JSON protocol."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from api.context import AppContext
from store.database import create_engine, session_factory
from store.settings import Settings
from tests.support.payload_keys import TEST_KEY_ID, encrypting_converter

UI = "http://127.0.0.1:8233"
OPERATOR = {"Authorization": "Bearer dev:operator:olive"}
SECRET = "Rationale mentions Zebedee Quartermaine"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _plain_payloads(*texts: str) -> dict[str, Any]:
    return {
        "payloads": [
            {"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(json.dumps(text).encode())} for text in texts
        ]
    }


def build_app(settings: Settings | None = None, sessions: async_sessionmaker[AsyncSession] | None = None) -> FastAPI:
    """The codec needs only the client's converter, and the register for auditing refusals."""
    settings = settings or Settings()
    temporal = cast(Client, SimpleNamespace(namespace="default", data_converter=encrypting_converter()))
    context = AppContext(
        settings=settings, sessions=cast(async_sessionmaker[AsyncSession], sessions), temporal=temporal
    )
    app = create_app(settings, context)
    app.state.context = context  # httpx's ASGI transport does not run the lifespan
    return app


@pytest.fixture
async def http(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(sqlite_url)
    transport = httpx.ASGITransport(app=build_app(sessions=session_factory(engine)))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        yield client
    await engine.dispose()


async def test_an_operator_encodes_and_decodes_payloads(http: httpx.AsyncClient) -> None:
    encoded = await http.post("/codec/encode", json=_plain_payloads(SECRET), headers=OPERATOR)
    assert encoded.status_code == 200, encoded.text
    [payload] = encoded.json()["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"
    assert base64.b64decode(payload["metadata"]["encryption-key-id"]) == TEST_KEY_ID.encode()
    assert SECRET.encode() not in base64.b64decode(payload["data"])

    decoded = await http.post(
        "/codec/decode", json=encoded.json(), headers=OPERATOR | {"X-Namespace": "default", "Origin": UI}
    )
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == UI
    assert decoded.headers["access-control-allow-credentials"] == "true"
    [plain] = decoded.json()["payloads"]
    assert json.loads(base64.b64decode(plain["data"])) == SECRET
    assert base64.b64decode(plain["metadata"]["encoding"]) == b"json/plain"


async def test_plaintext_payloads_decode_unchanged(http: httpx.AsyncClient) -> None:
    body = _plain_payloads("already plain", "")
    decoded = await http.post("/codec/decode", json=body, headers=OPERATOR)
    assert decoded.status_code == 200
    assert [json.loads(base64.b64decode(p["data"])) for p in decoded.json()["payloads"]] == ["already plain", ""]
    empty = await http.post("/codec/decode", json={"payloads": []}, headers=OPERATOR)
    assert empty.json() == {"payloads": []}


async def test_only_an_authenticated_operator_may_use_the_codec(http: httpx.AsyncClient) -> None:
    body = _plain_payloads(SECRET)
    anonymous = await http.post("/codec/decode", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    chair = await http.post("/codec/decode", json=body, headers={"Authorization": "Bearer dev:independent_chair:al"})
    assert chair.status_code == 403
    assert "operator" in chair.json()["detail"]
    encode = await http.post("/codec/encode", json=body, headers={"Authorization": "Bearer dev:auditor:al"})
    assert encode.status_code == 403


async def test_other_namespaces_and_bad_payloads_are_refused(http: httpx.AsyncClient) -> None:
    other = await http.post(
        "/codec/decode", json=_plain_payloads("x"), headers=OPERATOR | {"X-Namespace": "someone-else"}
    )
    assert other.status_code == 403
    assert "'default' only" in other.json()["detail"]

    not_base64 = await http.post(
        "/codec/decode", json={"payloads": [{"metadata": {"encoding": "%%%"}, "data": "x"}]}, headers=OPERATOR
    )
    assert not_base64.status_code == 422

    encoded = (await http.post("/codec/encode", json=_plain_payloads(SECRET), headers=OPERATOR)).json()
    sealed = base64.b64decode(encoded["payloads"][0]["data"])
    encoded["payloads"][0]["data"] = _b64(sealed[:-1] + bytes([sealed[-1] ^ 1]))
    tampered = await http.post("/codec/decode", json=encoded, headers=OPERATOR)
    assert tampered.status_code == 422
    assert "failed authentication" in tampered.json()["detail"]

    encoded["payloads"][0]["metadata"]["encryption-key-id"] = _b64(b"k-unknown")
    unknown = await http.post("/codec/decode", json=encoded, headers=OPERATOR)
    assert unknown.status_code == 422
    assert "'k-unknown'" in unknown.json()["detail"]


async def test_the_ui_origin_passes_the_cors_preflight_and_others_do_not(http: httpx.AsyncClient) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    allowed = await http.options("/codec/decode", headers=preflight)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    allowed_headers = allowed.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "x-namespace"} <= {h.strip() for h in allowed_headers.split(",")}

    evil = await http.options("/codec/decode", headers=preflight | {"Origin": "https://evil.example"})
    assert evil.status_code == 400
    assert "access-control-allow-origin" not in evil.headers
    answered = await http.post("/codec/decode", json={"payloads": []}, headers=OPERATOR | {"Origin": "https://x.y"})
    assert "access-control-allow-origin" not in answered.headers

    # The rest of the API stays closed to cross-origin pages.
    api = await http.options("/api/v1/cases", headers=preflight)
    assert "access-control-allow-origin" not in api.headers


async def test_the_cors_origins_come_from_the_settings() -> None:
    app = build_app(Settings(codec_cors_origins="https://temporal.board.example"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
        preflight = {"Origin": "https://temporal.board.example", "Access-Control-Request-Method": "POST"}
        assert (await http.options("/codec/decode", headers=preflight)).status_code == 200
        assert (await http.options("/codec/decode", headers=preflight | {"Origin": UI})).status_code == 400


async def test_in_dev_the_ui_decodes_with_the_codec_session_cookie(http: httpx.AsyncClient) -> None:
    encoded = (await http.post("/codec/encode", json=_plain_payloads(SECRET), headers=OPERATOR)).json()
    assert (await http.post("/codec/decode", json=encoded)).status_code == 401

    session = await http.get("/codec/dev-session", params={"user": "olive"})
    assert session.status_code == 204
    cookie = session.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/codec" in cookie

    # What the Web UI sends with "Include cross-origin credentials": the cookie, no Authorization header.
    decoded = await http.post("/codec/decode", json=encoded, headers={"Origin": UI, "X-Namespace": "default"})
    assert decoded.status_code == 200, decoded.text
    assert json.loads(base64.b64decode(decoded.json()["payloads"][0]["data"])) == SECRET

    assert (await http.delete("/codec/session")).status_code == 204
    assert (await http.post("/codec/decode", json=encoded)).status_code == 401


async def test_the_codec_session_cookie_of_a_non_operator_is_refused(http: httpx.AsyncClient) -> None:
    http.cookies.set("scr_codec_session", "dev:business_manager:bob", domain="127.0.0.1", path="/codec")
    refused = await http.post("/codec/decode", json={"payloads": []})
    assert refused.status_code == 403
