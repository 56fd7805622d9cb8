"""The console's session: a signed cookie holding who signed in (user, roles, board) and the session's CSRF token.

Signed with HMAC-SHA256 under SCR_CONSOLE_SESSION_SECRET, or, unset (dev), a secret made when the process starts:
then sessions end when the API restarts and are not shared between API processes.
HttpOnly, SameSite=Lax, Secure when served over https, and scoped to /console so the API never sees it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field, replace

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request, Response

COOKIE = "scr_console"
PATH = "/console"
MAX_AGE_SECONDS = 8 * 3600  # a working day


def _token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ConsoleSession:
    csrf: str = field(default_factory=_token)
    user: str | None = None
    role: str | None = None
    """The role acted in now: one of ``roles``."""
    roles: tuple[str, ...] = ()
    board: str | None = None
    issued: int = field(default_factory=lambda: int(time.time()))
    verified: bool = False
    """Signed in through the identity provider (its access token verified as the API verifies them)."""
    oidc_state: str | None = None
    oidc_verifier: str | None = None
    """While signing in with the identity provider: the request's state and PKCE code verifier."""
    token_expires: int | None = None
    """When the identity provider's access token behind the session expires (its ``exp``): near it the session
    is refreshed or ends (api/console/oidc_refresh.py)."""
    refresh: str | None = None
    """The identity provider's refresh token, encrypted (``SessionSigner.seal``), if it gave one."""

    @property
    def signed_in(self) -> bool:
        return self.user is not None and self.role is not None

    def signing_in(
        self,
        *,
        user: str,
        roles: tuple[str, ...],
        board: str | None,
        verified: bool = False,
        token_expires: int | None = None,
        refresh: str | None = None,
    ) -> ConsoleSession:
        """A new session for the person (a fresh CSRF token, so one taken before sign-in is worthless after),
        acting in the first of their roles."""
        return ConsoleSession(
            user=user,
            role=roles[0],
            roles=roles,
            board=board,
            verified=verified,
            token_expires=token_expires,
            refresh=refresh,
        )

    def acting_as(self, role: str) -> ConsoleSession:
        return replace(self, role=role)

    def renewed(self) -> ConsoleSession:
        return replace(self, issued=int(time.time()))


class SessionSigner:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        # The cookie is signed, not encrypted: a refresh token in it is sealed under a key of its own.
        sealing = hmac.new(self._secret, b"scr-console refresh token", hashlib.sha256).digest()
        self._sealer = Fernet(base64.urlsafe_b64encode(sealing))

    def seal(self, text: str) -> str:
        return self._sealer.encrypt(text.encode()).decode()

    def unseal(self, sealed: str) -> str | None:
        try:
            return self._sealer.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None

    def _mac(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._secret, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def dumps(self, session: ConsoleSession) -> str:
        payload = base64.urlsafe_b64encode(json.dumps(asdict(session), separators=(",", ":")).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def loads(self, value: str) -> ConsoleSession | None:
        """The session, or None for a cookie that is forged, damaged or older than MAX_AGE_SECONDS."""
        payload, _, mac = value.partition(".")
        if not hmac.compare_digest(self._mac(payload.encode()), mac):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            session = ConsoleSession(**{**data, "roles": tuple(data.get("roles") or ())})
        except (ValueError, TypeError):
            return None
        if not isinstance(session.csrf, str) or time.time() - session.issued > MAX_AGE_SECONDS:
            return None
        return session


def signer(request: Request) -> SessionSigner:
    found: SessionSigner = request.app.state.console_sessions
    return found


def read_session(request: Request) -> tuple[ConsoleSession, bool]:
    """The request's session and whether it is new (so the response must set the cookie). A session refreshed
    for this request (api/console/oidc_refresh.py) is the one its cookie will hold."""
    renewed = getattr(request.state, "console_session", None)
    if isinstance(renewed, ConsoleSession):
        return renewed, False
    value = request.cookies.get(COOKIE)
    session = signer(request).loads(value) if value else None
    return (session, False) if session is not None else (ConsoleSession(), True)


def write_session(request: Request, response: Response, session: ConsoleSession) -> None:
    response.set_cookie(
        COOKIE,
        signer(request).dumps(session),
        max_age=MAX_AGE_SECONDS,
        path=PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def csrf_matches(session: ConsoleSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")
