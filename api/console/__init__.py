"""The staff console: server-rendered pages in the GOV.UK Design System's look (a board's service: no GOV.UK
branding) on the same services, access rules and audit as the staff API, under /console."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from api.console import (
    anonymisation,
    decisions,
    documents,
    identifiers,
    learning,
    new_case,
    oidc,
    oidc_refresh,
    pages,
    sign_in,
    uploads,
)
from api.console.session import SessionSigner
from api.console.web import PREFIX, NotSignedIn, error_page, see_other
from api.errors import ProblemError
from store.settings import Settings

STATIC = Path(__file__).parent / "static"  # built by scripts/build-console-assets (scripts/bootstrap runs it)


def install_console(app: FastAPI, settings: Settings) -> None:
    """Mount the console's pages and assets; its errors render as pages, the API's stay problem+json. Call it
    after the API's error handlers are installed."""
    app.state.console_sessions = SessionSigner(session_secret(settings))
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC, check_dir=False), name="console-static")
    app.include_router(sign_in.router)
    app.include_router(oidc.router)
    app.include_router(new_case.router)  # before pages: /cases/new is not a case reference
    app.include_router(pages.router)
    app.include_router(decisions.router)
    app.include_router(documents.router)
    app.include_router(uploads.router)
    app.include_router(learning.router)
    app.include_router(anonymisation.router)
    app.include_router(identifiers.router)
    # Console paths answer errors as pages; the API keeps its problem+json. The API's handler still decides the
    # status of errors it knows (a database outage is 503), so the page says the same as the API would.
    for error_class, api_handler in list(app.exception_handlers.items()):
        app.add_exception_handler(error_class, _pages_first(api_handler))

    async def not_signed_in(_request: Request, _error: Exception) -> Response:
        return see_other(f"{PREFIX}/sign-in")

    app.add_exception_handler(NotSignedIn, not_signed_in)
    if settings.auth_mode == "oidc":
        app.middleware("http")(oidc_refresh.keep_fresh)


def session_secret(settings: Settings) -> bytes | None:
    """The configured secret for session cookies, or None (a random one per process) where that is safe."""
    secret = settings.console_session_secret
    if secret is None:
        if settings.environment == "production" and settings.oidc_client_id:
            raise RuntimeError(
                "SCR_ENVIRONMENT=production with the console's sign-in (SCR_OIDC_CLIENT_ID) needs "
                "SCR_CONSOLE_SESSION_SECRET, the same in every API process."
            )
        return None
    value = secret.get_secret_value()
    if len(value) < 32:
        raise RuntimeError(f"SCR_CONSOLE_SESSION_SECRET has {len(value)} characters; use at least 32.")
    return value.encode()


Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _pages_first(api_handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(PREFIX):
            if isinstance(error, ProblemError):
                return error_page(request, error)
            if isinstance(error, StarletteHTTPException):
                return error_page(request, ProblemError(error.status_code, "Error", str(error.detail)))
        answer = api_handler(request, error)
        response = await answer if isawaitable(answer) else answer
        if not request.url.path.startswith(PREFIX):
            return response
        return error_page(request, ProblemError(response.status_code, "Error", "Try again later."))

    return handle
