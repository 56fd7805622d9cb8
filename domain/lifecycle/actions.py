"""Action plan phase: the actions agreed with partners (owner, due date, success criteria) and their progress,
each action on its own clock (001 §10)."""

from __future__ import annotations

from datetime import date

from domain.case_file import Action, CaseFile
from domain.case_messages import Actor, AdhocDeadline, AwaitedDecision, Refusal
from domain.decision_inputs import AgreeActionPlanInput, RecordActionProgressInput
from domain.lifecycle.clocks import add_deadline, meet
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.outcome import Outcome, refuse
from domain.lifecycle.stage_groups import AFTER_ACTION_PLAN
from domain.local_practice import PUBLICATION_DECISION
from domain.roles import Role
from domain.stages import Stage

BM, SG, CHAIR = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR


def action_key(action_id: str) -> str:
    return f"action:{action_id}"


def awaiting_publication_decision(case: CaseFile, today: date) -> dict[str, date]:
    """Publication should follow "as soon as possible" (003): a case waiting for its publication decision is
    reminded and escalated at the board's interval (local practice, ``domain/local_practice.py``)."""
    return {PUBLICATION_DECISION: today} if case.publication.deliver_copies else {}


def start_publication_decision_clock(case: CaseFile, applying: Applying) -> None:
    schedule = applying.results.schedules.get(PUBLICATION_DECISION)
    if schedule is not None:
        add_deadline(case, schedule, applying.now)


class AgreeActionPlan(DecisionHandler[AgreeActionPlanInput]):
    input_type = AgreeActionPlanInput
    roles = (SG,)
    stages = (Stage.ACTION_PLAN,)
    describes = "agree the action plan"

    def check_rule(self, case: CaseFile, actor: Actor, d: AgreeActionPlanInput, today: date) -> None:
        past = [a.action_id for a in d.actions if a.due_on <= today]
        if past:
            raise refuse(f"Action due dates must be after today; not so for: {', '.join(past)}.", Refusal.INVALID)

    def deadlines(self, case: CaseFile, d: AgreeActionPlanInput, today: date) -> DeadlineNeeds | None:
        adhoc = tuple(
            AdhocDeadline(
                key=action_key(a.action_id),
                title=f"Action {a.action_id} ({a.owner_agency})",
                due=a.due_on,
                reminder_working_days_before=[10, 5, 1],
                rule="due date agreed in the action plan",
                source="NEL SCR procedure (001) §10",
                who_acts=SG.value,
                escalate_to=[SG.value, CHAIR.value],
            )
            for a in d.actions
        )
        return DeadlineNeeds({}, adhoc, awaiting_publication_decision(case, today))

    def apply(self, case: CaseFile, actor: Actor, d: AgreeActionPlanInput, applying: Applying) -> Outcome:
        for planned in d.actions:
            case.actions[planned.action_id] = Action(
                action_id=planned.action_id,
                description=planned.description,
                owner_agency=planned.owner_agency,
                due_on=planned.due_on,
                success_criteria=planned.success_criteria,
            )
            add_deadline(case, applying.results.schedules[action_key(planned.action_id)], applying.now)
        case.stage = Stage.PUBLICATION_DECISION
        start_publication_decision_clock(case, applying)
        details = {"actions": [a.model_dump(mode="json") for a in d.actions]}
        return Outcome("decision", f"Action plan agreed: {len(d.actions)} actions", None, details)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        return [self.task("Agree the action plan with partners")] if case.stage == Stage.ACTION_PLAN else []


class RecordActionProgress(DecisionHandler[RecordActionProgressInput]):
    input_type = RecordActionProgressInput
    roles = (SG, BM, Role.AGENCY_CONTACT)
    stages = AFTER_ACTION_PLAN
    describes = "record action progress"
    standing = True

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordActionProgressInput, today: date) -> None:
        action = case.actions.get(d.action_id)
        if action is None:
            raise refuse(f"There is no action '{d.action_id}' in the action plan.")
        if action.completed_at is not None:
            raise refuse(f"Action '{d.action_id}' is already complete.")

    def apply(self, case: CaseFile, actor: Actor, d: RecordActionProgressInput, applying: Applying) -> Outcome:
        action = case.actions[d.action_id]
        action.progress.append(d.progress)
        if d.impact is not None:
            action.impact = d.impact
        if d.complete:
            action.completed_at = applying.now
            meet(case, action_key(d.action_id), applying.now)
        state = "complete" if d.complete else "in progress"
        details = {"action_id": d.action_id, "impact": d.impact, "complete": d.complete}
        return Outcome("decision", f"Action {d.action_id}: {state}", d.progress, details)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        return [
            self.task(f"Report progress on action {a.action_id} ({a.owner_agency})", a.due_on)
            for a in case.open_actions()
        ]


HANDLERS = (AgreeActionPlan(), RecordActionProgress())
