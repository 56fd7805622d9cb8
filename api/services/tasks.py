"""The task list: the decisions awaiting the caller's role across their boards' cases."""

from __future__ import annotations

from datetime import date

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


async def overdue_count(context: AppContext, *, caller: Caller, today: date) -> int:
    """How many of the caller's tasks were due before ``today`` (the console's banner)."""
    async with context.sessions() as session:
        return await register.overdue_task_count(
            session, role=caller.actor.role.value, boards=sorted(caller.boards), today=today, references=caller.cases
        )
