"""Calendar feed tokens: what they carry, and that nothing but an unexpired token signed by a listed secret, for the
calendar feed, passes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr, ValidationError

from api.feed_tokens import AUDIENCE, FeedGrant, FeedTokenError, issue_feed_token, verify_feed_token
from domain.roles import Role
from store.settings import DEV_CALENDAR_FEED_SECRET, Settings

NOW = datetime.now(UTC).replace(microsecond=0)
NEW = b"n" * 32
OLD = b"o" * 32
GRANT = FeedGrant(user="alice@board", role=Role.INDEPENDENT_CHAIR, board="NEL", expires_at=NOW + timedelta(days=180))


def test_a_token_round_trips_and_is_url_safe() -> None:
    token = issue_feed_token(GRANT, NEW)
    assert all(c.isalnum() or c in "-_." for c in token)
    assert verify_feed_token(token, [NEW]) == GRANT
    unscoped = FeedGrant(user="ann", role=Role.AUDITOR, board=None, expires_at=GRANT.expires_at)
    assert verify_feed_token(issue_feed_token(unscoped, NEW), [NEW]) == unscoped


def test_it_carries_user_role_board_purpose_and_expiry_and_is_signed_not_encrypted() -> None:
    claims = jwt.decode(issue_feed_token(GRANT, NEW), options={"verify_signature": False})
    assert claims == {
        "sub": "alice@board",
        "role": "independent_chair",
        "board": "NEL",
        "aud": AUDIENCE,
        "exp": int(GRANT.expires_at.timestamp()),
    }


def test_rotation_signs_with_the_first_secret_and_verifies_with_every_listed_one() -> None:
    old_token = issue_feed_token(GRANT, OLD)
    new_token = issue_feed_token(GRANT, NEW)
    assert old_token != new_token
    assert verify_feed_token(old_token, [NEW, OLD]) == GRANT  # the old secret still listed: its tokens verify
    assert verify_feed_token(new_token, [NEW, OLD]) == GRANT
    with pytest.raises(FeedTokenError, match="not valid"):
        verify_feed_token(old_token, [NEW])  # the old secret removed: its tokens are revoked
    with pytest.raises(FeedTokenError, match="not valid"):
        verify_feed_token(new_token, [])


def _with_claims(token: str, **changes: object) -> str:
    """The token with its payload changed and its signature kept, as a forger without the secret would try."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) | changes
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _with_signature_changed(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"  # the first character carries 6 bits


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _with_claims(t, role="operator"),  # another role
        lambda t: _with_claims(t, board="XYZ"),  # another board
        lambda t: _with_claims(t, exp=2_000_000_000),  # a later expiry
        lambda t: _with_signature_changed(t),
        lambda t: t.rsplit(".", 1)[0],
        lambda t: t + "." + t,
        lambda t: "",
        lambda t: "v1.garbage",
        lambda t: t.split(".")[0] + ".e30." + "A" * 2000,
        lambda t: "dev:independent_chair:alice",
        lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}), OLD, algorithm="HS256"),  # unlisted
        lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}), NEW * 2, algorithm="HS512"),
        lambda t: jwt.encode(jwt.decode(t, options={"verify_signature": False}), "", algorithm="none"),
    ],
)
def test_anything_tampered_or_malformed_is_refused(tamper: object) -> None:
    assert callable(tamper)
    with pytest.raises(FeedTokenError, match="not valid") as refused:
        verify_feed_token(tamper(issue_feed_token(GRANT, NEW)), [NEW])
    assert refused.value.user is None  # an unproven token names nobody


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "a", "role": "king", "aud": AUDIENCE, "exp": 2_000_000_000},  # no such role
        {"sub": "", "role": "auditor", "aud": AUDIENCE, "exp": 2_000_000_000},  # nobody
        {"sub": "a", "role": ["auditor"], "aud": AUDIENCE, "exp": 2_000_000_000},
        {"sub": "a", "role": "auditor", "board": 7, "aud": AUDIENCE, "exp": 2_000_000_000},
        {"sub": "a", "role": "auditor", "aud": AUDIENCE},  # no expiry
        {"sub": "a", "role": "auditor", "exp": 2_000_000_000},  # no purpose
        {"sub": "a", "role": "auditor", "aud": "scr-api", "exp": 2_000_000_000},  # meant for something else
        {"role": "auditor", "aud": AUDIENCE, "exp": 2_000_000_000},
        {"sub": "a", "aud": AUDIENCE, "exp": 2_000_000_000},
    ],
)
def test_a_token_signed_over_bad_claims_is_refused(claims: dict[str, object]) -> None:
    forged = jwt.encode(claims, NEW, algorithm="HS256")  # what only a holder of the secret could make
    with pytest.raises(FeedTokenError, match="not valid"):
        verify_feed_token(forged, [NEW])


def test_an_expired_token_is_refused_naming_its_holder() -> None:
    expires_at = NOW - timedelta(days=1)
    token = issue_feed_token(
        FeedGrant(user="alice@board", role=Role.INDEPENDENT_CHAIR, board="NEL", expires_at=expires_at), OLD
    )
    with pytest.raises(FeedTokenError, match=f"expired on {expires_at.date().isoformat()}") as refused:
        verify_feed_token(token, [NEW, OLD])
    assert (refused.value.user, refused.value.role) == ("alice@board", "independent_chair")
    with pytest.raises(FeedTokenError, match="not valid") as unproven:
        verify_feed_token(token, [NEW])  # expired, but by a secret no longer listed: proves nothing
    assert unproven.value.user is None
    other_purpose = jwt.encode({"sub": "a", "role": "auditor", "aud": "scr-api", "exp": expires_at}, NEW)
    with pytest.raises(FeedTokenError, match="not valid"):
        verify_feed_token(other_purpose, [NEW])


def test_the_secret_setting() -> None:
    assert Settings().calendar_feed.secrets == (DEV_CALENDAR_FEED_SECRET,)
    rotated = Settings(calendar_feed_secret=SecretStr(f" {NEW.decode()} , {OLD.decode()} "))
    assert rotated.calendar_feed.secrets == (NEW, OLD)
    assert NEW.decode() not in repr(rotated) + repr(rotated.calendar_feed)
    with pytest.raises(ValidationError, match="secret 2 has 5 characters; use at least 32") as short:
        Settings(calendar_feed_secret=SecretStr(f"{NEW.decode()},short"))
    assert "short" not in str(short.value).replace("secret 2 has 5 characters", "")
    production = Settings(environment="production", payload_keys="k:" + base64.b64encode(b"k" * 32).decode())
    with pytest.raises(RuntimeError, match="production needs SCR_CALENDAR_FEED_SECRET"):
        _ = production.calendar_feed
    assert Settings().calendar_feed.days == 180


def test_the_secret_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_CALENDAR_FEED_SECRET", f"{NEW.decode()},{OLD.decode()}")
    monkeypatch.setenv("SCR_CALENDAR_FEED_DAYS", "30")
    feed = Settings().calendar_feed
    assert (feed.secrets, feed.days) == ((NEW, OLD), 30)
