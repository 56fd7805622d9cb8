"""Closure phase: time on the website (at least 12 months, normally until the actions are complete), removal,
and closing the case, or an alternative review's learning (000, 001 §5, §11)."""

from __future__ import annotations

from datetime import date

from domain.case_file import CaseFile
from domain.case_messages import Actor, AwaitedDecision, DeadlineStatus, Refusal
from domain.decision_inputs import (
    CloseCaseInput,
    CompleteAlternativeReviewInput,
    ExtendRetentionInput,
    RemoveFromWebsiteInput,
)
from domain.lifecycle.clocks import RETENTION_REVIEW, cancel, finish
from domain.lifecycle.effects import Effect, RemoveReview
from domain.lifecycle.handler import Applying, DecisionHandler
from domain.lifecycle.outcome import Outcome, refuse
from domain.publication_messages import RemoveReviewInput
from domain.roles import Role
from domain.stages import Stage

SG, CHAIR = Role.SUB_GROUP, Role.INDEPENDENT_CHAIR
ON_THE_WEBSITE = (Stage.PUBLISHED, Stage.RETAINED)


class ExtendRetention(DecisionHandler[ExtendRetentionInput]):
    input_type = ExtendRetentionInput
    roles = (CHAIR,)
    stages = ON_THE_WEBSITE
    describes = "extend the time on the website"

    def check_rule(self, case: CaseFile, actor: Actor, d: ExtendRetentionInput, today: date) -> None:
        if d.keep_until <= today:
            raise refuse(f"keep_until must be after today ({today.isoformat()}).", Refusal.INVALID)

    def apply(self, case: CaseFile, actor: Actor, d: ExtendRetentionInput, applying: Applying) -> Outcome:
        case.publication.keep_until = d.keep_until
        return Outcome("decision", f"Kept on the website until at least {d.keep_until.isoformat()}", d.reason)


class RemoveFromWebsite(DecisionHandler[RemoveFromWebsiteInput]):
    input_type = RemoveFromWebsiteInput
    roles = (Role.PUBLISHER, CHAIR)
    stages = ON_THE_WEBSITE
    describes = "remove from the website"

    def check_rule(self, case: CaseFile, actor: Actor, d: RemoveFromWebsiteInput, today: date) -> None:
        minimum = case.deadlines.get("website_minimum")
        # The anniversary itself completes the 12 months: published 4 May 2016, removable from 4 May 2017.
        if minimum is not None and minimum.status == DeadlineStatus.PENDING and today < minimum.schedule.due:
            raise refuse(
                f"A published review stays on the website for at least 12 months: it may come down from "
                f"{minimum.schedule.due.isoformat()} (000; 001 §11)."
            )
        keep_until = case.publication.keep_until
        if keep_until is not None and today <= keep_until:
            raise refuse(f"The chair extended the time on the website until {keep_until.isoformat()}.")
        open_actions = case.open_actions()
        if open_actions and d.override_reason is None:
            names = ", ".join(a.action_id for a in open_actions)
            raise refuse(
                f"The review normally stays up until all actions are complete; still open: {names}. "
                "The chair may remove it anyway by giving 'override_reason'."
            )
        if d.override_reason is not None and actor.role != CHAIR:
            raise refuse("Only the independent chair can remove a review while actions are open.", Refusal.FORBIDDEN)

    def own_effects(self, case: CaseFile, d: RemoveFromWebsiteInput, today: date) -> list[Effect]:
        return [RemoveReview(RemoveReviewInput(reference=case.reference, removed_on=today))]

    def apply(self, case: CaseFile, actor: Actor, d: RemoveFromWebsiteInput, applying: Applying) -> Outcome:
        case.publication.removed_on = applying.today
        case.stage = Stage.REMOVED
        for key, deadline in case.deadlines.items():
            if key.startswith(RETENTION_REVIEW) and deadline.is_open:
                cancel(case, key)
        details = {"override_reason": d.override_reason, "open_actions": [a.action_id for a in case.open_actions()]}
        return Outcome("decision", "Removed from the website; available on request", d.reason, details)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        return [self.task("Remove from the website when the rules allow")] if case.stage == Stage.RETAINED else []


class CompleteAlternativeReview(DecisionHandler[CompleteAlternativeReviewInput]):
    input_type = CompleteAlternativeReviewInput
    roles = (SG,)
    stages = (Stage.ALTERNATIVE_REVIEW,)
    describes = "record the alternative review's learning"

    def apply(self, case: CaseFile, actor: Actor, d: CompleteAlternativeReviewInput, applying: Applying) -> Outcome:
        finish(case, Stage.CLOSED)
        return Outcome("decision", "Alternative review complete; learning recorded and the case closed", d.learning)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.ALTERNATIVE_REVIEW:
            return []
        return [self.task("Record the alternative review's learning")]


class CloseCase(DecisionHandler[CloseCaseInput]):
    input_type = CloseCaseInput
    roles = (CHAIR, SG)
    stages = (Stage.REMOVED,)
    describes = "close the case"

    def apply(self, case: CaseFile, actor: Actor, d: CloseCaseInput, applying: Applying) -> Outcome:
        finish(case, Stage.CLOSED)
        return Outcome("decision", "Case closed; its learning goes into the annual summary", d.learning_summary)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        return [self.task("Close the case")] if case.stage == Stage.REMOVED else []


HANDLERS = (ExtendRetention(), RemoveFromWebsite(), CompleteAlternativeReview(), CloseCase())
