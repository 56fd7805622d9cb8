"""Staff decisions: ``POST /api/v1/cases/{reference}/decisions/{kind}``, one documented body per kind."""

# No `from __future__ import annotations` here: FastAPI must see the body model of each generated endpoint.
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, status

from api import case_service
from api.auth import CurrentActor
from api.context import DecidingContext
from api.errors import ProblemError
from api.permissions import CurrentCaller, authorize, case_in_scope
from api.routers.cases import CaseReference, case_after_decision
from api.schemas import CaseOut
from domain.lifecycle import HANDLERS

router = APIRouter(prefix="/api/v1/cases", tags=["decisions"])


def _endpoint(kind: str, model: type[Any]) -> Callable[..., Awaitable[CaseOut]]:
    async def decide(reference: CaseReference, body: model, caller: CurrentCaller, context: DecidingContext) -> CaseOut:  # type: ignore[valid-type]
        case = await case_in_scope(context, caller, reference)  # 404 for an unknown case, or another board's
        await authorize(context, caller, f"decisions.{kind}", reference=reference)
        state = await case_service.decide(context, reference=reference, actor=caller.actor, decision=body)
        context.fence.answered(reference, state.snapshot_version)
        return case_after_decision(case, state)

    decide.__name__ = f"decide_{kind}"
    return decide


for _rule in HANDLERS:
    _model = _rule.input_type
    router.add_api_route(
        f"/{{reference}}/decisions/{_rule.kind}",
        _endpoint(_rule.kind, _model),
        methods=["POST"],
        response_model=CaseOut,
        summary=_rule.describes[0].upper() + _rule.describes[1:],
        description=(
            (_model.__doc__ or "").strip()
            + "\n\nWho: "
            + ", ".join(r.value for r in _rule.roles)
            + ". At stages: "
            + ", ".join(s.value for s in _rule.stages)
            + ".\n\nReturns the case's new state. Wrong role → 403; wrong stage or against the rules → 409; "
            "invalid body → 422. A refused decision changes nothing and is kept in the audit trail."
        ),
        status_code=status.HTTP_200_OK,
    )


@router.post("/{reference}/decisions/{kind}", include_in_schema=False)
async def unknown_decision(reference: str, kind: str, actor: CurrentActor) -> None:
    known = ", ".join(handler.kind for handler in HANDLERS)
    raise ProblemError(404, "Not found", f"There is no decision '{kind}'. Decisions: {known}.")
