"""Calendar feed tokens: what they carry, and that nothing but an unexpired token signed by a listed secret passes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from api.feed_tokens import FeedGrant, FeedTokenError, _encode, _sign, issue_feed_token, verify_feed_token
from domain.roles import Role
from store.settings import DEV_CALENDAR_FEED_SECRET, Settings

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NEW = b"n" * 32
OLD = b"o" * 32
GRANT = FeedGrant(user="alice@board", role=Role.INDEPENDENT_CHAIR, board="NEL", expires_at=NOW + timedelta(days=180))


def test_a_token_round_trips_and_is_url_safe() -> None:
    token = issue_feed_token(GRANT, NEW)
    assert token.startswith("v1.")
    assert all(c.isalnum() or c in "-_." for c in token)
    assert verify_feed_token(token, [NEW], now=NOW) == GRANT
    unscoped = FeedGrant(user="ann", role=Role.AUDITOR, board=None, expires_at=GRANT.expires_at)
    assert verify_feed_token(issue_feed_token(unscoped, NEW), [NEW], now=NOW) == unscoped


def test_it_carries_user_role_board_and_expiry_and_is_signed_not_encrypted() -> None:
    payload = issue_feed_token(GRANT, NEW).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims == {"u": "alice@board", "r": "independent_chair", "b": "NEL", "e": int(GRANT.expires_at.timestamp())}


def test_rotation_signs_with_the_first_secret_and_verifies_with_every_listed_one() -> None:
    old_token = issue_feed_token(GRANT, OLD)
    assert verify_feed_token(old_token, [NEW, OLD], now=NOW) == GRANT
    with pytest.raises(FeedTokenError, match="not valid"):
        verify_feed_token(old_token, [NEW], now=NOW)  # the old secret removed: its tokens are revoked


def _with_claims(token: str, **changes: object) -> str:
    version, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) | changes
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{version}.{forged}.{signature}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _with_claims(t, r="operator"),  # another role
        lambda t: _with_claims(t, b="XYZ"),  # another board
        lambda t: _with_claims(t, e=2_000_000_000),  # a later expiry
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature
        lambda t: t + "=",
        lambda t: "v2" + t[2:],
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t + "." + t,
        lambda t: "",
        lambda t: "v1.e30." + "A" * 2000,
        lambda t: "dev:independent_chair:alice",
    ],
)
def test_anything_tampered_or_malformed_is_refused(tamper: object) -> None:
    assert callable(tamper)
    with pytest.raises(FeedTokenError, match="not valid") as refused:
        verify_feed_token(tamper(issue_feed_token(GRANT, NEW)), [NEW], now=NOW)
    assert refused.value.user is None  # an unproven token names nobody


def test_a_token_signed_over_bad_claims_is_refused() -> None:
    bad_claims: list[object] = [[], {"u": "a", "r": "king", "e": 1}, {"u": "", "r": "auditor", "e": 1}, {"u": "a"}]
    for claims in bad_claims:
        payload = _encode(json.dumps(claims).encode())
        forged = f"v1.{payload}.{_encode(_sign(payload, NEW))}"  # what only a holder of the secret could make
        with pytest.raises(FeedTokenError, match="not valid"):
            verify_feed_token(forged, [NEW], now=NOW)


def test_an_expired_token_is_refused_naming_its_holder() -> None:
    token = issue_feed_token(GRANT, NEW)
    with pytest.raises(FeedTokenError, match="expired on 2027-05-19") as refused:
        verify_feed_token(token, [NEW], now=GRANT.expires_at)
    assert (refused.value.user, refused.value.role) == ("alice@board", "independent_chair")


def test_the_secret_setting() -> None:
    assert Settings().calendar_feed_secrets() == (DEV_CALENDAR_FEED_SECRET,)
    rotated = Settings(calendar_feed_secret=SecretStr(f" {NEW.decode()} , {OLD.decode()} "))
    assert rotated.calendar_feed_secrets() == (NEW, OLD)
    with pytest.raises(ValidationError, match="secret 2 has 5 characters; use at least 32") as short:
        Settings(calendar_feed_secret=SecretStr(f"{NEW.decode()},short"))
    assert "short" not in str(short.value).replace("secret 2 has 5 characters", "")
    production = Settings(environment="production", payload_keys="k:" + base64.b64encode(b"k" * 32).decode())
    with pytest.raises(RuntimeError, match="production needs SCR_CALENDAR_FEED_SECRET"):
        production.calendar_feed_secrets()
    assert Settings().calendar_feed_days == 180
