"""Calendar feed tokens: calendar apps subscribe to a URL and cannot send an Authorization header, so the
subscription URL carries a token that grants the deadline calendar (``GET /api/v1/calendar.ics``) and nothing else.

A token is a JWT signed with HS256 by PyJWT, with the first secret of SCR_CALENDAR_FEED_SECRET. Its claims:
``sub`` (the user), ``role``, ``board`` (or null), ``aud`` = :data:`AUDIENCE` (the calendar feed, nothing else) and
``exp``. PyJWT checks the signature, the algorithm, the audience, the required claims and the expiry. Every listed
secret verifies, so a new secret goes first and the old one stays until its tokens may expire; removing a secret
revokes its tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from domain.roles import Role

ALGORITHM = "HS256"
AUDIENCE = "scr:calendar-feed"
"""What the token is for: the deadline calendar only (OIDC access tokens carry this API's own audience)."""
MAX_TOKEN_LENGTH = 1024
_REQUIRED_CLAIMS = ["sub", "role", "aud", "exp"]
_ROLES = {role.value: role for role in Role}


@dataclass(frozen=True)
class FeedGrant:
    """What a token lets its holder read: the calendar of ``user`` acting as ``role``, scoped to ``board``."""

    user: str
    role: Role
    board: str | None
    expires_at: datetime


class FeedTokenError(Exception):
    """A token that does not grant the calendar. ``user`` and ``role`` are set only when the signature is valid
    (an expired token): for anything else the token's claims prove nothing."""

    def __init__(self, reason: str, *, user: str | None = None, role: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.role = role


def issue_feed_token(grant: FeedGrant, secret: bytes) -> str:
    claims = {
        "sub": grant.user,
        "role": grant.role.value,
        "board": grant.board,
        "aud": AUDIENCE,
        "exp": int(grant.expires_at.timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_feed_token(token: str, secrets: Sequence[bytes]) -> FeedGrant:
    """The grant a token carries, or FeedTokenError when it is malformed, tampered, signed by a secret not listed,
    meant for something else, or expired."""
    invalid = FeedTokenError("The calendar feed token is not valid.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    for secret in secrets:
        try:
            grant = _grant(_decode(token, secret, verify_exp=True))
        except jwt.InvalidSignatureError:
            continue  # perhaps signed by another listed secret
        except jwt.ExpiredSignatureError:
            expired = _expired_grant(token, secret)
            if expired is None:
                raise invalid from None
            raise FeedTokenError(
                f"The calendar feed token expired on {expired.expires_at.date().isoformat()}.",
                user=expired.user,
                role=expired.role.value,
            ) from None
        except jwt.InvalidTokenError:
            raise invalid from None
        if grant is None:
            raise invalid
        return grant
    raise invalid


def _decode(token: str, secret: bytes, *, verify_exp: bool) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        options={"require": _REQUIRED_CLAIMS, "verify_exp": verify_exp},
    )
    return claims


def _expired_grant(token: str, secret: bytes) -> FeedGrant | None:
    """The grant of a token PyJWT found expired: it checks the expiry only once the signature holds, so these
    claims are proven and may name the holder (in the refusal's audit)."""
    try:
        return _grant(_decode(token, secret, verify_exp=False))
    except jwt.InvalidTokenError:
        return None


def _grant(claims: dict[str, Any]) -> FeedGrant | None:
    """The grant signed claims describe, or None when they are not a grant (a role that does not exist...)."""
    user, role, board, expiry = claims["sub"], claims["role"], claims.get("board"), claims["exp"]
    if not isinstance(user, str) or not user or not isinstance(role, str) or role not in _ROLES:
        return None
    if not isinstance(expiry, int) or isinstance(expiry, bool):
        return None
    if board is not None and not isinstance(board, str):
        return None
    try:
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return FeedGrant(user=user, role=_ROLES[role], board=board, expires_at=expires_at)
