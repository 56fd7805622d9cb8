"""Signing in to the console with the board's identity provider (SCR_AUTH_MODE=oidc): the authorization code
flow with PKCE against an identity provider served over HTTP from this process (its token endpoint checks the
code verifier against the challenge), the access token verified as the API verifies bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from api.app import create_app
from api.context import AppContext
from store.database import create_engine, session_factory
from store.settings import Settings
from tests.console.pages import csrf_token, one_h1
from tests.support.payload_keys import TEST_PAYLOAD_KEYS

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
AUDIENCE = "scr-api"
CLIENT = "scr-console"


class IdentityProvider:
    """JWKS and a token endpoint. ``challenges`` maps each code it hands out to the PKCE challenge it was for.
    Access tokens last ``lifetime`` seconds; with ``gives_refresh`` each answer carries a new refresh token,
    each good once (rotated), as providers that rotate them do."""

    def __init__(self) -> None:
        self.challenges: dict[str, str] = {}
        self.roles: list[str] = ["sub_group", "business_manager"]
        self.exchanged: list[dict[str, list[str]]] = []
        self.lifetime = 300
        self.gives_refresh = False
        self.refresh_tokens: set[str] = set()  # issued and not used yet
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                jwk = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
                self._json(200, {"keys": [jwk | {"kid": "k1", "alg": "RS256", "use": "sig"}]})

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                outer.exchanged.append(form)
                if form.get("grant_type") == ["refresh_token"]:
                    used = form.get("refresh_token", [""])[0]
                    if used not in outer.refresh_tokens or form.get("client_id") != [CLIENT]:
                        self._json(400, {"error": "invalid_grant"})
                        return
                    outer.refresh_tokens.discard(used)
                else:
                    code, verifier = form.get("code", [""])[0], form.get("code_verifier", [""])[0]
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    if outer.challenges.get(code) != digest.rstrip(b"=").decode() or form.get("client_id") != [CLIENT]:
                        self._json(400, {"error": "invalid_grant"})
                        return
                now = int(time.time())
                claims = {"iss": outer.issuer, "aud": AUDIENCE, "sub": "kim@board", "iat": now}
                claims |= {"exp": now + outer.lifetime, "roles": outer.roles, "board": "NEL"}
                access = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"})
                answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": outer.lifetime}
                if outer.gives_refresh:
                    refresh = secrets.token_urlsafe(48)
                    outer.refresh_tokens.add(refresh)
                    answer["refresh_token"] = refresh
                self._json(200, answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    provider.thread.start()
    yield provider
    provider.server.shutdown()
    provider.server.server_close()


@asynccontextmanager
async def app_for(idp: IdentityProvider, database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    values: dict[str, Any] = {
        "auth_mode": "oidc",
        "oidc_issuer": idp.issuer,
        "oidc_audience": AUDIENCE,
        "oidc_jwks_url": f"{idp.issuer}/jwks",
        "oidc_client_id": CLIENT,
        "oidc_authorization_url": f"{idp.issuer}/authorize",
        "oidc_token_url": f"{idp.issuer}/token",
        "database_url": database_url,
        "payload_keys": TEST_PAYLOAD_KEYS,
        "var_dir": tmp_path / "var",
        "public_base_url": "http://scr.test",
    }
    settings = Settings(**values)
    engine = create_engine(database_url)
    app = create_app(settings)
    temporal: Any = None  # these pages never reach Temporal
    app.state.context = AppContext(settings=settings, sessions=session_factory(engine), temporal=temporal)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
            yield http
    finally:
        await engine.dispose()


async def authorize(http: httpx.AsyncClient, idp: IdentityProvider, code: str) -> dict[str, str]:
    """Start signing in and play the identity provider's authorize step: the query it was sent, and a code."""
    page = await http.get("/console/sign-in")
    assert 'href="/console/sign-in/start"' in page.text
    started = await http.get("/console/sign-in/start")
    assert started.status_code == 303
    sent = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["location"]).query).items()}
    assert started.headers["location"].startswith(f"{idp.issuer}/authorize?")
    idp.challenges[code] = sent["code_challenge"]
    return sent


async def test_sign_in_with_the_identity_provider(idp: IdentityProvider, sqlite_url: str, tmp_path: Path) -> None:
    async with app_for(idp, sqlite_url, tmp_path) as http:
        assert (await http.get("/console/tasks")).headers["location"] == "/console/sign-in"
        dev = await http.post("/console/sign-in", data={"role": "auditor", "user": "x"})
        assert dev.status_code == 403  # no dev sign-in here (and no token)

        sent = await authorize(http, idp, "code-1")
        assert sent["response_type"] == "code"
        assert sent["client_id"] == CLIENT
        assert sent["code_challenge_method"] == "S256"
        assert sent["redirect_uri"] == "http://scr.test/console/sign-in/callback"
        back = await http.get("/console/sign-in/callback", params={"code": "code-1", "state": sent["state"]})
        assert back.status_code == 303, back.text
        assert back.headers["location"] == "/console/tasks"
        tasks = await http.get("/console/tasks")
        assert tasks.status_code == 200
        assert one_h1(tasks.text) == "My tasks"
        assert "kim@board (sub group, NEL)" in tasks.text  # acting in the first of the token's roles
        assert 'href="/console/role"' in tasks.text  # two roles: switch between them
        assert [grant["grant_type"] for grant in idp.exchanged] == [["authorization_code"]]  # still fresh


async def signed_in_with(http: httpx.AsyncClient, idp: IdentityProvider, code: str) -> None:
    sent = await authorize(http, idp, code)
    back = await http.get("/console/sign-in/callback", params={"code": code, "state": sent["state"]})
    assert back.status_code == 303, back.text


def session_in_cookie(http: httpx.AsyncClient) -> dict[str, Any]:
    payload = http.cookies["scr_console"].split(".")[0]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return found


async def test_the_session_is_refreshed_before_its_token_expires_then_ends_when_the_provider_refuses(
    idp: IdentityProvider, sqlite_url: str, tmp_path: Path
) -> None:
    idp.lifetime = 30  # within the refresh margin: every page refreshes it
    idp.gives_refresh = True
    async with app_for(idp, sqlite_url, tmp_path) as http:
        await signed_in_with(http, idp, "code-r")
        (first,) = idp.refresh_tokens
        assert first not in http.cookies["scr_console"]
        assert first not in json.dumps(session_in_cookie(http))  # sealed: the cookie is signed, not encrypted
        for _ in range(2):
            tasks = await http.get("/console/tasks")
            assert tasks.status_code == 200
            assert one_h1(tasks.text) == "My tasks"
        grants = [(g["grant_type"][0], g.get("refresh_token", [""])[0]) for g in idp.exchanged]
        assert [kind for kind, _ in grants] == ["authorization_code", "refresh_token", "refresh_token"]
        assert grants[1][1] == first  # then the rotated one: the cookie kept each new refresh token
        assert len(idp.refresh_tokens) == 1  # only the latest is still good
        token = csrf_token(tasks.text)
        switched = await http.post("/console/role", data={"csrf_token": token, "role": "business_manager"})
        assert switched.status_code == 303  # the refreshed session keeps its CSRF token and the role chosen
        assert "kim@board (business manager, NEL)" in (await http.get("/console/tasks")).text

        idp.roles = ["emperor"]  # the provider took the service's roles away: the next refresh ends the session
        ended = await http.get("/console/cases")
        assert ended.status_code == 303
        assert ended.headers["location"] == "/console/sign-in?ended=1"
        page = await http.get(ended.headers["location"])
        assert "Your sign-in has ended. Sign in again to carry on." in page.text
        assert (await http.get("/console/tasks")).headers["location"] == "/console/sign-in"


async def test_without_a_refresh_token_the_session_ends_with_its_token(
    idp: IdentityProvider, sqlite_url: str, tmp_path: Path
) -> None:
    idp.lifetime = 30
    async with app_for(idp, sqlite_url, tmp_path) as http:
        await signed_in_with(http, idp, "code-n")
        assert session_in_cookie(http)["refresh"] is None
        ended = await http.get("/console/tasks")
        assert ended.headers["location"] == "/console/sign-in?ended=1"
        assert [grant["grant_type"] for grant in idp.exchanged] == [["authorization_code"]]


async def test_a_forged_or_replayed_callback_signs_no_one_in(
    idp: IdentityProvider, sqlite_url: str, tmp_path: Path
) -> None:
    async with app_for(idp, sqlite_url, tmp_path) as http:
        sent = await authorize(http, idp, "code-2")
        wrong_state = await http.get("/console/sign-in/callback", params={"code": "code-2", "state": "forged"})
        assert wrong_state.status_code == 403
        assert (await http.get("/console/tasks")).status_code == 303
        wrong_code = await http.get("/console/sign-in/callback", params={"code": "other", "state": sent["state"]})
        assert wrong_code.status_code == 503  # the identity provider refused the exchange
        refused = await http.get("/console/sign-in/callback", params={"error": "access_denied"})
        assert refused.status_code == 403
        assert (await http.get("/console/tasks")).status_code == 303

        idp.roles = ["emperor"]  # a token with no role of this service: refused as the API refuses it
        sent = await authorize(http, idp, "code-3")
        no_role = await http.get("/console/sign-in/callback", params={"code": "code-3", "state": sent["state"]})
        assert no_role.status_code == 403
        assert (await http.get("/console/tasks")).status_code == 303
