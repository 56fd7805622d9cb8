"""``GET /api/v1/tasks``: the decisions awaiting the caller's role across their boards' cases, soonest first, a page
at a time (read from the register's indexed task table, so its cost does not grow with the number of cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.access import Access
from api.context import Context
from api.permissions import Caller
from api.schemas import PageLimit, PageOffset, TaskListOut, TaskOut
from api.services import tasks

router = APIRouter(prefix="/api/v1", tags=["tasks"])

# A list: it waits for this process's decisions on its boards' cases to reach the register, no others.
TaskReader = Annotated[Caller, Depends(Access("tasks.read", lists_cases=True))]


@router.get("/tasks", response_model=TaskListOut)
async def my_tasks(
    caller: TaskReader,
    context: Context,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> TaskListOut:
    rows, total = await tasks.list_tasks(context, caller=caller, limit=limit, offset=offset)
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
