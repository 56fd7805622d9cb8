"""Signing in to the console with the board's identity provider (SCR_AUTH_MODE=oidc): the OpenID Connect
authorization code flow with PKCE (S256), through authlib's OAuth 2 client. The access token it returns is
verified exactly as the API verifies bearer tokens (``api.auth.OidcVerifier``: issuer, audience, signature,
expiry, roles and board claims), and the session keeps who it proved for until that token expires, refreshed
with the provider's refresh token (api/console/oidc_refresh.py), for at most a working day."""

from __future__ import annotations

import secrets
import warnings

import httpx
import jwt
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import OidcVerifier
from api.console.session import read_session, signer, write_session
from api.console.web import PREFIX, see_other, settings_of
from api.errors import ProblemError
from store.settings import Settings

with warnings.catch_warnings():
    # authlib 1.9 announces, on import, a future move of its httpx client to "httpx2"; with the pinned httpx it
    # works as documented, and the notice would be the first line of every `scr` command's stderr.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

router = APIRouter(prefix=PREFIX, include_in_schema=False)
CALLBACK = f"{PREFIX}/sign-in/callback"


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_client_id and settings.oidc_authorization_url and settings.oidc_token_url)


def oauth_client(request: Request) -> AsyncOAuth2Client:
    settings = settings_of(request)
    secret = settings.oidc_client_secret
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        scope="openid",
        redirect_uri=f"{settings.public_base_url.rstrip('/')}{CALLBACK}",
        code_challenge_method="S256",
        timeout=10,
    )


def _available(request: Request) -> Settings:
    settings = settings_of(request)
    if settings.auth_mode != "oidc" or not configured(settings):
        raise ProblemError(404, "Not found", "Signing in with the identity provider is not set up on this service.")
    return settings


@router.get("/sign-in/start")
async def start(request: Request) -> Response:
    settings = _available(request)
    session, _ = read_session(request)
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    async with oauth_client(request) as client:
        url, _ = client.create_authorization_url(settings.oidc_authorization_url, state=state, code_verifier=verifier)
    response = see_other(url)
    write_session(request, response, session.__class__(csrf=session.csrf, oidc_state=state, oidc_verifier=verifier))
    return response


@router.get("/sign-in/callback")
async def callback(request: Request) -> Response:
    settings = _available(request)
    session, _ = read_session(request)
    params = request.query_params
    if params.get("error"):
        raise ProblemError(
            403, "Forbidden", "The identity provider did not sign you in. Try again, or ask its administrator."
        )
    state, code = params.get("state", ""), params.get("code", "")
    if not (
        session.oidc_state and session.oidc_verifier and code and secrets.compare_digest(state, session.oidc_state)
    ):
        raise ProblemError(403, "Forbidden", "This sign-in did not start here or has expired. Sign in again.")
    try:
        async with oauth_client(request) as client:
            token = await client.fetch_token(
                settings.oidc_token_url, code=code, code_verifier=session.oidc_verifier, state=state
            )
    except (OAuth2Error, OAuthError, httpx.HTTPError) as error:
        raise ProblemError(
            503, "Service unavailable", f"The identity provider did not answer: {type(error).__name__}."
        ) from None
    verifier: OidcVerifier = request.app.state.oidc
    principal = await run_in_threadpool(verifier.verify, str(token.get("access_token", "")))  # or 401/403
    signed = session.signing_in(
        user=principal.user,
        roles=tuple(r.value for r in principal.roles),
        board=principal.board,
        verified=True,
        token_expires=expires_at(str(token.get("access_token", ""))),
        refresh=sealed_refresh(request, token.get("refresh_token")),
    )
    response = see_other(f"{PREFIX}/tasks")
    write_session(request, response, signed)
    return response


def expires_at(access_token: str) -> int | None:
    """The verified access token's ``exp`` (the verifier requires it): the session is refreshed or ends there."""
    exp = jwt.decode(access_token, options={"verify_signature": False}).get("exp")
    return int(exp) if isinstance(exp, int | float) else None


MAX_SEALED = 1800  # a longer refresh token would take the cookie past browsers' 4 KB: then none is kept


def sealed_refresh(request: Request, refresh_token: object) -> str | None:
    """The provider's refresh token, encrypted for the session cookie, if it gave one."""
    if not isinstance(refresh_token, str) or not refresh_token:
        return None
    sealed = signer(request).seal(refresh_token)
    return sealed if len(sealed) <= MAX_SEALED else None
