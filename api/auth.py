"""Who is calling. The embedded stack accepts dev tokens ``dev:<role>:<user>``; OIDC comes later."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ProblemError
from domain.case_messages import Actor
from domain.roles import Role

_bearer = HTTPBearer(auto_error=False, description="Dev mode: `dev:<role>:<user>`, e.g. `dev:independent_chair:alice`")


def parse_dev_token(token: str) -> Actor:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != "dev" or not parts[2]:
        raise ProblemError(401, "Not authenticated", "A dev token has the form 'dev:<role>:<user>'.")
    try:
        role = Role(parts[1])
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ProblemError(401, "Not authenticated", f"Unknown role '{parts[1]}'. Known roles: {known}.") from None
    return Actor(user=parts[2][:128], role=role)


def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            401,
            "Not authenticated",
            "Send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.app.state.context.settings.auth_mode != "dev":
        raise ProblemError(401, "Not authenticated", "Only dev tokens are supported in this build.")
    return parse_dev_token(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(actor: Actor, *roles: Role, action: str) -> None:
    if actor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise ProblemError(403, "Forbidden", f"Your role '{actor.role.value}' cannot {action}; this needs: {allowed}.")
