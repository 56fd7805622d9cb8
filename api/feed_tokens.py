"""Calendar feed tokens: calendar apps subscribe to a URL and cannot send an Authorization header, so the
subscription URL carries a token that grants the deadline calendar (``GET /api/v1/calendar.ics``) and nothing else.

Format: ``v1.<payload>.<signature>``, both parts base64url without padding. The payload is compact JSON
``{"u": user, "r": role, "b": board or null, "e": expiry in Unix seconds}``; the signature is HMAC-SHA256 over
``scr-calendar-feed.v1.<payload>`` with the first secret of SCR_CALENDAR_FEED_SECRET. Every listed secret verifies,
so a new secret goes first and the old one stays until its tokens may expire; removing a secret revokes its tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.roles import Role

VERSION = "v1"
MAX_TOKEN_LENGTH = 1024
_CONTEXT = b"scr-calendar-feed."  # domain separation: these secrets sign nothing else
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
    claims = {"u": grant.user, "r": grant.role.value, "b": grant.board, "e": int(grant.expires_at.timestamp())}
    payload = _encode(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{VERSION}.{payload}.{_encode(_sign(payload, secret))}"


def verify_feed_token(token: str, secrets: Sequence[bytes], *, now: datetime) -> FeedGrant:
    """The grant a token carries, or FeedTokenError when it is malformed, tampered, signed by an unknown secret,
    or expired."""
    invalid = FeedTokenError("The calendar feed token is not valid.")
    parts = token.split(".")
    if len(token) > MAX_TOKEN_LENGTH or len(parts) != 3 or parts[0] != VERSION:
        raise invalid
    _version, payload, signature = parts
    # Compared in its canonical encoding, so no second spelling of a signature verifies.
    if not any(hmac.compare_digest(_encode(_sign(payload, secret)), signature) for secret in secrets):
        raise invalid
    try:
        claims: Any = json.loads(_decode(payload))
    except ValueError:
        raise invalid from None
    grant = _grant(claims)
    if grant is None:
        raise invalid
    if grant.expires_at <= now:
        raise FeedTokenError(
            f"The calendar feed token expired on {grant.expires_at.date().isoformat()}.",
            user=grant.user,
            role=grant.role.value,
        )
    return grant


def _grant(claims: Any) -> FeedGrant | None:
    if not isinstance(claims, dict):
        return None
    user, role, board, expiry = claims.get("u"), claims.get("r"), claims.get("b"), claims.get("e")
    if not isinstance(user, str) or not user or role not in _ROLES or not isinstance(expiry, int):
        return None
    if board is not None and not isinstance(board, str):
        return None
    try:
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return FeedGrant(user=user, role=_ROLES[role], board=board, expires_at=expires_at)


def _sign(payload: str, secret: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + VERSION.encode() + b"." + payload.encode(), hashlib.sha256).digest()


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    if "=" in text:
        raise ValueError("padded")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except binascii.Error:
        raise ValueError("not base64url") from None
