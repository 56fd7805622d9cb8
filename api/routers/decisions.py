"""Staff decisions: ``POST /api/v1/cases/{reference}/decisions/{kind}``, one documented body per kind."""

# No `from __future__ import annotations` here: FastAPI must see the body model of each generated endpoint.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response, status

from api.access import DecisionAccess, DecisionScope, case_etag, case_responses
from api.auth import CurrentActor
from api.context import Context
from api.errors import ProblemError
from api.routers.cases import case_after_decision
from api.schemas import CaseOut
from api.services import cases
from domain.lifecycle import HANDLERS

router = APIRouter(prefix="/api/v1/cases", tags=["decisions"])

DecisionIdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=cases.IDEMPOTENCY_KEY_MAX,
        pattern=cases.IDEMPOTENCY_KEY_PATTERN,
        description=(
            "Retry a decision safely: the same key on the same case and decision kind is applied once, and a retry "
            "answers as the first request did (within the case's current workflow run). Letters, digits and "
            "`. _ : ~ -`, at most 128."
        ),
    ),
]


def _endpoint(kind: str, model: type[Any]) -> Callable[..., Awaitable[CaseOut]]:
    async def decide(
        body: model,  # type: ignore[valid-type]
        scoped: Annotated[DecisionScope, Depends(DecisionAccess(kind))],
        context: Context,
        response: Response,
        idempotency_key: DecisionIdempotencyKey = None,
    ) -> CaseOut:
        state = await cases.decide(context, scoped=scoped, decision=body, idempotency_key=idempotency_key)
        response.headers["ETag"] = case_etag(state.snapshot_version)
        return case_after_decision(scoped.case, state, procedure=context.settings.procedure_of(scoped.case.board))

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
        responses=case_responses(200),
    )


@router.post("/{reference}/decisions/{kind}", include_in_schema=False)
async def unknown_decision(reference: str, kind: str, actor: CurrentActor) -> None:
    known = ", ".join(handler.kind for handler in HANDLERS)
    raise ProblemError(404, "Not found", f"There is no decision '{kind}'. Decisions: {known}.")
