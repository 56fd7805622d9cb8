"""What every request handler needs, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.register_fence import RegisterFence
from store.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    fence: RegisterFence = field(default_factory=RegisterFence)


async def _deciding_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


async def _context(request: Request) -> AppContext:
    context = await _deciding_context(request)
    await context.fence.settle(context.sessions)  # read-your-writes: see api/register_fence.py
    return context


# Every request but a decision: the register first holds the decisions this process has answered.
Context = Annotated[AppContext, Depends(_context)]
# A decision: the workflow checks it against its own state, so it need not wait for the register.
DecidingContext = Annotated[AppContext, Depends(_deciding_context)]
