"""Every decision's handler, keyed by its input class: what the API and the case workflow build on.

The input models (``domain/decision_inputs.py``) are the only other list of decisions; each must have exactly
one handler, which this module checks as it loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, get_args

from pydantic import BaseModel

from domain.case_file import CaseFile
from domain.case_messages import Actor, AwaitedDecision
from domain.decision_inputs import DecisionInput
from domain.lifecycle import actions, closure, facts, publication, referral, review, review_participation
from domain.lifecycle.effects import Effect, EffectResults
from domain.lifecycle.handler import Applying, DecisionHandler
from domain.lifecycle.outcome import Outcome
from domain.uk_time import london_date

HANDLERS: tuple[DecisionHandler[Any], ...] = (
    *referral.HANDLERS,
    *facts.HANDLERS,
    *review.HANDLERS,
    *review_participation.HANDLERS,
    *actions.HANDLERS,
    *publication.HANDLERS,
    *closure.HANDLERS,
)
BY_INPUT: Mapping[type[BaseModel], DecisionHandler[Any]] = {h.input_type: h for h in HANDLERS}
BY_KIND: Mapping[str, DecisionHandler[Any]] = {h.kind: h for h in HANDLERS}

_inputs = set(get_args(get_args(DecisionInput)[0]))
if set(BY_INPUT) != _inputs or len(BY_INPUT) != len(HANDLERS):
    unhandled = sorted(model.__name__ for model in _inputs - set(BY_INPUT))
    raise RuntimeError(f"Every decision input needs exactly one handler; unhandled: {unhandled}")


def handler_for(decision: DecisionInput) -> DecisionHandler[Any]:
    return BY_INPUT[type(decision)]


def check(case: CaseFile, actor: Actor, decision: DecisionInput, today: date) -> None:
    """Raise ``DecisionRefused`` unless ``actor`` may take ``decision`` now (the update validator)."""
    handler_for(decision).check(case, actor, decision, today)


def declared_effects(case: CaseFile, decision: DecisionInput, today: date) -> list[Effect]:
    """What must run, in order, before the decision is applied."""
    return handler_for(decision).effects(case, decision, today)


def apply(case: CaseFile, actor: Actor, decision: DecisionInput, now: datetime, results: EffectResults) -> Outcome:
    """Change ``case`` by ``decision``, given what its effects returned. Checks again and may still refuse on
    rules that need the results, so apply it to a copy: a refusal then leaves the original as it was."""
    handler = handler_for(decision)
    handler.check(case, actor, decision, london_date(now))
    outcome = handler.apply(case, actor, decision, Applying(now, results))
    outcome.details.setdefault("decision_kind", handler.kind)
    return outcome


def awaiting(case: CaseFile) -> list[AwaitedDecision]:
    """The decisions the case waits for, who may take them and by when: the staff's task list. What the stage
    itself waits for comes first, then the standing tasks (peer challenges, information requests, actions)."""
    due = {key: d.schedule.due for key, d in case.deadlines.items() if d.is_open}
    staged = [task for h in HANDLERS if not h.standing for task in h.awaits(case, due)]
    return staged + [task for h in HANDLERS if h.standing for task in h.awaits(case, due)]
