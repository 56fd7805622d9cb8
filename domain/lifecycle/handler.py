"""The shape of one decision's rule: who may take it, at which stages, what it checks, which deadlines and side
effects it needs, what it changes, and when the case awaits it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel

from domain.case_file import CaseFile
from domain.case_messages import Actor, AdhocDeadline, AwaitedDecision, ComputeDeadlinesInput, Refusal
from domain.lifecycle.effects import Effect, EffectResults, ResolveDeadlines
from domain.lifecycle.outcome import Outcome, refuse
from domain.lifecycle.stage_groups import TERMINAL
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import london_date

I = TypeVar("I", bound=BaseModel)  # noqa: E741 - the decision's input model


@dataclass(frozen=True)
class DeadlineNeeds:
    """The deadlines a decision starts: rule-pack events (``CaseEvent`` value → date) and staff-set dates."""

    events: dict[str, date]
    adhoc: tuple[AdhocDeadline, ...] = ()
    local: dict[str, date] = field(default_factory=dict)  # local-practice deadlines (domain/local_practice.py)


@dataclass(frozen=True)
class Applying:
    """What ``apply`` is given besides the case: the time, and what the decision's effects returned."""

    now: datetime
    results: EffectResults

    @property
    def today(self) -> date:
        return london_date(self.now)


class DecisionHandler(Generic[I]):
    """One decision, whole. Subclasses set the class attributes and override what their rule needs."""

    input_type: ClassVar[type[BaseModel]]
    roles: ClassVar[tuple[Role, ...]]
    stages: ClassVar[tuple[Stage, ...]]
    describes: ClassVar[str]  # "record the sub-group's screening recommendation"
    # Awaited beside whatever the stage itself waits for (a peer challenge, open actions): listed after it.
    standing: ClassVar[bool] = False

    @property
    def kind(self) -> str:
        kind: str = self.input_type.model_fields["kind"].default
        return kind

    # -- the validator ----------------------------------------------------------------------------------

    def check(self, case: CaseFile, actor: Actor, decision: I, today: date) -> None:
        """Raise ``DecisionRefused`` unless ``actor`` may take ``decision`` now. Changes nothing."""
        if actor.role not in self.roles:
            allowed = " or ".join(r.value.replace("_", " ") for r in self.roles)
            raise refuse(
                f"Only the {allowed} can {self.describes}; you are acting as {actor.role.value.replace('_', ' ')}.",
                Refusal.FORBIDDEN,
            )
        if case.stage not in self.stages:
            raise refuse(
                f"The case is at stage '{case.stage.value}'; you can {self.describes} only at stage "
                + ", ".join(f"'{s.value}'" for s in self.stages if s not in TERMINAL)
                + "."
            )
        self.check_rule(case, actor, decision, today)

    def check_rule(self, case: CaseFile, actor: Actor, decision: I, today: date) -> None:
        """The decision's own rule, once role and stage are right."""

    # -- effects ----------------------------------------------------------------------------------------

    def deadlines(self, case: CaseFile, decision: I, today: date) -> DeadlineNeeds | None:
        """The deadlines this decision starts, resolved by an activity before ``apply``."""
        return None

    def effects(self, case: CaseFile, decision: I, today: date) -> list[Effect]:
        """Everything to run, in order, before ``apply``: the deadlines, then any effect of the decision's own."""
        needs = self.deadlines(case, decision, today)
        resolve = (
            [
                ResolveDeadlines(
                    ComputeDeadlinesInput(
                        rule_pack=case.rule_pack,
                        rule_pack_version=case.rule_pack_version,
                        events=needs.events,
                        adhoc=list(needs.adhoc),
                        local=needs.local,
                        board=case.board,
                    )
                )
            ]
            if needs is not None
            else []
        )
        return [*resolve, *self.own_effects(case, decision, today)]

    def own_effects(self, case: CaseFile, decision: I, today: date) -> list[Effect]:
        return []

    # -- the change -------------------------------------------------------------------------------------

    def apply(self, case: CaseFile, actor: Actor, decision: I, applying: Applying) -> Outcome:
        raise NotImplementedError

    # -- the task list ----------------------------------------------------------------------------------

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        """The tasks this decision stands for on ``case`` now (``due``: open deadlines by key)."""
        return []

    def task(self, description: str, by: date | None = None, roles: tuple[Role, ...] | None = None) -> AwaitedDecision:
        return AwaitedDecision(
            kind=self.kind, roles=[r.value for r in (roles or self.roles)], description=description, due=by
        )
