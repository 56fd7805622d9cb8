"""Rendering and the signed-in person: the Jinja environment (GOV.UK Frontend's macros beside ours), the caller
a session proves (through the API's own principal, role and board rules), CSRF, and HTML error pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from api.auth import Principal, choose_role, parse_dev_token
from api.console.session import ConsoleSession, csrf_matches, read_session, write_session
from api.console.text import words
from api.errors import ProblemError
from api.permissions import Caller, visible_boards
from domain.roles import Role
from store.settings import Settings

PREFIX = "/console"
SERVICE_NAME = "Serious case reviews"
_environment = Environment(
    loader=ChoiceLoader(
        [
            FileSystemLoader(Path(__file__).parent / "templates"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    ),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _option(value: str, chosen: str | None) -> dict[str, object]:
    """A radio of a generated form: its value, in words, and whether it was chosen."""
    return {"value": value, "text": words(value), "checked": value == chosen}


_environment.filters["console_option"] = _option
# A select's item is chosen by "selected" where a radio's is "checked".
_environment.filters["console_selected"] = lambda item: {**item, "text": item["value"], "selected": item["checked"]}
templates = Jinja2Templates(env=_environment)


class NotSignedIn(Exception):
    """A console page asked for by someone with no session: they are sent to sign in."""


@dataclass(frozen=True)
class SignedIn:
    session: ConsoleSession
    principal: Principal
    caller: Caller


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.context.settings
    return settings


def dev_principal(user: str, roles: tuple[str, ...], board: str | None) -> Principal:
    """The principal the API's dev tokens give for these choices (each role checked by the token rules), holding
    every chosen role as an identity provider's token would."""
    one = [parse_dev_token(f"dev:{role}:{user}" + (f":{board}" if board else "")) for role in roles]
    return Principal(user=one[0].user, roles=tuple(p.roles[0] for p in one), board=one[0].board)


def signed_in(request: Request) -> SignedIn:
    """The session's person as the API would see them: same principal, role and boards, kept on
    ``request.state.principal`` as the API's authentication does. The role acted in is chosen as the API's
    ``X-SCR-Role`` header chooses it (it must be one the person holds)."""
    session, _ = read_session(request)
    mode = settings_of(request).auth_mode
    if not session.signed_in or session.verified != (mode == "oidc"):
        raise NotSignedIn
    assert session.user is not None
    assert session.role is not None
    if session.verified:  # what the identity provider's token said, verified at sign-in
        principal = Principal(session.user, tuple(Role(r) for r in session.roles), session.board)
    else:
        principal = dev_principal(session.user, session.roles or (session.role,), session.board)
    actor = choose_role(principal, session.role)
    request.state.principal = principal
    return SignedIn(session, principal, Caller(actor, visible_boards(principal, actor, settings_of(request))))


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    session: ConsoleSession | None = None,
) -> HTMLResponse:
    """A page; it (re)sets the session cookie when the session is new or ``session`` replaces it."""
    current, fresh = read_session(request)
    session = session or current
    errors: dict[str, str] = context.get("errors") or {}
    anchors: dict[str, str] = context.get("anchors") or {}
    # GOV.UK's error summary: each message links to its field (its id is its name unless ``anchors`` says).
    error_list: list[dict[str, str]] = [{"text": context["problem"]}] if context.get("problem") else []
    error_list += [{"text": message, "href": f"#{anchors.get(name, name)}"} for name, message in errors.items()]
    context = {**context, "error_list": error_list}
    response = templates.TemplateResponse(
        request,
        template,
        {"service_name": SERVICE_NAME, "prefix": PREFIX, "csrf_token": session.csrf, "session": session, **context},
        status_code=status_code,
    )
    if fresh or session is not current:
        write_session(request, response, session)
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def check_csrf(request: Request) -> None:
    """403 for a form post whose hidden token is not this session's."""
    session, _ = read_session(request)
    form = await request.form()
    sent = form.get("csrf_token")
    if not csrf_matches(session, sent if isinstance(sent, str) else None):
        raise ProblemError(
            403,
            "Forbidden",
            "This form has expired or did not come from this service. Go back, reload the page and try again.",
        )


def error_page(request: Request, error: ProblemError) -> Response:
    titles = {403: "You cannot do this", 404: "Page not found"}
    title = titles.get(error.status, "Sorry, there is a problem with the service")
    try:  # the navigation and sign-out stay for someone signed in
        person: SignedIn | None = signed_in(request)
    except Exception:
        person = None
    context = {"title": title, "detail": error.detail, "person": person}
    return render(request, "error.html", context, status_code=error.status)
