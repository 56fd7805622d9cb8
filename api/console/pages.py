"""The console's read pages: My tasks, the case list and a case, each from the service behind the matching API
route (api/services), after the same access checks (api/access.py) as that route."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.access import Access, CaseRead
from api.console.anonymisation import document_states, may_check
from api.console.documents import readable
from api.console.text import words
from api.console.web import PREFIX, render, see_other, signed_in
from api.context import AppContext, current_document_store
from api.permissions import PERMISSIONS, Caller
from api.services import cases, tasks
from domain.lifecycle import BY_KIND, HANDLERS
from domain.stages import Stage
from domain.uk_time import london_date
from store.register import CaseSort

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE_SIZE = 25
# Presentation only (no rule): a task due within this many calendar days is tagged "Due soon".
DUE_SOON_DAYS = 7


def _context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def label(value: str) -> str:
    return words(value)


def due_state(due: date | None, today: date) -> str | None:
    if due is None:
        return None
    if due < today:
        return "overdue"
    return "due_soon" if due <= today + timedelta(days=DUE_SOON_DAYS) else None


def pagination(path: str, page: int, total: int, query: dict[str, str]) -> dict[str, object] | None:
    pages = max(1, ceil(total / PAGE_SIZE))
    if pages == 1:
        return None

    def href(number: int) -> str:
        params = "&".join(f"{k}={v}" for k, v in {**query, "page": str(number)}.items() if v)
        return f"{path}?{params}"

    return {
        "previous": {"href": href(page - 1)} if page > 1 else None,
        "next": {"href": href(page + 1)} if page < pages else None,
        "items": [
            {"ellipsis": True} if n is None else {"number": n, "href": href(n), "current": n == page}
            for n in _page_numbers(page, pages)
        ],
    }


def _page_numbers(page: int, pages: int) -> list[int | None]:
    """The first, the last, and the pages either side of the current one, with a gap (None) for what is left out,
    as GOV.UK's pagination shows them: a list of 10,000 cases is 400 pages, not 400 links."""
    shown = sorted({1, pages, *range(max(1, page - 1), min(pages, page + 1) + 1)})
    numbers: list[int | None] = []
    for previous, number in zip([0, *shown], shown, strict=False):
        if previous and number - previous > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


@router.get("")
async def home() -> Response:
    return see_other(f"{PREFIX}/tasks")


@router.get("/tasks")
async def my_tasks(request: Request) -> Response:
    person = signed_in(request)
    context = _context(request)
    caller = await Access("tasks.read", lists_cases=True)(person.caller, context)
    page = _page_number(request)
    rows, total = await tasks.list_tasks(context, caller=caller, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    today = london_date(datetime.now(UTC))
    items = [{"task": row, "state": due_state(row.due, today), "stage": label(row.stage)} for row in rows]
    return render(
        request,
        "tasks.html",
        {
            "person": person,
            "items": items,
            "total": total,
            "overdue": await tasks.overdue_count(context, caller=caller, today=today),
            "pagination": pagination(f"{PREFIX}/tasks", page, total, {}),
            "nav": "tasks",
        },
    )


SORT_LABELS: dict[str, str] = {
    "newest": "Newest first",
    "next_deadline": "Next deadline soonest",
    "reference": "Reference",
}
SORTS: dict[str, CaseSort] = {sort: sort for sort in get_args(CaseSort)}


@router.get("/cases")
async def case_list(request: Request) -> Response:
    person = signed_in(request)
    context = _context(request)
    caller = await Access("cases.read", lists_cases=True)(person.caller, context)
    wanted = request.query_params.get("stage", "")
    stage = Stage(wanted) if wanted in Stage.__members__.values() else None
    board = request.query_params.get("board", "")
    board = board if board in caller.boards else ""
    # A board filter narrows the caller's own boards: the list service's scoping is never widened.
    scope = replace(caller, boards=frozenset({board})) if board else caller
    page = _page_number(request)
    overdue = {"yes": True, "no": False}.get(request.query_params.get("overdue", ""))
    sort = SORTS.get(request.query_params.get("sort", ""), "newest")
    found, total = await cases.list_cases(
        context,
        caller=scope,
        stage=stage,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        overdue=overdue,
        sort=sort,
    )
    stages = [{"value": "", "text": "Any stage"}] + [
        {"value": s.value, "text": label(s.value), "selected": s == stage} for s in Stage
    ]
    boards = [{"value": "", "text": "Every board"}] + [
        {"value": code, "text": code, "selected": code == board} for code in sorted(caller.boards)
    ]
    return render(
        request,
        "cases.html",
        {
            "person": person,
            "cases": found,
            "total": total,
            "stages": stages,
            "boards": boards if len(caller.boards) > 1 else None,
            "overdue_items": [
                {"value": value, "text": text, "selected": value == request.query_params.get("overdue", "")}
                for value, text in (("", "Overdue or not"), ("yes", "Overdue only"), ("no", "Not overdue"))
            ],
            "sort_items": [
                {"value": value, "text": text, "selected": value == sort} for value, text in SORT_LABELS.items()
            ],
            "sort": sort,
            "may_open": caller.actor.role in PERMISSIONS["cases.open"],
            "stage": stage,
            "label": label,
            "pagination": pagination(
                f"{PREFIX}/cases",
                page,
                total,
                {
                    "stage": stage.value if stage else "",
                    "board": board,
                    "overdue": request.query_params.get("overdue", "") if overdue is not None else "",
                    "sort": sort,
                },
            ),
            "nav": "cases",
        },
    )


@router.get("/cases/{reference}")
async def case_page(request: Request, reference: str) -> Response:
    person = signed_in(request)
    context = _context(request)
    scoped = await CaseRead("cases.read")(reference=reference, caller=person.caller, context=context)
    case, deadlines = await cases.read_case(context, reference=scoped.reference)
    timeline = await cases.case_timeline(context, reference=scoped.reference)
    files = await readable(context, person.caller, scoped.reference)
    states = await document_states(context, await current_document_store(request), person.caller, reference, files)
    today = london_date(datetime.now(UTC))
    recorded = BY_KIND.get(request.query_params.get("recorded", ""))
    return render(
        request,
        "case.html",
        {
            "person": person,
            "case": case,
            "deadlines": deadlines,
            "breaches": [d for d in deadlines if d.breached_at is not None],
            "awaiting": [
                {**item, "due": _date(item.get("due")), "state": due_state(_date(item.get("due")), today)}
                for item in case.awaiting
            ],
            "timeline": list(reversed(timeline)),
            "label": label,
            "recorded": recorded.describes if recorded else None,
            "opened": request.query_params.get("opened") == "1",
            "uploaded": request.query_params.get("uploaded") == "1",
            "may_upload": person.caller.actor.role in PERMISSIONS["documents.upload"],
            "role": person.caller.actor.role.value,
            "documents": files,
            "anonymisation": states,
            "may_check": may_check(person.caller),
            "may_see_identifiers": person.caller.actor.role in PERMISSIONS["identifiers.read"],
            "identifiers_recorded": request.query_params.get("identifiers") == "1",
            "decisions": _open_to(person.caller, case.stage, {item["kind"] for item in case.awaiting}),
            "nav": "cases",
        },
    )


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) else None


def _open_to(caller: Caller, stage: str, awaited: set[str]) -> list[dict[str, str]]:
    """Decisions the caller's role may take at the case's stage that it does not await (a peer challenge, a
    delay, proceedings...), from the registry's own roles and stages; the case still checks each one."""
    return [
        {"kind": h.kind, "text": h.describes[0].upper() + h.describes[1:]}
        for h in HANDLERS
        if caller.actor.role in h.roles and stage in h.stages and h.kind not in awaited
    ]
