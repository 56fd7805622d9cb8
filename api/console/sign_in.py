"""The sign-in page, dev sign-in, switching role and sign-out. Dev sign-in works only with SCR_AUTH_MODE=dev, like
the API's dev tokens (anyone can choose any role); with oidc the page sends people to the board's identity
provider (api/console/oidc.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from api.auth import choose_role
from api.console.oidc import configured
from api.console.session import ConsoleSession, read_session, write_session
from api.console.text import words
from api.console.web import PREFIX, check_csrf, dev_principal, render, see_other, settings_of, signed_in
from api.errors import ProblemError
from domain.roles import Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _role_items(chosen: list[str]) -> list[dict[str, object]]:
    return [{"value": role.value, "text": words(role.value), "checked": role.value in chosen} for role in Role]


def _page(
    request: Request,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    chosen: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    boards = [{"value": "", "text": "Every board of this service"}] + [
        {"value": code, "text": code, "selected": values.get("board") == code} for code in sorted(settings.boards)
    ]
    return render(
        request,
        "sign_in.html",
        {
            "dev": settings.auth_mode == "dev",
            "oidc_ready": settings.auth_mode == "oidc" and configured(settings),
            "roles": _role_items(chosen or []),
            "boards": boards,
            "values": values,
            "errors": errors,
            # Sent here when a session signed in with the identity provider could not be kept (oidc_refresh.py).
            "ended": request.query_params.get("ended") == "1",
        },
        status_code=status_code,
    )


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return _page(request, values={}, errors={}, chosen=[])


@router.post("/sign-in", dependencies=[Depends(check_csrf)])
async def sign_in(
    request: Request,
    role: Annotated[list[str] | None, Form()] = None,
    user: Annotated[str, Form()] = "",
    board: Annotated[str, Form()] = "",
) -> Response:
    settings = settings_of(request)
    if settings.auth_mode != "dev":
        raise ProblemError(403, "Forbidden", "Dev sign-in is switched off: this service uses its identity provider.")
    values = {"user": user.strip(), "board": board}
    known = {r.value for r in Role}
    chosen: list[str] = [str(r.value) for r in Role if r.value in (role or [])]  # in the service's order, each once
    errors: dict[str, str] = {}
    if not chosen or any(r not in known for r in role or []):
        errors["role"] = "Select your roles"
    if not values["user"]:
        errors["user"] = "Enter your user name"
    elif ":" in values["user"] or len(values["user"]) > 128:
        errors["user"] = "User name must be 128 characters or fewer and must not contain a colon"
    if board and board not in settings.board_codes:
        errors["board"] = "Select a board of this service"
    if errors:
        return _page(request, values=values, errors=errors, chosen=chosen, status_code=400)
    principal = dev_principal(values["user"], tuple(chosen), board or None)  # the API's own token rules
    current, _ = read_session(request)
    session = current.signing_in(user=principal.user, roles=tuple(chosen), board=principal.board)
    response = see_other(f"{PREFIX}/tasks")
    write_session(request, response, session)
    return response


@router.get("/role")
async def role_page(request: Request) -> Response:
    person = signed_in(request)
    roles = [
        {"value": r.value, "text": words(r.value), "checked": r == person.caller.actor.role}
        for r in person.principal.roles
    ]
    return render(request, "role.html", {"person": person, "roles": roles})


@router.post("/role", dependencies=[Depends(check_csrf)])
async def switch_role(request: Request, role: Annotated[str, Form()] = "") -> Response:
    """Act in another of the person's roles (choose_role refuses one they do not hold, as X-SCR-Role does)."""
    person = signed_in(request)
    choose_role(person.principal, role)
    response = see_other(f"{PREFIX}/tasks")
    write_session(request, response, person.session.acting_as(role))
    return response


@router.post("/sign-out", dependencies=[Depends(check_csrf)])
async def sign_out(request: Request) -> Response:
    response = see_other(f"{PREFIX}/sign-in")
    write_session(request, response, ConsoleSession())
    return response
