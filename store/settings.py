"""Service settings, read from the environment (prefix ``SCR_``) once, by the entry points.

It lives in ``store`` because it is the lowest layer that the API, the activities and the workers share;
nothing reads settings at import time: call :func:`load_settings` from an entry point.

Each setting is one flat ``SCR_*`` variable; list settings are comma-separated there and typed lists here. Settings
that belong together are also read as one typed, read-only group: ``settings.smtp``, ``settings.mail``,
``settings.oidc`` and ``settings.calendar_feed``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.local_practice import LocalIntervals, LocalPractice
from domain.rule_pack import SEED_BOARD


@dataclass(frozen=True)
class SmtpSettings:
    """The relay notices go through (SCR_SMTP_*)."""

    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None = field(repr=False)


@dataclass(frozen=True)
class MailSettings:
    """The notices' sender and the recipients every board gets without a notice directory (SCR_MAIL_*)."""

    sender: str
    """SCR_MAIL_FROM."""
    ofsted: str
    dfe: str
    national_panel: str
    chair: str
    sub_group: str
    business_manager: str
    partners: str


@dataclass(frozen=True)
class OidcSettings:
    """How the API verifies OIDC access tokens when SCR_AUTH_MODE=oidc (SCR_OIDC_*)."""

    issuer: str | None
    audience: str | None
    jwks_url: str | None
    """SCR_OIDC_JWKS_URL, or by default the issuer + /.well-known/jwks.json (None without an issuer)."""
    roles_claim: str
    board_claim: str
    jwks_cooldown_seconds: float


@dataclass(frozen=True)
class CalendarFeedSettings:
    """How calendar feed tokens are signed and how long they last (SCR_CALENDAR_FEED_*)."""

    secrets: tuple[bytes, ...] = field(repr=False)
    """The first signs, all verify; the public dev secret when none is set (never in production)."""
    days: int


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCR_", extra="ignore", hide_input_in_errors=True)

    environment: Literal["dev", "production"] = "dev"
    auth_mode: Literal["dev", "oidc"] = "dev"
    var_dir: Path = Path("var")
    database_url: str = "sqlite+aiosqlite:///var/scr.db"

    temporal_address: str = Field(
        "127.0.0.1:7233", validation_alias=AliasChoices("TEMPORAL_ADDRESS", "SCR_TEMPORAL_ADDRESS")
    )
    temporal_namespace: str = Field(
        "default", validation_alias=AliasChoices("TEMPORAL_NAMESPACE", "SCR_TEMPORAL_NAMESPACE")
    )
    task_queue: str = "scr-cases"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "scr-notices@lscb.example"
    mail_ofsted: str = "enquiries@ofsted.example"
    mail_dfe: str = "scr-notifications@dfe.example"
    mail_national_panel: str = "national-panel@dfe.example"
    mail_chair: str = "independent-chair@lscb.example"
    mail_sub_group: str = "scr-sub-group@lscb.example"
    mail_business_manager: str = "business-manager@lscb.example"
    mail_partners: str = "partners@lscb.example"
    notice_directory: Path | None = None
    """TOML file of each board's notice recipients (store/notice_directory.py; example:
    deploy/k8s/overlays/example/notice-directory.toml),
    checked when a worker starts. Unset: every board in SCR_BOARDS gets the SCR_MAIL_* addresses."""

    max_request_bytes: int = Field(1_048_576, ge=1024)
    """Largest JSON request body the API accepts (document uploads have their own limit)."""

    closure_days: Annotated[list[date], NoDecode] = []
    """Comma-separated days every board of this deployment is closed (YYYY-MM-DD). Closure days move internal
    reminders only: statutory deadlines count weekends and England & Wales bank holidays alone."""
    board_closure_days: Annotated[dict[str, list[date]], NoDecode] = {}
    """One board's own closure days, ``BOARD=YYYY-MM-DD YYYY-MM-DD;BOARD=...`` (e.g.
    ``NEL=2026-12-24 2026-12-29;KEN=2026-12-31``); added to ``closure_days`` for that board's cases."""

    # Local practice: steps the seeds do not require (domain/local_practice.py). A case keeps the values it
    # was opened with.
    retention_review_months: int = Field(0, ge=0, le=24)
    """Review a retained review with open actions every this many months; 0: no periodic review."""
    chair_consent_step: bool = False
    """Record the chair's consent as a pre-publication step (not in the seeds)."""
    publication_steps_days_before: int = Field(1, ge=1, le=60)
    """The pre-publication steps are due this many days before the publication date (the seeds set no day)."""

    publication_decision_interval_days: int = Field(10, ge=1, le=130)
    """Local practice (no seed fixes it; the SCIE quality marker, 003, asks for publication "as soon as possible"):
    while a case waits for its publication decision, the chair is reminded after this many working days and the
    business manager and sub-group are told after twice as many."""
    publication_decision_interval_by_board: Annotated[dict[str, int], NoDecode] = {}
    """Boards that set their own interval: comma-separated BOARD=DAYS (e.g. ``NEL=5,ABC=15``)."""

    boards: Annotated[list[str], NoDecode] = ["NEL"]
    """Comma-separated board codes this deployment serves (used in case references); upper case, no repeats."""
    board_procedures: Annotated[dict[str, str], NoDecode] = {}
    """Each board's own SCR procedure, cited by its cases' deadlines: ``BOARD=title`` pairs separated by ``;``,
    e.g. ``KEN=Kent Safeguarding Children Board SCR procedure``. A board without one cites "<BOARD> SCR
    procedure"; NEL, whose procedure and policy are the rule pack's seeds, cites them section by section."""

    worker_graceful_shutdown_seconds: float = Field(20.0, ge=0)
    """On SIGTERM the worker stops polling and gives in-flight activities this long before cancelling them;
    keep it below the orchestrator's grace period (Kubernetes terminationGracePeriodSeconds)."""
    worker_workflow_sandbox: bool = False
    """Run workflow code inside the SDK's sandbox (``true``) or not (``false``, the default). The sandbox checks
    determinism at run time but costs every workflow task about a third of its time (BENCHMARKS.md, P9); the
    test suite runs the fast tier and every replay inside it, so clock, network or database reads in workflow code
    are caught there. Turn it on to have them caught in production too."""
    worker_max_cached_workflows: int = Field(1000, ge=0)
    """Cases the worker keeps in memory (about 0.25 MB each, BENCHMARKS.md). A decision or clock for a case not
    in the cache first replays its history; size it to the cases that are active at once."""
    metrics_bind: str = "0.0.0.0:9464"
    """HOST:PORT of the worker's Prometheus endpoint (Temporal SDK metrics and ours); empty turns it off."""
    worker_health_bind: str = "0.0.0.0:8081"
    """HOST:PORT of the worker's health endpoint (GET /healthz, GET /livez); empty turns it off."""

    # Documents, the anonymisation gate and the public site.

    document_dir: Path = Path("var/documents")
    """Where the filesystem document store keeps documents, named by their SHA-256 (API and worker share it).
    Unset: ``documents`` under SCR_VAR_DIR (``var/documents``)."""
    max_document_bytes: int = Field(20 * 1024 * 1024, ge=1)
    """Largest document the API accepts (larger: 413)."""
    site_dir: Path = Path("var/site")
    """The public website's static folder: the publisher writes it, the API serves it under /public.
    Unset: ``site`` under SCR_VAR_DIR (``var/site``)."""
    public_requests_per_hour: int = Field(5, ge=1)
    """Requests for removed reviews one client address may make per hour (more: 429)."""
    public_requests_per_hour_total: int = Field(200, ge=1)
    """Requests for removed reviews accepted per hour from everyone together (more: 429)."""

    @model_validator(mode="after")
    def _folders_under_var_dir(self) -> Settings:
        if "document_dir" not in self.model_fields_set:
            self.document_dir = self.var_dir / "documents"
        if "site_dir" not in self.model_fields_set:
            self.site_dir = self.var_dir / "site"
        return self

    @model_validator(mode="after")
    def _closure_boards_are_served(self) -> Settings:
        unknown = sorted(set(self.board_closure_days) - set(self.boards))
        if unknown:
            raise ValueError(f"SCR_BOARD_CLOSURE_DAYS names boards not in SCR_BOARDS: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _smtp_credentials_only_over_tls(self) -> Settings:
        # aiosmtplib would send AUTH in clear text to a relay that allows it: refuse the settings instead.
        if self.smtp_username and not self.smtp_starttls:
            raise ValueError("SCR_SMTP_USERNAME is set but SCR_SMTP_STARTTLS is not: credentials only go over TLS")
        return self

    @field_validator("closure_days", mode="before")
    @classmethod
    def _closure_days_are_dates(cls, value: object) -> object:
        if not isinstance(value, str):
            return value  # a list, from code: pydantic checks its dates
        days = []
        for text in _comma_separated(value) or []:
            try:
                days.append(date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"SCR_CLOSURE_DAYS: {text!r} is not a date (YYYY-MM-DD)") from None
        return days

    @field_validator("board_closure_days", mode="before")
    @classmethod
    def _board_closure_days(cls, value: object) -> object:
        def days(text: str) -> list[date]:
            try:
                return [date.fromisoformat(day) for day in text.split()]
            except ValueError:
                raise ValueError("has a day that is not YYYY-MM-DD") from None

        shape = "BOARD=YYYY-MM-DD [YYYY-MM-DD ...]"
        return _per_board(value, "SCR_BOARD_CLOSURE_DAYS", shape, ";", days) if isinstance(value, str) else value

    @field_validator("publication_decision_interval_by_board", mode="before")
    @classmethod
    def _intervals_by_board(cls, value: object) -> object:
        def days(text: str) -> int:
            if not text.isdigit() or not 1 <= int(text) <= 130:
                raise ValueError("is not BOARD=DAYS (1-130)")
            return int(text)

        setting = "SCR_PUBLICATION_DECISION_INTERVAL_BY_BOARD"
        return _per_board(value, setting, "BOARD=DAYS (1-130)", ",", days) if isinstance(value, str) else value

    @field_validator("boards", mode="before")
    @classmethod
    def _board_codes(cls, value: object) -> object:
        codes = _comma_separated(value)
        return value if codes is None else list(dict.fromkeys(code.upper() for code in codes))

    @field_validator("board_procedures", mode="before")
    @classmethod
    def _procedures(cls, value: object) -> object:
        def title(text: str) -> str:
            if not text:
                raise ValueError("is not BOARD=title (e.g. KEN=Kent SCR procedure)")
            return " ".join(text.split())

        shape = "BOARD=title (e.g. KEN=Kent SCR procedure)"
        return _per_board(value, "SCR_BOARD_PROCEDURES", shape, ";", title) if isinstance(value, str) else value

    def procedure_of(self, board: str) -> str | None:
        """The title a board's deadlines cite for its own procedure; None: the rule pack's seeds (NEL's own)."""
        board = board.upper()
        if board in self.board_procedures:
            return self.board_procedures[board]
        return None if board == SEED_BOARD else f"{board} SCR procedure"

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        origins = _comma_separated(value)
        return value if origins is None else [origin.rstrip("/") for origin in origins]

    @field_validator("notice_directory", mode="before")
    @classmethod
    def _empty_directory_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value  # e.g. compose's ${VAR:-}

    @field_validator("metrics_bind", "worker_health_bind")
    @classmethod
    def _bind_is_host_port(cls, value: str) -> str:
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or int(port) > 65535:
                raise ValueError(f"{value!r} is not HOST:PORT (e.g. 0.0.0.0:9464), nor empty to turn it off")
        return value

    @property
    def closures(self) -> frozenset[date]:
        """The days every board is closed."""
        return frozenset(self.closure_days)

    @property
    def local_practice(self) -> LocalPractice:
        return LocalPractice(
            retention_review_months=self.retention_review_months,
            chair_consent_step=self.chair_consent_step,
            publication_steps_days_before=self.publication_steps_days_before,
        )

    def closures_by_board(self) -> dict[str, frozenset[date]]:
        """Each board's closure days: the deployment's and its own."""
        boards = {*self.boards, *self.board_closure_days}
        return {board: self.closures | frozenset(self.board_closure_days.get(board, ())) for board in boards}

    @property
    def local_intervals(self) -> LocalIntervals:
        return LocalIntervals(
            self.publication_decision_interval_days, dict(self.publication_decision_interval_by_board)
        )

    @property
    def board_codes(self) -> frozenset[str]:
        return frozenset(self.boards)

    @property
    def smtp(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            starttls=self.smtp_starttls,
            username=self.smtp_username,
            password=self.smtp_password,
        )

    @property
    def mail(self) -> MailSettings:
        return MailSettings(
            sender=self.mail_from,
            ofsted=self.mail_ofsted,
            dfe=self.mail_dfe,
            national_panel=self.mail_national_panel,
            chair=self.mail_chair,
            sub_group=self.mail_sub_group,
            business_manager=self.mail_business_manager,
            partners=self.mail_partners,
        )

    # Payload encryption, the codec endpoint and OIDC (API security).

    payload_keys: Annotated[list[SecretStr], NoDecode] = Field([], validate_default=True)
    """Payload encryption keys, ``id:<base64 of 32 random bytes>`` separated by commas. The first encrypts; all
    still decrypt (rotation: put the new key first, keep the old ones). Unset in dev: a fixed, public dev key.
    Required when SCR_ENVIRONMENT=production."""
    codec_cors_origins: Annotated[list[str], NoDecode] = ["http://127.0.0.1:8233", "http://localhost:8233"]
    """Comma-separated origins (the Temporal Web UI) whose pages may call /codec/encode and /codec/decode."""
    oidc_issuer: str | None = None
    """SCR_AUTH_MODE=oidc: the exact ``iss`` of accepted tokens."""
    oidc_audience: str | None = None
    """SCR_AUTH_MODE=oidc: the ``aud`` accepted tokens must carry (this API's client id or resource URI)."""
    oidc_jwks_url: str | None = None
    """Where the issuer publishes its signing keys; default: the issuer + /.well-known/jwks.json."""
    oidc_roles_claim: str = "roles"
    """Claim holding the user's SCR roles (a list, or a space-separated string); a dotted path reaches into an
    object, e.g. ``realm_access.roles``."""
    oidc_board_claim: str = "board"
    """Claim holding the user's board code (dotted path allowed)."""
    oidc_jwks_cooldown_seconds: float = Field(30.0, ge=0)
    """A token signed by an unknown key id makes the API refetch the JWKS at most once per this many seconds."""
    oidc_client_id: str | None = None
    """The staff console's client at the identity provider (authorization code flow with PKCE). The console's
    sign-in is on in oidc mode when this, SCR_OIDC_AUTHORIZATION_URL and SCR_OIDC_TOKEN_URL are set."""
    oidc_client_secret: SecretStr | None = None
    """The console client's secret, if the identity provider registers it as a confidential client."""
    oidc_authorization_url: str | None = None
    """The identity provider's authorization endpoint (its discovery document's ``authorization_endpoint``)."""
    oidc_token_url: str | None = None
    """The identity provider's token endpoint (``token_endpoint``)."""
    console_session_secret: SecretStr | None = None
    """Signs the staff console's session cookies (at least 32 characters, e.g. ``openssl rand -hex 32``), the same
    in every API process. Unset: a random one per process (sessions end when it restarts); production with the
    console's sign-in on (SCR_OIDC_CLIENT_ID) refuses to start without it."""
    calendar_feed_secret: Annotated[list[SecretStr], NoDecode] = []
    """Secrets that sign calendar feed tokens (``GET /api/v1/calendar.ics?token=...``), comma-separated, each at
    least 32 characters (e.g. ``openssl rand -hex 32``): the first signs, all verify (rotation: put a new one
    first; removing one revokes its tokens). Unset in dev: a fixed, public dev secret. The API needs it when
    SCR_ENVIRONMENT=production."""
    calendar_feed_days: int = Field(180, ge=1, le=3650)
    """How many days a calendar feed token (a subscription URL) stays valid."""

    @field_validator("calendar_feed_secret", mode="before")
    @classmethod
    def _calendar_feed_secrets_are_long(cls, value: object) -> object:
        secrets = _comma_separated(value)
        if secrets is None:
            return value
        for position, secret in enumerate(secrets, start=1):
            if len(secret) < 32:
                raise ValueError(f"secret {position} has {len(secret)} characters; use at least 32")
        return secrets

    @property
    def calendar_feed(self) -> CalendarFeedSettings:
        """The calendar feed settings; RuntimeError in production without SCR_CALENDAR_FEED_SECRET."""
        secrets = tuple(secret.get_secret_value().encode() for secret in self.calendar_feed_secret)
        if not secrets and self.environment == "production":
            raise RuntimeError(_CALENDAR_FEED_UNSET_IN_PRODUCTION)
        return CalendarFeedSettings(secrets=secrets or (DEV_CALENDAR_FEED_SECRET,), days=self.calendar_feed_days)

    @field_validator("payload_keys", mode="before")
    @classmethod
    def _payload_keys_parse(cls, value: object, info: ValidationInfo) -> object:
        keys = _comma_separated(value)
        if keys is None:
            return value
        if keys:
            parse_payload_keys(keys)
        elif isinstance(text := _unwrapped(value), str) and text.strip():
            raise ValueError("no keys given")  # e.g. " , ": meant as keys, unlike an unset variable
        elif info.data.get("environment") == "production":
            raise ValueError(_NO_KEYS_IN_PRODUCTION)
        return keys

    def payload_key_ring(self) -> tuple[str, dict[str, bytes]]:
        """The active key id and every key; the dev key when none is configured (never in production)."""
        if self.payload_keys:
            return parse_payload_keys(key.get_secret_value() for key in self.payload_keys)
        if self.environment == "production":
            raise RuntimeError(_NO_KEYS_IN_PRODUCTION)
        return DEV_PAYLOAD_KEY_ID, {DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY}

    @property
    def oidc(self) -> OidcSettings:
        jwks_url = self.oidc_jwks_url
        if not jwks_url and self.oidc_issuer:
            jwks_url = self.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
        return OidcSettings(
            issuer=self.oidc_issuer,
            audience=self.oidc_audience,
            jwks_url=jwks_url or None,
            roles_claim=self.oidc_roles_claim,
            board_claim=self.oidc_board_claim,
            jwks_cooldown_seconds=self.oidc_jwks_cooldown_seconds,
        )


DEV_PAYLOAD_KEY_ID = "dev-insecure"
DEV_PAYLOAD_KEY = hashlib.sha256(b"scr-lifecycle DEV ONLY payload key - public, NOT a secret").digest()
"""Used only in dev mode when SCR_PAYLOAD_KEYS is unset: anyone with this source can decrypt."""
DEV_CALENDAR_FEED_SECRET = b"scr-lifecycle DEV ONLY calendar feed secret - public, NOT a secret"
"""Used only in dev mode when SCR_CALENDAR_FEED_SECRET is unset: anyone with this source can forge feed tokens."""
_CALENDAR_FEED_UNSET_IN_PRODUCTION = (
    "SCR_ENVIRONMENT=production needs SCR_CALENDAR_FEED_SECRET (the calendar feed tokens' signing secret, at "
    "least 32 characters, e.g. from `openssl rand -hex 32`)."
)


_Value = TypeVar("_Value")


def _per_board(
    value: str, setting: str, shape: str, separator: str, parse: Callable[[str], _Value]
) -> dict[str, _Value]:
    """A setting of ``BOARD=value`` entries, one line naming the setting and the entry when one is wrong;
    ``parse`` reads a value and raises ValueError with what is wrong with it."""
    found: dict[str, _Value] = {}
    for entry in filter(None, (part.strip() for part in value.split(separator))):
        board, equals, text = entry.partition("=")
        if not equals or not board.strip().isalpha():
            raise ValueError(f"{setting}: {entry!r} is not {shape}")
        try:
            found[board.strip().upper()] = parse(text.strip())
        except ValueError as error:
            raise ValueError(f"{setting}: {entry!r} {error}") from None
    return found


def _comma_separated(value: object) -> list[str] | None:
    """A list setting's items, stripped, blanks dropped: from its environment variable, where commas separate them,
    or from a list given in code. None for anything else, which pydantic then refuses."""
    value = _unwrapped(value)
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return None
    texts = [text for text in map(_unwrapped, items) if isinstance(text, str)]
    if len(texts) != len(items):
        return None
    return [text.strip() for text in texts if text.strip()]


def _unwrapped(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


_NO_KEYS_IN_PRODUCTION = (
    "SCR_ENVIRONMENT=production needs payload encryption keys: set SCR_PAYLOAD_KEYS to "
    "'<key id>:<base64 of 32 random bytes>' (e.g. from `openssl rand -base64 32`)."
)


def parse_payload_keys(items: Iterable[str]) -> tuple[str, dict[str, bytes]]:
    """``["k1:<base64>", "k0:<base64>"]`` → (``k1``, {id: key}). Messages never include key material."""
    keys: dict[str, bytes] = {}
    for position, item in enumerate(items, start=1):
        key_id, separator, encoded = item.partition(":")
        key_id = key_id.strip()
        if not separator or not key_id or any(c.isspace() for c in key_id):
            raise ValueError(f"key {position} is not '<key id>:<base64 key>'")
        if key_id in keys:
            raise ValueError(f"key id {key_id!r} appears twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"key {key_id!r} is not valid base64") from None
        if len(key) != 32:
            raise ValueError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32 (base64 of 32 random bytes)")
        keys[key_id] = key
    if not keys:
        raise ValueError("no keys given")
    return next(iter(keys)), keys


def load_settings() -> Settings:
    return Settings()
