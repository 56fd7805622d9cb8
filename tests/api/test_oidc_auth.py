"""OIDC bearer JWTs (SCR_AUTH_MODE=oidc) against a real JWKS endpoint served over HTTP from this process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, cast

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from api.app import create_app
from api.auth import CurrentActor, OidcVerifier
from api.context import AppContext
from store.database import create_engine, session_factory
from store.settings import Settings
from tests.support.payload_keys import TEST_PAYLOAD_KEYS, encrypting_converter

AUDIENCE = "scr-api"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def _jwk(private_key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    jwk = algorithm.to_jwk(private_key.public_key(), as_dict=True)
    return jwk | {"kid": kid, "alg": alg, "use": "sig"}


class JwksServer:
    """The identity provider's key endpoint: a real HTTP server whose key set a test can change."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/.well-known/jwks.json":
                    self.send_error(404)
                    return
                outer.hits += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp() -> Iterator[JwksServer]:
    with JwksServer() as server:
        server.keys = [_jwk(RSA_KEY, "rsa-1", "RS256"), _jwk(EC_KEY, "ec-1", "ES256")]
        yield server


def oidc_settings(issuer: str, database_url: str = "sqlite+aiosqlite://", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth_mode": "oidc",
        "oidc_issuer": issuer,
        "oidc_audience": AUDIENCE,
        "oidc_jwks_cooldown_seconds": 0,
        "database_url": database_url,
        "payload_keys": TEST_PAYLOAD_KEYS,
    }
    return Settings(**(values | overrides))


def claims(issuer: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": issuer, "aud": AUDIENCE, "sub": "u-123", "iat": now, "exp": now + 300, "roles": ["auditor"]}
    return {k: v for k, v in (base | overrides).items() if v is not None}


def token(body: dict[str, Any], key: Any = RSA_KEY, kid: str = "rsa-1", alg: str = "RS256") -> str:
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(body: dict[str, Any], header: dict[str, Any], secret: bytes | None = None) -> str:
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(body).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{_b64url(signature)}"


def bearer(value: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"} | headers


class Api:
    def __init__(self, http: httpx.AsyncClient, idp: JwksServer) -> None:
        self.http = http
        self.idp = idp

    async def list_cases(self, value: str, **headers: str) -> httpx.Response:
        return await self.http.get("/api/v1/cases", headers=bearer(value, **headers))

    async def whoami(self, value: str, **headers: str) -> httpx.Response:
        return await self.http.get("/test/whoami", headers=bearer(value, **headers))


def build_app(settings: Settings) -> FastAPI:
    engine = create_engine(settings.database_url)
    # Listing cases never touches Temporal; the codec endpoint only needs the client's converter.
    temporal = cast(Client, SimpleNamespace(namespace="default", data_converter=encrypting_converter()))
    context = AppContext(settings=settings, sessions=session_factory(engine), temporal=temporal)
    app = create_app(settings, context)
    app.state.context = context  # httpx's ASGI transport does not run the lifespan

    @app.get("/test/whoami")
    def whoami(actor: CurrentActor) -> dict[str, str]:
        return {"user": actor.user, "role": actor.role.value}

    return app


@pytest.fixture
async def api(idp: JwksServer, sqlite_url: str) -> AsyncIterator[Api]:
    app = build_app(oidc_settings(idp.issuer, sqlite_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
        yield Api(http, idp)


async def test_a_valid_token_is_accepted_and_the_key_set_is_cached(api: Api) -> None:
    rsa_token = token(claims(api.idp.issuer))
    response = await api.list_cases(rsa_token)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0
    es_token = token(claims(api.idp.issuer, sub="u-456"), EC_KEY, "ec-1", "ES256")
    assert (await api.list_cases(es_token)).status_code == 200
    assert (await api.list_cases(rsa_token)).status_code == 200
    assert api.idp.hits == 1


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (lambda iss: token(claims("https://someone-else.example")), "not issued by this service's identity provider"),
        (lambda iss: token(claims(iss, aud="another-api")), "not meant for this service"),
        (lambda iss: token(claims(iss, exp=int(time.time()) - 120)), "expired"),
        (lambda iss: token(claims(iss, exp=None)), "no 'exp' claim"),
        (lambda iss: token(claims(iss, sub=None)), "no 'sub' claim"),
        (lambda iss: token(claims(iss), RSA_KEY_2, "rsa-1"), "signature is not valid"),
        (lambda iss: token(claims(iss), RSA_KEY_2, "rsa-unknown"), "key the identity provider does not publish"),
        (lambda iss: token(claims(iss), EC_KEY, "rsa-1", "ES256"), "not valid"),
        (lambda iss: unsigned_token(claims(iss), {"alg": "none", "typ": "JWT", "kid": "rsa-1"}), "'none'"),
        (
            lambda iss: unsigned_token(
                claims(iss),
                {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
                RSA_KEY.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
            ),
            "'HS256' are not accepted",
        ),
        (lambda iss: "not-a-jwt", "not a JWT"),
        (lambda iss: unsigned_token(claims(iss), {"alg": "RS256", "typ": "JWT"}), "does not name its signing key"),
    ],
    ids=[
        "wrong-issuer",
        "wrong-audience",
        "expired",
        "no-exp",
        "no-sub",
        "bad-signature",
        "unknown-kid",
        "key-type-mismatch",
        "alg-none",
        "hs256-with-public-key",
        "garbage",
        "no-kid",
    ],
)
async def test_invalid_tokens_get_401_problem_json(api: Api, make: Any, detail: str) -> None:
    response = await api.list_cases(make(api.idp.issuer))
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_rotated_key_is_accepted_after_the_key_set_is_refetched(api: Api) -> None:
    assert (await api.list_cases(token(claims(api.idp.issuer)))).status_code == 200
    assert api.idp.hits == 1
    api.idp.keys = [_jwk(RSA_KEY_2, "rsa-2", "RS256"), *api.idp.keys]  # the issuer publishes a new key
    rotated = token(claims(api.idp.issuer), RSA_KEY_2, "rsa-2")
    response = await api.list_cases(rotated)
    assert response.status_code == 200, response.text
    assert api.idp.hits == 2
    assert (await api.list_cases(rotated)).status_code == 200
    assert api.idp.hits == 2


async def test_unknown_key_ids_do_not_refetch_the_key_set_within_the_cooldown(idp: JwksServer) -> None:
    verifier = OidcVerifier(issuer=idp.issuer, audience=AUDIENCE, jwks_url=f"{idp.issuer}/.well-known/jwks.json")
    assert verifier.verify(token(claims(idp.issuer))).user == "u-123"
    for _ in range(3):
        with pytest.raises(Exception, match="does not publish"):
            verifier.verify(token(claims(idp.issuer), RSA_KEY_2, "made-up"))
    assert idp.hits == 1


async def test_dev_tokens_are_refused_in_oidc_mode(api: Api) -> None:
    response = await api.list_cases("dev:operator:mallory")
    assert response.status_code == 401
    assert "only when SCR_AUTH_MODE=dev" in response.json()["detail"]


async def test_a_token_without_scr_roles_is_forbidden_with_a_clear_message(api: Api) -> None:
    missing = await api.list_cases(token(claims(api.idp.issuer, roles=None)))
    assert missing.status_code == 403
    assert "no 'roles' claim" in missing.json()["detail"]
    foreign = await api.list_cases(token(claims(api.idp.issuer, roles=["admin", "payroll"])))
    assert foreign.status_code == 403
    assert "None of the roles" in foreign.json()["detail"]


async def test_with_several_roles_the_caller_chooses_one_the_token_grants(api: Api) -> None:
    several = token(claims(api.idp.issuer, roles=["business_manager", "auditor", "not-ours"]))
    ambiguous = await api.whoami(several)
    assert ambiguous.status_code == 400
    assert "X-SCR-Role" in ambiguous.json()["detail"]
    chosen = await api.whoami(several, **{"X-SCR-Role": "auditor"})
    assert chosen.json() == {"user": "u-123", "role": "auditor"}
    not_granted = await api.whoami(several, **{"X-SCR-Role": "independent_chair"})
    assert not_granted.status_code == 403
    assert "does not grant the role 'independent_chair'" in not_granted.json()["detail"]
    single = await api.whoami(token(claims(api.idp.issuer, roles="lead_reviewer")))  # a space-separated string
    assert single.json() == {"user": "u-123", "role": "lead_reviewer"}


async def test_an_operator_token_opens_the_codec_without_choosing_a_role(api: Api) -> None:
    operator = token(claims(api.idp.issuer, roles=["auditor", "operator"]))
    response = await api.http.post("/codec/decode", json={"payloads": []}, headers=bearer(operator))
    assert response.status_code == 200, response.text
    auditor = token(claims(api.idp.issuer, roles=["auditor"]))
    assert (await api.http.post("/codec/decode", json={"payloads": []}, headers=bearer(auditor))).status_code == 403


def test_roles_and_board_come_from_the_configured_claims(idp: JwksServer) -> None:
    settings = oidc_settings(idp.issuer, oidc_roles_claim="realm_access.roles", oidc_board_claim="org.board")
    verifier = OidcVerifier.from_settings(settings)
    principal = verifier.verify(
        token(claims(idp.issuer, roles=None, realm_access={"roles": ["publisher"]}, org={"board": "nel"}))
    )
    assert [role.value for role in principal.roles] == ["publisher"]
    assert principal.board == "NEL"


async def test_an_unreachable_identity_provider_gives_503(sqlite_url: str) -> None:
    with JwksServer() as gone:
        issuer = gone.issuer
    app = build_app(oidc_settings(issuer, sqlite_url))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
        response = await http.get("/api/v1/cases", headers=bearer(token(claims(issuer))))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_the_service_refuses_to_start_with_unsafe_or_incomplete_auth_settings() -> None:
    with pytest.raises(RuntimeError, match="SCR_OIDC_ISSUER and SCR_OIDC_AUDIENCE"):
        create_app(Settings(auth_mode="oidc"))
    with pytest.raises(RuntimeError, match="SCR_OIDC_AUDIENCE"):
        create_app(Settings(auth_mode="oidc", oidc_issuer="https://login.board.example"))
    with pytest.raises(RuntimeError, match="production refuses SCR_AUTH_MODE=dev"):
        create_app(Settings(environment="production", payload_keys=TEST_PAYLOAD_KEYS))
    production = Settings(
        environment="production",
        auth_mode="oidc",
        oidc_issuer="https://login.board.example/realms/scr/",
        oidc_audience=AUDIENCE,
        payload_keys=TEST_PAYLOAD_KEYS,
    )
    with pytest.raises(RuntimeError, match="production needs SCR_CALENDAR_FEED_SECRET"):
        create_app(production)
    production.calendar_feed_secret = [SecretStr("f" * 32)]
    assert production.oidc.jwks_url == "https://login.board.example/realms/scr/.well-known/jwks.json"
    assert isinstance(create_app(production), FastAPI)
