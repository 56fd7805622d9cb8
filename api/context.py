"""What every request handler needs, built once per process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.register_fence import RegisterFence
from domain.case_messages import ComputeDeadlinesInput, ScheduledDeadline
from store.database import ReadSessions, RequestReads
from store.document_store import DocumentStore, document_store_from_settings
from store.row_reads import RowRead, session_rows
from store.settings import Settings

DeadlineSchedule = Callable[[ComputeDeadlinesInput], Awaitable[list[ScheduledDeadline]]]


@dataclass
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    fence: RegisterFence = field(default_factory=RegisterFence)
    # The deadlines that dates determine, by the worker's own calculation (bank holidays come from activities/,
    # which the API may not import): the process building the app passes it (workers/); the import checks need it.
    deadline_schedule: DeadlineSchedule | None = None
    # One-statement and one-row reads on the request path (``store.database.create_reads``); None: ``sessions``.
    reads: RequestReads | None = None

    @property
    def read_sessions(self) -> ReadSessions:
        return self.sessions if self.reads is None else self.reads.sessions

    @property
    def read_row(self) -> RowRead:
        return session_rows(self.sessions) if self.reads is None else self.reads.row


async def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


# Waits for nothing: reads of a case wait for that case's writes through ``api.access`` (api/register_fence.py).
Context = Annotated[AppContext, Depends(app_context)]


async def current_document_store(request: Request) -> DocumentStore:
    """The app's document store (set by create_app); the filesystem store of the settings otherwise."""
    store: DocumentStore | None = getattr(request.app.state, "document_store", None)
    if store is None:
        store = document_store_from_settings((await app_context(request)).settings)
        request.app.state.document_store = store
    return store


Documents = Annotated[DocumentStore, Depends(current_document_store)]
