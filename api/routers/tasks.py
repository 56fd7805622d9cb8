"""``GET /api/v1/tasks``: the decisions awaiting the caller's role across all cases, soonest first."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from api.context import Context
from api.permissions import CurrentCaller, authorize
from api.schemas import TaskOut
from store import register

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.get("/tasks", response_model=list[TaskOut])
async def my_tasks(caller: CurrentCaller, context: Context) -> list[TaskOut]:
    await authorize(context, caller, "tasks.read")
    actor = caller.actor
    async with context.sessions() as session:
        cases = await register.cases_awaiting(session, role=actor.role.value, boards=sorted(caller.boards))
    tasks = [
        TaskOut(
            reference=case.reference,
            board=case.board,
            stage=case.stage,
            kind=item["kind"],
            description=item["description"],
            due=date.fromisoformat(item["due"]) if item.get("due") else None,
            decide_at=f"/api/v1/cases/{case.reference}/decisions/{item['kind']}",
        )
        for case in cases
        for item in case.awaiting
        if actor.role.value in item["roles"]
    ]
    return sorted(tasks, key=lambda t: (t.due is None, t.due or date.max, t.reference))
