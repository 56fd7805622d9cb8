"""Who is calling.

- ``SCR_AUTH_MODE=oidc`` (production): ``Authorization: Bearer <JWT>`` from the board's identity provider. The
  token must be signed (RS256 or ES256) by a key the issuer publishes in its JWKS, and carry the configured
  issuer, audience, an unexpired ``exp`` and a ``sub``. Roles come from ``SCR_OIDC_ROLES_CLAIM`` and the
  board from ``SCR_OIDC_BOARD_CLAIM``.
- ``SCR_AUTH_MODE=dev`` (the embedded stack only): ``Authorization: Bearer dev:<role>:<user>``. Never in
  production: anyone can claim any role.

Calendar apps cannot send a header: ``GET /api/v1/calendar.ics`` also takes a signed feed token in its URL
(``api/feed_tokens.py``), which no other endpoint accepts.

A person may hold several roles; each request acts in exactly one. With several, the caller names it in
``X-SCR-Role`` (it must be one the token grants); with one, that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, overload

import jwt
from fastapi import Depends, FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ProblemError
from domain.case_messages import Actor
from domain.roles import Role
from store.settings import Settings

ROLE_HEADER = "X-SCR-Role"
ALGORITHMS = ("RS256", "ES256")
CLOCK_SKEW_SECONDS = 30
MAX_USER_LENGTH = 128
_ROLE_VALUES = frozenset(role.value for role in Role)

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="OIDC access token (JWT); in dev mode `dev:<role>:<user>`, e.g. `dev:independent_chair:alice`",
)
_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class Principal:
    """An authenticated person: every SCR role the token grants, and their board if the token names one."""

    user: str
    roles: tuple[Role, ...]
    board: str | None = None


def check_auth_settings(settings: Settings) -> None:
    """Refuse to start with an unsafe or incomplete authentication set-up."""
    if settings.environment == "production" and settings.auth_mode == "dev":
        raise RuntimeError(
            "SCR_ENVIRONMENT=production refuses SCR_AUTH_MODE=dev (dev tokens let anyone claim any role): "
            "set SCR_AUTH_MODE=oidc with SCR_OIDC_ISSUER and SCR_OIDC_AUDIENCE."
        )
    if settings.auth_mode == "oidc":
        required = {"SCR_OIDC_ISSUER": settings.oidc.issuer, "SCR_OIDC_AUDIENCE": settings.oidc.audience}
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise RuntimeError(f"SCR_AUTH_MODE=oidc needs {' and '.join(missing)}.")
    _ = settings.calendar_feed  # production refuses to start without SCR_CALENDAR_FEED_SECRET


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Check the settings and keep the token verifier (with its JWKS cache) for the app's lifetime."""
    check_auth_settings(settings)
    app.state.oidc = OidcVerifier.from_settings(settings) if settings.auth_mode == "oidc" else None


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(401, "Not authenticated", detail, headers=_WWW_AUTHENTICATE)


def _forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "Forbidden", detail)


class OidcVerifier:
    """Validates bearer JWTs against the issuer's JWKS (cached; refetched when an unknown key id appears)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        roles_claim: str = "roles",
        board_claim: str = "board",
        jwks_cooldown_seconds: float = 30.0,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.roles_claim = roles_claim
        self.board_claim = board_claim
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=300, timeout=10, cooldown_duration=jwks_cooldown_seconds
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcVerifier:
        check_auth_settings(settings)
        oidc = settings.oidc
        if not (oidc.issuer and oidc.audience and oidc.jwks_url):
            raise RuntimeError("SCR_AUTH_MODE=oidc needs SCR_OIDC_ISSUER and SCR_OIDC_AUDIENCE.")
        return cls(
            issuer=oidc.issuer,
            audience=oidc.audience,
            jwks_url=oidc.jwks_url,
            roles_claim=oidc.roles_claim,
            board_claim=oidc.board_claim,
            jwks_cooldown_seconds=oidc.jwks_cooldown_seconds,
        )

    @overload
    def verify(self, token: str) -> Principal: ...
    @overload
    def verify(self, token: str, *, fetch_keys: bool) -> Principal | None: ...

    def verify(self, token: str, *, fetch_keys: bool = True) -> Principal | None:
        """The token's principal, or ProblemError 401 (bad token), 403 (no SCR role) or 503 (JWKS unreachable).
        Blocking when it must fetch the JWKS: call it from a thread then. Without ``fetch_keys`` it returns None
        instead of fetching, so the usual case (keys cached) needs no thread."""
        if token.startswith("dev:"):
            raise _unauthenticated("Dev tokens are accepted only when SCR_AUTH_MODE=dev; send an OIDC access token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise _unauthenticated("The bearer token is not a JWT.") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise _unauthenticated(
                f"Tokens signed with {str(algorithm)[:20]!r} are not accepted; only {' or '.join(ALGORITHMS)}."
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _unauthenticated("The token does not name its signing key (kid).")
        key = self._cached_key(kid)
        if key is None and not fetch_keys:
            return None
        try:
            key = key or self._jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            raise ProblemError(
                503, "Identity provider unavailable", "The identity provider's signing keys cannot be fetched."
            ) from None
        except jwt.PyJWKClientError:
            raise _unauthenticated("The token is signed with a key the identity provider does not publish.") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthenticated("The token has expired.") from None
        except jwt.InvalidIssuerError:
            raise _unauthenticated("The token was not issued by this service's identity provider (iss).") from None
        except jwt.InvalidAudienceError:
            raise _unauthenticated("The token is not meant for this service (aud).") from None
        except jwt.InvalidSignatureError:
            raise _unauthenticated("The token's signature is not valid.") from None
        except jwt.MissingRequiredClaimError as error:
            raise _unauthenticated(f"The token has no '{error.claim}' claim.") from None
        except jwt.ImmatureSignatureError:
            raise _unauthenticated("The token is not valid yet (nbf/iat).") from None
        except jwt.InvalidTokenError:
            raise _unauthenticated("The token is not valid.") from None
        return self._principal(claims)

    def _cached_key(self, kid: str) -> jwt.PyJWK | None:
        """The signing key ``kid`` from the cached JWKS, as PyJWKClient would pick it, without fetching."""
        cache = self._jwks.jwk_set_cache
        keys = cache.get() if cache is not None else None  # None once the cached set has expired
        if keys is None:
            return None
        return next((k for k in keys.keys if k.key_id == kid and k.public_key_use in ("sig", None)), None)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        user = claims["sub"]
        if not isinstance(user, str) or not user or len(user) > MAX_USER_LENGTH:
            raise _unauthenticated(f"The token's subject (sub) must be a string of 1 to {MAX_USER_LENGTH} characters.")
        found = _claim(claims, self.roles_claim)
        if found is None:
            raise _forbidden(
                f"Your token has no '{self.roles_claim}' claim, so it grants no role in this service; "
                "ask the identity provider's administrator to assign you an SCR role."
            )
        names = found.split() if isinstance(found, str) else found if isinstance(found, list) else []
        roles = tuple(dict.fromkeys(Role(n) for n in names if isinstance(n, str) and n in _ROLE_VALUES))
        if not roles:
            raise _forbidden(
                f"None of the roles in your token's '{self.roles_claim}' claim is a role in this service. "
                f"Known roles: {', '.join(r.value for r in Role)}."
            )
        board = _claim(claims, self.board_claim)
        if isinstance(board, list) and len(board) == 1:
            board = board[0]
        return Principal(user=user, roles=roles, board=board.upper() if isinstance(board, str) and board else None)


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def parse_dev_token(token: str) -> Principal:
    """``dev:<role>:<user>`` (every board this deployment serves) or ``dev:<role>:<user>:<board>``."""
    parts = token.split(":")
    if len(parts) not in (3, 4) or parts[0] != "dev" or not parts[2] or (len(parts) == 4 and not parts[3]):
        raise _unauthenticated("A dev token has the form 'dev:<role>:<user>' or 'dev:<role>:<user>:<board>'.")
    try:
        role = Role(parts[1])
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise _unauthenticated(f"Unknown role '{parts[1]}'. Known roles: {known}.") from None
    board = parts[3].upper()[:16] if len(parts) == 4 else None
    return Principal(user=parts[2][:MAX_USER_LENGTH], roles=(role,), board=board)


def authenticate(request: Request, token: str) -> Principal:
    """The principal a bearer token proves, by the app's auth mode; kept on ``request.state.principal``.
    It may block (fetching the identity provider's keys): call it from a thread."""
    principal = _authenticate(request, token, fetch_keys=True)
    assert principal is not None  # fetching allowed: a principal or an error
    return principal


def authenticate_without_fetching(request: Request, token: str) -> Principal | None:
    """As ``authenticate``, never blocking: None when the identity provider's keys would have to be fetched."""
    return _authenticate(request, token, fetch_keys=False)


def _authenticate(request: Request, token: str, *, fetch_keys: bool) -> Principal | None:
    settings: Settings = request.app.state.context.settings
    if settings.auth_mode == "dev":
        principal: Principal | None = parse_dev_token(token)
    else:
        verifier: OidcVerifier | None = getattr(request.app.state, "oidc", None)
        if verifier is None:  # an app not built by create_app
            verifier = OidcVerifier.from_settings(settings)
            request.app.state.oidc = verifier
        principal = verifier.verify(token, fetch_keys=fetch_keys)
    if principal is not None:
        request.state.principal = principal
    return principal


def choose_role(principal: Principal, requested: str | None) -> Actor:
    """The one role this request acts in: the one named in X-SCR-Role, or the token's only role."""
    if requested:
        try:
            role = Role(requested.strip())
        except ValueError:
            raise _forbidden(f"{ROLE_HEADER}: '{requested[:64]}' is not a role in this service.") from None
        if role not in principal.roles:
            raise _forbidden(f"{ROLE_HEADER}: your token does not grant the role '{role.value}'.")
        return Actor(user=principal.user, role=role)
    if len(principal.roles) == 1:
        return Actor(user=principal.user, role=principal.roles[0])
    raise ProblemError(
        400,
        "Role required",
        f"Your token grants several roles ({', '.join(r.value for r in principal.roles)}); "
        f"name the one you act in with the {ROLE_HEADER} header.",
    )


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise ProblemError(
            401,
            "Not authenticated",
            "Send 'Authorization: Bearer <token>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return credentials.credentials


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    role: Annotated[
        str | None,
        Header(
            alias=ROLE_HEADER,
            description="The role to act in, when your token grants several (it must be one of them).",
        ),
    ] = None,
) -> Actor:
    # Async, so a request needs no worker thread (they queue under load); only a key fetch goes to one.
    token = bearer_token(credentials)
    principal = authenticate_without_fetching(request, token)
    if principal is None:
        principal = await run_in_threadpool(authenticate, request, token)
    return choose_role(principal, role)


CurrentActor = Annotated[Actor, Depends(current_actor)]
