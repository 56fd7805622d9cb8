"""Case references under concurrency: every opening gets its own number, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from store import register
from store.database import session_factory


async def test_concurrent_openings_get_distinct_consecutive_references(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)

    async def open_one(n: int) -> str:
        async with sessions.begin() as session:
            case = await register.create_case(
                session,
                board="NEL",
                year=2026,
                idempotency_key=f"key-{n}",
                request_fingerprint="f",
                stage="notified",
                rule_pack="SCR 2015",
                rule_pack_version="1",
                aware_on=date(2026, 11, 2),
                notified_on=date(2026, 11, 2),
                incident={"outcome": "died", "abuse_or_neglect": "known"},
                created_by="bob",
                workflow_id_for=lambda reference: f"scr-case-{reference}",
            )
            return case.reference

    references = await asyncio.gather(*(open_one(n) for n in range(16)))
    assert sorted(references) == [f"NEL-2026-{n:04d}" for n in range(1, 17)]
