"""The boards' annual learning summaries in the console: the list, the HTML and Markdown downloads and a run,
through the services and access of ``/api/v1/learning-summaries`` (the year checked by the API's own request
model)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.access import Access
from api.console import forms
from api.console.web import PREFIX, SignedIn, check_csrf, render, see_other, signed_in
from api.context import AppContext, current_document_store
from api.permissions import PERMISSIONS
from api.routers.learning_summaries import HTML_POLICY, RunLearningSummaryRequest
from api.services import learning_summaries

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PATH = f"{PREFIX}/learning-summaries"
YEAR = forms.questions(RunLearningSummaryRequest, skip=("board",)) or []


async def _page(request: Request, person: SignedIn, answers: forms.Answers, *, status_code: int = 200) -> Response:
    context: AppContext = request.app.state.context
    summaries = await learning_summaries.list_summaries(context, caller=person.caller)
    return render(
        request,
        "learning.html",
        {
            "person": person,
            "summaries": summaries,
            "may_run": person.caller.actor.role in PERMISSIONS["learning_summaries.run"],
            "boards": sorted(person.caller.boards),
            "questions": YEAR,
            "values": answers.values,
            "errors": answers.errors,
            "started": _started(request.query_params.get("started", "")),
            "nav": "learning",
        },
        status_code=status_code,
    )


@router.get("/learning-summaries")
async def summaries(request: Request) -> Response:
    person = signed_in(request)
    await Access("learning_summaries.read")(person.caller, request.app.state.context)
    return await _page(request, person, forms.Answers())


@router.post("/learning-summaries", dependencies=[Depends(check_csrf)])
async def run(request: Request) -> Response:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    await Access("learning_summaries.run")(person.caller, context)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    board = form.get("board", "")
    asked, errors = YEAR, {}
    wanted, answers = forms.read(RunLearningSummaryRequest, asked, form, fixed={"board": board})
    if board not in person.caller.boards:
        errors["board"] = "Select a board"
    if wanted is None or errors:
        answers.errors = {**errors, **answers.errors}
        return await _page(request, person, answers, status_code=400)
    assert isinstance(wanted, RunLearningSummaryRequest)
    done = await learning_summaries.run_summary(context, caller=person.caller, board=wanted.board, year=wanted.year)
    return see_other(f"{PATH}?started={wanted.board}-{wanted.year}-{done.status}")


@router.get("/learning-summaries/{board}/{year}.{extension}")
async def download(request: Request, board: str, year: int, extension: str) -> Response:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    await Access("learning_summaries.read")(person.caller, context)
    row = await learning_summaries.find_summary(context, caller=person.caller, board=board.upper(), year=year)
    if extension not in ("html", "md"):
        return see_other(PATH)
    data = await (await current_document_store(request)).get(
        row.html_sha256 if extension == "html" else row.markdown_sha256
    )
    headers = {
        "Content-Disposition": f"{'inline' if extension == 'html' else 'attachment'}; "
        f'filename="learning-summary-{row.board}-{year}.{extension}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if extension == "html":
        headers["Content-Security-Policy"] = HTML_POLICY
    media = "text/html; charset=utf-8" if extension == "html" else "text/markdown; charset=utf-8"
    return Response(content=data, media_type=media, headers=headers)


def _started(value: str) -> str | None:
    """The banner after a run: ``NEL-2026-started`` (or ``-already_running``) in words."""
    board, _, rest = value.partition("-")
    year, _, status = rest.partition("-")
    if not (board.isalpha() and year.isdigit() and status in ("started", "already_running")):
        return None
    return f"The {board} {year} summary {'is being compiled' if status == 'started' else 'was already being compiled'}"
