"""A fresh PostgreSQL database for one bench run's register, dropped after it."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


def _dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``) as asyncpg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_database(server_url: str) -> str:
    """A new empty database on the server ``server_url`` names; its SQLAlchemy URL."""
    name = f"scr_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    connection = await asyncpg.connect(_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def database_bytes(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        size = (await connection.execute(text("SELECT pg_database_size(current_database())"))).scalar_one()
    return int(size)
