"""Dev sign-in and sign-out. Dev mode only (SCR_AUTH_MODE=dev), like the API's dev tokens: anyone can choose
any role. Production sign-in (OpenID Connect with PKCE) is not built yet; in oidc mode the page says so."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from api.console.session import ConsoleSession, read_session, write_session
from api.console.web import PREFIX, check_csrf, dev_principal, render, see_other, settings_of
from api.errors import ProblemError
from domain.roles import Role

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _role_items(chosen: str | None) -> list[dict[str, object]]:
    return [
        {"value": role.value, "text": role.value.replace("_", " ").capitalize(), "checked": role.value == chosen}
        for role in Role
    ]


def _page(request: Request, *, values: dict[str, str], errors: dict[str, str], status_code: int = 200) -> Response:
    settings = settings_of(request)
    boards = [{"value": "", "text": "Every board of this service"}] + [
        {"value": code, "text": code, "selected": values.get("board") == code} for code in sorted(settings.boards)
    ]
    return render(
        request,
        "sign_in.html",
        {
            "dev": settings.auth_mode == "dev",
            "roles": _role_items(values.get("role")),
            "boards": boards,
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return _page(request, values={}, errors={})


@router.post("/sign-in", dependencies=[Depends(check_csrf)])
async def sign_in(
    request: Request,
    role: Annotated[str, Form()] = "",
    user: Annotated[str, Form()] = "",
    board: Annotated[str, Form()] = "",
) -> Response:
    settings = settings_of(request)
    if settings.auth_mode != "dev":
        raise ProblemError(403, "Forbidden", "Dev sign-in is switched off: this service uses its identity provider.")
    values = {"role": role, "user": user.strip(), "board": board}
    errors: dict[str, str] = {}
    if role not in {r.value for r in Role}:
        errors["role"] = "Select the role you act in"
    if not values["user"]:
        errors["user"] = "Enter your user name"
    elif ":" in values["user"] or len(values["user"]) > 128:
        errors["user"] = "User name must be 128 characters or fewer and must not contain a colon"
    if board and board not in settings.board_codes:
        errors["board"] = "Select a board of this service"
    if errors:
        return _page(request, values=values, errors=errors, status_code=400)
    principal = dev_principal(values["user"], role, board or None)  # the API's own token rules
    current, _ = read_session(request)
    session = current.signing_in(user=principal.user, role=role, board=principal.board)
    response = see_other(f"{PREFIX}/tasks")
    write_session(request, response, session)
    return response


@router.post("/sign-out", dependencies=[Depends(check_csrf)])
async def sign_out(request: Request) -> Response:
    response = see_other(f"{PREFIX}/sign-in")
    write_session(request, response, ConsoleSession())
    return response
