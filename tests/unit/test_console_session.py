"""The console's session cookie: signed, so a changed cookie is no session; one secret for every API process."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from api.console import install_console, session_secret
from api.console.session import ConsoleSession, SessionSigner
from store.settings import Settings
from tests.support.payload_keys import TEST_PAYLOAD_KEYS

SECRET = "s" * 40


def test_a_cookie_signed_by_one_process_is_read_by_another_with_the_same_secret() -> None:
    session = ConsoleSession().signing_in(user="kim", roles=("sub_group",), board="NEL")
    value = SessionSigner(SECRET.encode()).dumps(session)
    assert SessionSigner(SECRET.encode()).loads(value) == session
    assert SessionSigner(b"t" * 40).loads(value) is None
    payload, _, mac = value.partition(".")
    assert SessionSigner(SECRET.encode()).loads(f"{payload}x.{mac}") is None  # changed: no session


def test_production_with_console_sign_in_needs_the_secret() -> None:
    production: dict[str, Any] = {
        "environment": "production",
        "oidc_client_id": "scr-console",
        "payload_keys": TEST_PAYLOAD_KEYS,
    }
    with pytest.raises(RuntimeError, match="SCR_CONSOLE_SESSION_SECRET"):
        session_secret(Settings(**production))
    with pytest.raises(RuntimeError, match="at least 32"):
        session_secret(Settings(**production, console_session_secret=SecretStr("short")))
    assert session_secret(Settings(**production, console_session_secret=SecretStr(SECRET))) == SECRET.encode()
    assert session_secret(Settings()) is None  # dev: one per process


def test_install_uses_the_configured_secret() -> None:
    app = FastAPI()
    install_console(app, Settings(console_session_secret=SecretStr(SECRET)))
    session = ConsoleSession()
    assert SessionSigner(SECRET.encode()).loads(app.state.console_sessions.dumps(session)) == session
