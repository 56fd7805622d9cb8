"""Service settings, read from the environment (prefix ``SCR_``) once, by the entry points.

It lives in ``store`` because it is the lowest layer that the API, the activities and the workers share;
nothing reads settings at import time: call :func:`load_settings` from an entry point.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    closure_days: str = ""
    """Comma-separated extra days the board is closed (YYYY-MM-DD), on top of weekends and bank holidays."""

    boards: str = "NEL"
    """Comma-separated board codes this deployment serves (used in case references)."""

    worker_graceful_shutdown_seconds: float = Field(20.0, ge=0)
    """On SIGTERM the worker stops polling and gives in-flight activities this long before cancelling them;
    keep it below the orchestrator's grace period (Kubernetes terminationGracePeriodSeconds)."""
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
    def _smtp_credentials_only_over_tls(self) -> Settings:
        # aiosmtplib would send AUTH in clear text to a relay that allows it: refuse the settings instead.
        if self.smtp_username and not self.smtp_starttls:
            raise ValueError("SCR_SMTP_USERNAME is set but SCR_SMTP_STARTTLS is not: credentials only go over TLS")
        return self

    @field_validator("closure_days")
    @classmethod
    def _closure_days_are_dates(cls, value: str) -> str:
        for text in filter(None, (part.strip() for part in value.split(","))):
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"SCR_CLOSURE_DAYS: {text!r} is not a date (YYYY-MM-DD)") from None
        return value

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
        return frozenset(date.fromisoformat(p.strip()) for p in self.closure_days.split(",") if p.strip())

    @property
    def board_codes(self) -> frozenset[str]:
        return frozenset(code.strip().upper() for code in self.boards.split(",") if code.strip())

    # Payload encryption, the codec endpoint and OIDC (API security).

    payload_keys: SecretStr = Field(SecretStr(""), validate_default=True)
    """Payload encryption keys, ``id:<base64 of 32 random bytes>`` separated by commas. The first encrypts; all
    still decrypt (rotation: put the new key first, keep the old ones). Unset in dev: a fixed, public dev key.
    Required when SCR_ENVIRONMENT=production."""
    codec_cors_origins: str = "http://127.0.0.1:8233,http://localhost:8233"
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
    calendar_feed_secret: SecretStr = SecretStr("")
    """Secrets that sign calendar feed tokens (``GET /api/v1/calendar.ics?token=...``), comma-separated, each at
    least 32 characters (e.g. ``openssl rand -hex 32``): the first signs, all verify (rotation: put a new one
    first; removing one revokes its tokens). Unset in dev: a fixed, public dev secret. The API needs it when
    SCR_ENVIRONMENT=production."""
    calendar_feed_days: int = Field(180, ge=1, le=3650)
    """How many days a calendar feed token (a subscription URL) stays valid."""

    @field_validator("calendar_feed_secret")
    @classmethod
    def _calendar_feed_secrets_are_long(cls, value: SecretStr) -> SecretStr:
        for position, secret in enumerate(_split_secrets(value), start=1):
            if len(secret) < 32:
                raise ValueError(f"secret {position} has {len(secret)} characters; use at least 32")
        return value

    def calendar_feed_secrets(self) -> tuple[bytes, ...]:
        """The calendar feed secrets, signing one first; the dev secret when none is set (never in production)."""
        secrets = tuple(secret.encode() for secret in _split_secrets(self.calendar_feed_secret))
        if secrets:
            return secrets
        if self.environment == "production":
            raise RuntimeError(_CALENDAR_FEED_UNSET_IN_PRODUCTION)
        return (DEV_CALENDAR_FEED_SECRET,)

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_parse(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        spec = value.get_secret_value()
        if spec.strip():
            parse_payload_keys(spec)
        elif info.data.get("environment") == "production":
            raise ValueError(_NO_KEYS_IN_PRODUCTION)
        return value

    def payload_key_ring(self) -> tuple[str, dict[str, bytes]]:
        """The active key id and every key; the dev key when none is configured (never in production)."""
        spec = self.payload_keys.get_secret_value()
        if spec.strip():
            return parse_payload_keys(spec)
        if self.environment == "production":
            raise RuntimeError(_NO_KEYS_IN_PRODUCTION)
        return DEV_PAYLOAD_KEY_ID, {DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY}

    @property
    def codec_cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.codec_cors_origins.split(",") if origin.strip()]

    @property
    def oidc_jwks_endpoint(self) -> str | None:
        if self.oidc_jwks_url:
            return self.oidc_jwks_url
        if self.oidc_issuer:
            return self.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"
        return None


DEV_PAYLOAD_KEY_ID = "dev-insecure"
DEV_PAYLOAD_KEY = hashlib.sha256(b"scr-lifecycle DEV ONLY payload key - public, NOT a secret").digest()
"""Used only in dev mode when SCR_PAYLOAD_KEYS is unset: anyone with this source can decrypt."""
DEV_CALENDAR_FEED_SECRET = b"scr-lifecycle DEV ONLY calendar feed secret - public, NOT a secret"
"""Used only in dev mode when SCR_CALENDAR_FEED_SECRET is unset: anyone with this source can forge feed tokens."""
_CALENDAR_FEED_UNSET_IN_PRODUCTION = (
    "SCR_ENVIRONMENT=production needs SCR_CALENDAR_FEED_SECRET (the calendar feed tokens' signing secret, at "
    "least 32 characters, e.g. from `openssl rand -hex 32`)."
)


def _split_secrets(value: SecretStr) -> list[str]:
    return [part.strip() for part in value.get_secret_value().split(",") if part.strip()]


_NO_KEYS_IN_PRODUCTION = (
    "SCR_ENVIRONMENT=production needs payload encryption keys: set SCR_PAYLOAD_KEYS to "
    "'<key id>:<base64 of 32 random bytes>' (e.g. from `openssl rand -base64 32`)."
)


def parse_payload_keys(spec: str) -> tuple[str, dict[str, bytes]]:
    """``k1:<base64>,k0:<base64>`` → (``k1``, {id: key}). Messages never include key material."""
    keys: dict[str, bytes] = {}
    for position, item in enumerate((part.strip() for part in spec.split(",") if part.strip()), start=1):
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
