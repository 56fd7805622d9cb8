"""Opening a case from the console: the form generated from the API's ``OpenCaseRequest`` (the incident's facts
asked one by one), "Check your answers", then the same service and access check as ``POST /api/v1/cases``. An
idempotency key made with the form means a second press of the button opens no second case."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.access import Access
from api.console import forms
from api.console.web import PREFIX, SignedIn, check_csrf, render, see_other, signed_in
from api.context import AppContext
from api.errors import ProblemError
from api.schemas import OpenCaseRequest
from api.services import cases

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ACTION = f"{PREFIX}/cases/new"
QUESTIONS = forms.questions(OpenCaseRequest, skip=("board",)) or []


async def _opener(request: Request) -> tuple[SignedIn, AppContext]:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    await Access("cases.open")(person.caller, context)
    return person, context


def _form(
    request: Request,
    person: SignedIn,
    answers: forms.Answers,
    *,
    status_code: int = 200,
    problem: str | None = None,
) -> Response:
    values = {"idempotency_key": uuid.uuid4().hex, **answers.values}
    boards = sorted(person.caller.boards)
    return render(
        request,
        "new_case.html",
        {
            "person": person,
            "action": ACTION,
            "questions": QUESTIONS,
            "boards": [{"value": b, "text": b, "selected": values.get("board") == b} for b in boards],
            "values": values,
            "errors": answers.errors,
            "anchors": {q.name: q.anchor for q in QUESTIONS},
            "problem": problem,
            "nav": "cases",
        },
        status_code=status_code,
    )


@router.get("/cases/new")
async def new_case_form(request: Request) -> Response:
    person, _ = await _opener(request)
    return _form(request, person, forms.Answers())


@router.post("/cases/new", dependencies=[Depends(check_csrf)])
async def open_case(request: Request) -> Response:
    person, context = await _opener(request)
    form = await request.form()
    step = form.get("step")
    sent = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf_token", "step")}
    board = sent.get("board", "") if len(person.caller.boards) > 1 else min(person.caller.boards, default="")
    opening, answers = forms.read(OpenCaseRequest, QUESTIONS, sent, fixed={"board": board})
    if board not in person.caller.boards:
        answers.errors = {"board": "Select the board the case belongs to", **answers.errors}
        opening = None
    if step == "change":
        return _form(request, person, forms.Answers(values=answers.values))
    if opening is None:
        return _form(request, person, answers, status_code=400)
    assert isinstance(opening, OpenCaseRequest)
    if step != "confirm":
        rows: list[tuple[Any, str]] = [({"label": "Board", "group": None}, board)]
        rows += [(q, forms.shown(q, opening)) for q in QUESTIONS]
        return render(
            request,
            "check_answers.html",
            {
                "person": person,
                "action": ACTION,
                "caption": "Open a case",
                "confirm": "Open the case",
                "consequence": "The case gets a reference, its deadlines start, and Ofsted and the National Panel "
                "are sent the incident notice.",
                "rows": rows,
                "values": answers.values,
                "nav": "cases",
            },
        )
    try:
        case, _ = await cases.open_case(
            context, request=opening, caller=person.caller, idempotency_key=sent.get("idempotency_key") or None
        )
    except ProblemError as refused:
        if refused.status not in (409, 422):
            raise
        return _form(request, person, answers, status_code=refused.status, problem=refused.detail)
    return see_other(f"{PREFIX}/cases/{case.reference}?opened=1")
