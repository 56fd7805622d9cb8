"""The staff console: server-rendered pages in the GOV.UK Design System's look (a board's service: no GOV.UK
branding) on the same services, access rules and audit as the staff API, under /console."""

from __future__ import annotations

from inspect import isawaitable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from api.console import decisions, documents, pages, sign_in
from api.console.session import SessionSigner
from api.console.web import PREFIX, NotSignedIn, error_page, see_other
from api.errors import ProblemError
from store.settings import Settings

STATIC = Path(__file__).parent / "static"  # built by scripts/build-console-assets (scripts/bootstrap runs it)


def install_console(app: FastAPI, settings: Settings) -> None:
    """Mount the console's pages and assets; its errors render as pages, the API's stay problem+json. Call it
    after the API's error handlers are installed."""
    app.state.console_sessions = SessionSigner()
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC, check_dir=False), name="console-static")
    app.include_router(sign_in.router)
    app.include_router(pages.router)
    app.include_router(decisions.router)
    app.include_router(documents.router)
    api_problem = app.exception_handlers[ProblemError]

    async def problem(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(PREFIX) and isinstance(error, ProblemError):
            return error_page(request, error)
        answer = api_problem(request, error)
        return await answer if isawaitable(answer) else answer

    async def not_signed_in(_request: Request, _error: Exception) -> Response:
        return see_other(f"{PREFIX}/sign-in")

    api_http = app.exception_handlers[StarletteHTTPException]

    async def http_error(request: Request, error: Exception) -> Response:
        if request.url.path.startswith(PREFIX) and isinstance(error, StarletteHTTPException):
            return error_page(request, ProblemError(error.status_code, "Error", str(error.detail)))
        answer = api_http(request, error)
        return await answer if isawaitable(answer) else answer

    app.add_exception_handler(ProblemError, problem)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(NotSignedIn, not_signed_in)
