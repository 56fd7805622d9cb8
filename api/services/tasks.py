"""The task list: the decisions awaiting the caller's role across their boards' cases."""

from __future__ import annotations

from api.context import AppContext
from api.permissions import Caller
from store import register
from store.models import CaseTask


async def list_tasks(context: AppContext, *, caller: Caller, limit: int, offset: int) -> tuple[list[CaseTask], int]:
    async with context.sessions() as session:
        return await register.tasks_for(
            session,
            role=caller.actor.role.value,
            boards=sorted(caller.boards),
            limit=limit,
            offset=offset,
            references=caller.cases,
        )
