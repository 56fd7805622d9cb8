"""Bring a case register database to the newest schema (Alembic, no ini file needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head_sync(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        # The SQLite file's folder must exist before the first connection.
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "head")


async def upgrade_to_head(database_url: str) -> None:
    # env.py runs its own event loop, so it runs in a thread of its own.
    await asyncio.to_thread(upgrade_to_head_sync, database_url)
