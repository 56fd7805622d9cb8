"""Helpers for the documents, anonymisation and publication tests: a case in a real register, documents in a
real filesystem store, and the API app in-process (no Temporal needed for these endpoints)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from activities.publication_activities import PublicationActivities
from api.app import create_app
from api.context import AppContext
from domain.anonymisation import CaseIdentifiers
from store import documents as document_register
from store.database import session_factory
from store.document_store import FilesystemDocumentStore
from store.models import CaseDocument
from store.settings import Settings
from tests.support.case_harness import register_case
from tests.support.payload_keys import encrypting_converter

FAMILY = CaseIdentifiers(
    names=["Jayden Lee Smith", "Kelly O'Brien"],
    dates_of_birth=[date(2014, 3, 5)],
    addresses=["12 Acacia Avenue, Grimsby"],
    postcodes=["DN31 1HU"],
    schools=["Oakfield Primary School"],
)

CLEAN_SUMMARY = (
    "# Executive summary\n\nChild J, aged 4, died in 2016. Agencies did not share information.\n\n"
    "Recommendations: <script>alert('x')</script> & share information early.\n"
)
CLEAN_RESPONSE = "The board's response\n\nActions taken: training for 300 staff. Impact: referrals doubled.\n"


async def create_case(engine: AsyncEngine, board: str = "NEL") -> str:
    """A case ready to publish, in the register only."""
    return await register_case(
        engine, board=board, stage="pre_publication", incident={"outcome": "died", "abuse_or_neglect": "known"}
    )


async def record_identifiers(engine: AsyncEngine, reference: str, identifiers: CaseIdentifiers = FAMILY) -> None:
    async with session_factory(engine).begin() as session:
        await document_register.put_identifiers(
            session, reference=reference, identifiers=identifiers.model_dump(mode="json"), updated_by="bob"
        )


async def add_document(
    engine: AsyncEngine,
    store: FilesystemDocumentStore,
    reference: str,
    kind: str,
    data: bytes,
    content_type: str,
    filename: str = "document",
) -> CaseDocument:
    sha256 = await store.put(data)
    async with session_factory(engine).begin() as session:
        return await document_register.add_document(
            session,
            reference=reference,
            kind=kind,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            uploaded_by="bob",
            uploaded_role="business_manager",
        )


def settings_for(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        document_dir=tmp_path / "documents",
        site_dir=tmp_path / "site",
        **overrides,
    )


def publisher_for(engine: AsyncEngine, settings: Settings) -> PublicationActivities:
    return PublicationActivities(
        session_factory(engine), FilesystemDocumentStore(settings.document_dir), settings.site_dir
    )


@asynccontextmanager
async def api_client(engine: AsyncEngine, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    temporal = cast(Client, SimpleNamespace(namespace="default", data_converter=encrypting_converter()))
    sessions: async_sessionmaker[AsyncSession] = session_factory(engine)
    context = AppContext(settings=settings, sessions=sessions, temporal=temporal)
    app = create_app(settings, context)
    app.state.context = context  # httpx's ASGI transport does not run the lifespan
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://scr.test") as client:
        yield client


def auth(role: str, user: str = "someone") -> dict[str, str]:
    return {"Authorization": f"Bearer dev:{role}:{user}"}
