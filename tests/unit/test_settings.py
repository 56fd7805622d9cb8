"""Settings: list settings are typed lists read from comma-separated variables, and the groups that belong together
read as one typed, read-only object, both from the same flat SCR_* variables as ever."""

from __future__ import annotations

import base64
import dataclasses
from datetime import date

import pytest
from pydantic import SecretStr, ValidationError

from domain.local_practice import LocalPractice
from store.settings import Settings

KEY = base64.b64encode(b"k" * 32).decode()


def test_list_settings_are_typed_lists_from_comma_separated_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_BOARDS", " nel, SEL ,,nel")
    monkeypatch.setenv("SCR_CLOSURE_DAYS", "2016-03-29, 2016-12-28")
    monkeypatch.setenv("SCR_CODEC_CORS_ORIGINS", "https://ui.board.example/ , http://localhost:8233")
    monkeypatch.setenv("SCR_PAYLOAD_KEYS", f"k1:{KEY}, k0:{KEY}")
    monkeypatch.setenv("SCR_CALENDAR_FEED_SECRET", f"{'a' * 32},{'b' * 40}")
    settings = Settings()
    assert settings.boards == ["NEL", "SEL"]
    assert settings.board_codes == frozenset({"NEL", "SEL"})
    assert settings.closure_days == [date(2016, 3, 29), date(2016, 12, 28)]
    assert settings.closures == frozenset(settings.closure_days)
    assert settings.codec_cors_origins == ["https://ui.board.example", "http://localhost:8233"]
    assert [key.get_secret_value() for key in settings.payload_keys] == [f"k1:{KEY}", f"k0:{KEY}"]
    assert settings.payload_key_ring() == ("k1", {"k1": b"k" * 32, "k0": b"k" * 32})
    assert settings.calendar_feed.secrets == (b"a" * 32, b"b" * 40)
    assert KEY not in repr(settings)


def test_list_settings_from_code_and_their_defaults() -> None:
    assert Settings(boards="nel").boards == ["NEL"]
    assert Settings(boards=["nel", "sel"]).boards == ["NEL", "SEL"]
    assert Settings(closure_days=[date(2016, 3, 29)]).closures == {date(2016, 3, 29)}
    assert Settings(calendar_feed_secret=[SecretStr("c" * 32)]).calendar_feed.secrets == (b"c" * 32,)
    defaults = Settings()
    assert (defaults.boards, defaults.closure_days) == (["NEL"], [])
    assert defaults.codec_cors_origins == ["http://127.0.0.1:8233", "http://localhost:8233"]
    assert Settings(closure_days="").closure_days == []


def test_a_bad_list_item_is_one_error_on_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_CLOSURE_DAYS", "2016-03-29,Easter")
    with pytest.raises(ValidationError) as refused:
        Settings()
    [problem] = refused.value.errors()
    assert problem["loc"] == ("closure_days",)
    assert problem["msg"] == "Value error, SCR_CLOSURE_DAYS: 'Easter' is not a date (YYYY-MM-DD)"


def test_grouped_settings_read_the_flat_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_SMTP_HOST", "relay.board.example")
    monkeypatch.setenv("SCR_SMTP_PORT", "587")
    monkeypatch.setenv("SCR_SMTP_STARTTLS", "true")
    monkeypatch.setenv("SCR_SMTP_USERNAME", "scr")
    monkeypatch.setenv("SCR_SMTP_PASSWORD", "relay-password")
    monkeypatch.setenv("SCR_MAIL_FROM", "scr@board.example")
    monkeypatch.setenv("SCR_MAIL_OFSTED", "ofsted@ofsted.example")
    monkeypatch.setenv("SCR_OIDC_ISSUER", "https://login.board.example/realms/scr/")
    monkeypatch.setenv("SCR_OIDC_AUDIENCE", "scr-api")
    monkeypatch.setenv("SCR_OIDC_ROLES_CLAIM", "realm_access.roles")
    monkeypatch.setenv("SCR_OIDC_JWKS_COOLDOWN_SECONDS", "5")
    monkeypatch.setenv("SCR_CALENDAR_FEED_DAYS", "30")
    settings = Settings()

    smtp = settings.smtp
    assert (smtp.host, smtp.port, smtp.starttls, smtp.username, smtp.password) == (
        "relay.board.example",
        587,
        True,
        "scr",
        "relay-password",
    )
    assert "relay-password" not in repr(smtp)
    mail = settings.mail
    assert (mail.sender, mail.ofsted, mail.dfe) == ("scr@board.example", "ofsted@ofsted.example", settings.mail_dfe)
    assert {field.name for field in dataclasses.fields(mail)} == {
        "sender",
        "ofsted",
        "dfe",
        "national_panel",
        "chair",
        "sub_group",
        "business_manager",
        "partners",
    }
    oidc = settings.oidc
    assert (oidc.issuer, oidc.audience) == ("https://login.board.example/realms/scr/", "scr-api")
    assert oidc.jwks_url == "https://login.board.example/realms/scr/.well-known/jwks.json"
    assert (oidc.roles_claim, oidc.board_claim, oidc.jwks_cooldown_seconds) == ("realm_access.roles", "board", 5.0)
    assert settings.calendar_feed.days == 30

    with pytest.raises(dataclasses.FrozenInstanceError):
        smtp.host = "elsewhere"  # type: ignore[misc]
    monkeypatch.setenv("SCR_OIDC_JWKS_URL", "https://keys.board.example/jwks.json")
    assert Settings().oidc.jwks_url == "https://keys.board.example/jwks.json"
    assert Settings(oidc_issuer=None).oidc.jwks_url == "https://keys.board.example/jwks.json"
    monkeypatch.delenv("SCR_OIDC_JWKS_URL")
    assert Settings(oidc_issuer=None).oidc.jwks_url is None


def test_each_board_has_its_own_closure_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_BOARDS", "NEL,KEN")
    monkeypatch.setenv("SCR_CLOSURE_DAYS", "2026-12-24")
    monkeypatch.setenv("SCR_BOARD_CLOSURE_DAYS", "nel=2026-12-29 2026-12-30; KEN=2026-12-31")

    closures = Settings().closures_by_board()

    assert closures == {
        "NEL": {date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 30)},
        "KEN": {date(2026, 12, 24), date(2026, 12, 31)},
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NEL:2026-12-29", "is not BOARD=YYYY-MM-DD"),
        ("NEL=29/12/2026", "has a day that is not YYYY-MM-DD"),
        ("SEL=2026-12-29", "names boards not in SCR_BOARDS: SEL"),
    ],
)
def test_a_bad_board_closure_setting_is_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv("SCR_BOARD_CLOSURE_DAYS", value)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_local_practice_is_off_unless_a_board_sets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().local_practice == LocalPractice(
        retention_review_months=0, chair_consent_step=False, publication_steps_days_before=1
    )
    monkeypatch.setenv("SCR_RETENTION_REVIEW_MONTHS", "3")
    monkeypatch.setenv("SCR_CHAIR_CONSENT_STEP", "true")
    practice = Settings().local_practice
    assert (practice.retention_review_months, practice.chair_consent_step) == (3, True)


def test_the_publication_decision_interval_is_set_per_board(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_PUBLICATION_DECISION_INTERVAL_DAYS", "15")
    monkeypatch.setenv("SCR_PUBLICATION_DECISION_INTERVAL_BY_BOARD", " nel=5, ABC = 20 ")
    intervals = Settings().local_intervals
    assert [intervals.publication_decision_days(b) for b in ("NEL", "ABC", "SEL", None)] == [5, 20, 15, 15]

    monkeypatch.setenv("SCR_PUBLICATION_DECISION_INTERVAL_BY_BOARD", "NEL=soon")
    with pytest.raises(ValidationError, match="SCR_PUBLICATION_DECISION_INTERVAL_BY_BOARD: 'NEL=soon'"):
        Settings()
