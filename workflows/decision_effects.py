"""Runs the effects a decision declares (``domain/lifecycle/effects.py``) as activities, in order, and hands
their results back for the decision to be applied."""

from __future__ import annotations

from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import (
        COMPUTE_CASE_DEADLINES,
        PREPARE_COPIES,
        PUBLISH_REVIEW,
        REMOVE_REVIEW,
        ActivityContract,
    )
    from domain.case_contract import UNAVAILABLE
    from domain.case_messages import ComputeDeadlinesInput, Refusal, ScheduledDeadline
    from domain.lifecycle.effects import (
        Effect,
        EffectResults,
        PrepareCopies,
        PublishReview,
        RemoveReview,
        ResolveDeadlines,
    )
    from domain.publication_messages import PreparedCopies, PublishReviewResult

from workflows import activity_calls
from workflows.case_options import ACTIVITY_TIMEOUT, LOCAL_ACTIVITIES, WEBSITE_RETRY, WEBSITE_TIMEOUT

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741


async def resolve_deadlines(request: ComputeDeadlinesInput) -> list[ScheduledDeadline]:
    """Deadlines from the rule pack and the bank holidays, resolved by an activity so replay never depends on
    library versions. Short and local to the worker: a local activity once the patch is in."""
    summary = "resolve deadlines: " + ", ".join([*request.events, *(a.key for a in request.adhoc)])
    options = {"start_to_close_timeout": ACTIVITY_TIMEOUT, "summary": summary}
    if workflow.patched(LOCAL_ACTIVITIES):
        return await activity_calls.execute_local(COMPUTE_CASE_DEADLINES, request, **options)
    return await activity_calls.execute(COMPUTE_CASE_DEADLINES, request, **options)


async def run_effects(effects: list[Effect]) -> EffectResults:
    schedules: list[ScheduledDeadline] = []
    publication: PublishReviewResult | None = None
    copies: PreparedCopies | None = None
    for effect in effects:
        match effect:
            case ResolveDeadlines(request=request):
                schedules = await resolve_deadlines(request)
            case PublishReview(request=request):
                publication = await _website(PUBLISH_REVIEW, request)
            case RemoveReview(request=request):
                await _website(REMOVE_REVIEW, request)
            case PrepareCopies(request=request):
                copies = await _website(PREPARE_COPIES, request)
    return EffectResults.of(schedules, publication, copies)


async def _website(contract: ActivityContract[I, O], request: I) -> O:
    """A refusal by the publisher (or the document store) comes back to staff; a service that stays down makes the
    decision fail (and change nothing) rather than hang."""
    try:
        return await activity_calls.execute(
            contract,
            request,
            start_to_close_timeout=WEBSITE_TIMEOUT,
            retry_policy=WEBSITE_RETRY,
            summary=contract.name.replace("_", " "),
        )
    except ActivityError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.non_retryable:
            raise ApplicationError(cause.message, type=Refusal.CONFLICT.value) from None
        raise ApplicationError(
            "The website or the document store could not be reached just now; nothing was changed. Try again shortly.",
            type=UNAVAILABLE,
        ) from None
