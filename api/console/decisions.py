"""Recording a decision from the console: the form generated from the handler's input model, posted to the same
service and access check as ``POST /api/v1/cases/{reference}/decisions/{kind}`` (the workflow validates it again
against the case), then 303 back to the case with a success banner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.access import DecisionAccess, DecisionScope, ScopedCase
from api.console import forms
from api.console.web import PREFIX, SignedIn, check_csrf, render, see_other, signed_in
from api.context import AppContext
from api.errors import ProblemError
from api.services import cases
from domain.decision_inputs import DecisionInput
from domain.lifecycle import BY_KIND
from domain.lifecycle.handler import DecisionHandler
from domain.quality import QUALITY_RULES

router = APIRouter(prefix=PREFIX, include_in_schema=False)
# The named entries a decision's dict field takes, from the domain's own table (the handler checks the same one).
DICT_KEYS = {"quality_assurance": {"checks": QUALITY_RULES}}


def _handler(kind: str) -> DecisionHandler[Any]:
    handler = BY_KIND.get(kind)
    if handler is None:
        raise ProblemError(404, "Not found", f"There is no decision '{kind[:40]}'.")
    return handler


async def _scoped(request: Request, reference: str, kind: str) -> tuple[SignedIn, DecisionScope, DecisionHandler[Any]]:
    person = signed_in(request)
    handler = _handler(kind)
    context: AppContext = request.app.state.context
    scoped = await DecisionAccess(kind)(reference=reference, caller=person.caller, context=context)
    return person, scoped, handler


def _page(
    request: Request,
    person: SignedIn,
    scoped: ScopedCase,
    handler: DecisionHandler[Any],
    answers: forms.Answers,
    *,
    status_code: int = 200,
    problem: str | None = None,
    rows: dict[str, int] | None = None,
) -> Response:
    asked = forms.questions(handler.input_type, rows=rows, keys=DICT_KEYS.get(handler.kind))
    by_name = {q.name: q for q in asked or []}
    anchors = {name: by_name[name].anchor for name in answers.errors if name in by_name}
    errors = dict(answers.errors)
    return render(
        request,
        "decision.html",
        {
            "person": person,
            "case": scoped.case,
            "kind": handler.kind,
            "action": f"{PREFIX}/cases/{scoped.reference}/decisions/{handler.kind}",
            "heading": handler.describes[0].upper() + handler.describes[1:],
            "why": (handler.input_type.__doc__ or "").strip(),
            "questions": asked,
            "values": answers.values,
            "errors": errors,
            "anchors": anchors,
            "problem": problem,
            "nav": "cases",
        },
        status_code=status_code,
    )


@router.get("/cases/{reference}/decisions/{kind}")
async def decision_form(request: Request, reference: str, kind: str) -> Response:
    person, scoped, handler = await _scoped(request, reference, kind)
    return _page(request, person, scoped, handler, forms.Answers())


@router.post("/cases/{reference}/decisions/{kind}", dependencies=[Depends(check_csrf)])
async def record_decision(request: Request, reference: str, kind: str) -> Response:
    """One form, three steps (named by the button pressed, so it works with JavaScript off): the answers, checked
    by the model, lead to "Check your answers"; from there "Change" goes back to the form with them, and
    "Record decision" sends the decision to the case."""
    person, scoped, handler = await _scoped(request, reference, kind)
    if forms.questions(handler.input_type, keys=DICT_KEYS.get(handler.kind)) is None:
        raise ProblemError(404, "Not found", "This decision cannot be recorded in the console yet.")
    form = await request.form()
    step = str(form.get("step", ""))
    sent, rows = forms.compact(
        handler.input_type,
        {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf_token", "step")},
    )
    if step.startswith("add:") and step[4:] in rows:  # "Add another": one more blank item, nothing checked yet
        rows[step[4:]] += 1
        return _page(request, person, scoped, handler, forms.Answers(values=sent), rows=rows)
    asked = forms.questions(handler.input_type, rows=rows, keys=DICT_KEYS.get(handler.kind)) or []
    decision, answers = forms.read(handler.input_type, asked, sent)
    if step == "change":
        return _page(request, person, scoped, handler, forms.Answers(values=answers.values), rows=rows)
    if decision is None:
        return _page(request, person, scoped, handler, answers, status_code=400, rows=rows)
    if step != "confirm":
        return render(
            request,
            "check_answers.html",
            {
                "person": person,
                "case": scoped.case,
                "action": f"{PREFIX}/cases/{scoped.reference}/decisions/{handler.kind}",
                "caption": f"{scoped.reference}: {handler.describes}",
                "confirm": "Record decision",
                "consequence": "The decision is recorded on the case with your name, your role and your answers.",
                "rows": [(q, forms.shown(q, decision)) for q in asked],
                "values": answers.values,
                "nav": "cases",
            },
        )
    context: AppContext = request.app.state.context
    try:
        await cases.decide(context, scoped=scoped, decision=_as_decision(decision))
    except ProblemError as refused:
        if refused.status not in (409, 422):
            raise
        # The case refused it (wrong stage, against its rules): nothing changed; say why, keep the answers.
        return _page(
            request, person, scoped, handler, answers, status_code=refused.status, problem=refused.detail, rows=rows
        )
    return see_other(f"{PREFIX}/cases/{scoped.reference}?recorded={handler.kind}")


def _as_decision(model: object) -> DecisionInput:
    decision: DecisionInput = model  # type: ignore[assignment]  # each handler's input model is one of the union
    return decision
