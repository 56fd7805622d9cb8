"""``GET /api/v1/tasks``: the decisions awaiting the caller's role across their boards' cases, soonest first, a page
at a time (read from the register's indexed task table, so its cost does not grow with the number of cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.context import Context
from api.permissions import CurrentCaller, authorize
from api.schemas import TaskListOut, TaskOut
from store import register

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.get("/tasks", response_model=TaskListOut)
async def my_tasks(
    caller: CurrentCaller,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TaskListOut:
    await authorize(context, caller, "tasks.read")
    async with context.sessions() as session:
        rows, total = await register.tasks_for(
            session, role=caller.actor.role.value, boards=sorted(caller.boards), limit=limit, offset=offset
        )
    items = [
        TaskOut(
            reference=row.case_reference,
            board=row.board,
            stage=row.stage,
            kind=row.kind,
            description=row.description,
            due=row.due,
            decide_at=f"/api/v1/cases/{row.case_reference}/decisions/{row.kind}",
        )
        for row in rows
    ]
    return TaskListOut(items=items, total=total, limit=limit, offset=offset)
