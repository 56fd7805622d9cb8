"""Keeping a session signed in with the identity provider as long as the provider says: the access token's
expiry is kept in the session, and a request near it refreshes the token with the refresh token the provider
gave (authlib), verified again as the API verifies bearer tokens, so a role taken away at the provider ends at
the next refresh. Without a refresh token, or when the provider refuses, the session ends and the person is
sent to sign in again with a message saying why. The session itself still lasts at most a working day."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.auth import OidcVerifier
from api.console.oidc import expires_at, oauth_client, sealed_refresh
from api.console.session import COOKIE, ConsoleSession, read_session, signer, write_session
from api.console.web import PREFIX, see_other, settings_of
from api.errors import ProblemError

MARGIN_SECONDS = 60  # refresh this long before the access token expires, so no page runs on an expired one
ENDED = f"{PREFIX}/sign-in?ended=1"
# Pages that need no sign-in: never refreshed or ended on the way.
OPEN = (f"{PREFIX}/static", f"{PREFIX}/sign-in")


def due(session: ConsoleSession, now: float) -> bool:
    return bool(session.verified and session.signed_in and session.token_expires) and (
        now >= (session.token_expires or 0) - MARGIN_SECONDS
    )


async def keep_fresh(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """HTTP middleware for the console's pages."""
    path = request.url.path
    if not path.startswith(PREFIX) or path.startswith(OPEN):
        return await call_next(request)
    session, _ = read_session(request)
    if not due(session, time.time()):
        return await call_next(request)
    renewed = await _refreshed(request, session)
    if renewed is None:
        ended = see_other(ENDED)
        write_session(request, ended, ConsoleSession())  # signed out, with a fresh CSRF token
        return ended
    request.state.console_session = renewed
    response = await call_next(request)
    if not any(cookie.startswith(f"{COOKIE}=") for cookie in response.headers.getlist("set-cookie")):
        write_session(request, response, renewed)  # unless the page set a session of its own from it
    return response


async def _refreshed(request: Request, session: ConsoleSession) -> ConsoleSession | None:
    """The session with a fresh access token's expiry (and roles and board, as the new token says), or None."""
    refresh_token = signer(request).unseal(session.refresh) if session.refresh else None
    if not refresh_token:
        return None
    verifier: OidcVerifier = request.app.state.oidc
    try:
        async with oauth_client(request) as client:
            token = await client.refresh_token(settings_of(request).oidc_token_url, refresh_token=refresh_token)
        access = str(token.get("access_token", ""))
        principal = await run_in_threadpool(verifier.verify, access)
    except (OAuth2Error, OAuthError, httpx.HTTPError, ProblemError):
        return None
    if principal.user != session.user:
        return None
    roles = tuple(role.value for role in principal.roles)
    return ConsoleSession(
        csrf=session.csrf,  # the same session: forms open in other tabs still post
        user=session.user,
        role=session.role if session.role in roles else roles[0],
        roles=roles,
        board=principal.board,
        issued=session.issued,
        verified=True,
        token_expires=expires_at(access),
        refresh=sealed_refresh(request, token.get("refresh_token")),
    )
