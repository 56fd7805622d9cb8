"""Service settings, read from the environment (prefix ``SCR_``) once, by the entry points.

It lives in ``store`` because it is the lowest layer that the API, the activities and the workers share;
nothing reads settings at import time: call :func:`load_settings` from an entry point.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCR_", extra="ignore")

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

    closure_days: str = ""
    """Comma-separated extra days the board is closed (YYYY-MM-DD), on top of weekends and bank holidays."""

    boards: str = "NEL"
    """Comma-separated board codes this deployment serves (used in case references)."""

    @field_validator("closure_days")
    @classmethod
    def _closure_days_are_dates(cls, value: str) -> str:
        for text in filter(None, (part.strip() for part in value.split(","))):
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"SCR_CLOSURE_DAYS: {text!r} is not a date (YYYY-MM-DD)") from None
        return value

    @property
    def closures(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(p.strip()) for p in self.closure_days.split(",") if p.strip())

    @property
    def board_codes(self) -> frozenset[str]:
        return frozenset(code.strip().upper() for code in self.boards.split(",") if code.strip())


def load_settings() -> Settings:
    return Settings()
