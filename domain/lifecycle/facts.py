"""Facts change (scr-process.md, lifecycle 1): a seriously harmed child dies, abuse is suspected later, concern about
how agencies worked together is found. The criteria are assessed again (001 §1, §3); both assessments stay on the
record; a case that becomes notifiable sends its incident notice then; and a decision not to initiate an SCR whose
basis changed goes back to the chair, with a fresh month to decide (001 §4, from the fact update)."""

from __future__ import annotations

from datetime import date

from domain.case_file import CaseFile
from domain.case_messages import Actor, Refusal
from domain.criteria import Assessment, assess
from domain.decision_inputs import UpdateFactsInput
from domain.lifecycle.clocks import add_deadline, cancel
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.incident import (
    INCIDENT_DEADLINES,
    incident_notice,
    name_other_lscbs,
    start_incident_deadlines,
)
from domain.lifecycle.outcome import NoticeRequest, Outcome, decision_notice, refuse
from domain.lifecycle.referral import NOT_INITIATING
from domain.lifecycle.stage_groups import OPEN
from domain.roles import Role
from domain.rule_pack import CaseEvent
from domain.stages import Stage

CHAIR_DEADLINE = "chair_decision"
REOPENABLE = (Stage.PANEL_SCRUTINY, Stage.ALTERNATIVE_REVIEW)


def _basis(a: Assessment) -> tuple[object, ...]:
    """What a chair's decision rests on: whether an SCR is required, on which bases, and whether not initiating
    is allowed."""
    return (a.scr, tuple(a.bases), a.do_not_initiate_allowed, a.definitive_evidence_required)


def _assessed(case: CaseFile, d: UpdateFactsInput) -> Assessment:
    return assess(d.incident, definitive_evidence_recorded=bool(d.definitive_evidence or case.definitive_evidence))


def _newly_notifiable(case: CaseFile, new: Assessment) -> bool:
    return new.notifiable and not case.assessment.notifiable and not case.incident_notice_to


def _reopens(case: CaseFile, new: Assessment) -> bool:
    return case.chair_decision in NOT_INITIATING and case.stage in REOPENABLE and _basis(case.assessment) != _basis(new)


class UpdateFacts(DecisionHandler[UpdateFactsInput]):
    input_type = UpdateFactsInput
    roles = (Role.BUSINESS_MANAGER, Role.LOCAL_AUTHORITY)
    stages = OPEN
    describes = "update the incident facts"

    def check_rule(self, case: CaseFile, actor: Actor, d: UpdateFactsInput, today: date) -> None:
        if d.incident == case.incident and not d.definitive_evidence:
            raise refuse("These are the facts already recorded: nothing to update.")
        if case.board in d.incident.other_lscbs:
            raise refuse(f"{case.board} is this case's own board, not another LSCB.", Refusal.INVALID)
        if d.definitive_evidence and not assess(d.incident).definitive_evidence_required:
            raise refuse(
                "Definitive evidence about inter-agency working is recorded only for a seriously harmed child with "
                "abuse or neglect known or suspected (regulation 5(2)(b)(ii)).",
                Refusal.INVALID,
            )

    def deadlines(self, case: CaseFile, d: UpdateFactsInput, today: date) -> DeadlineNeeds | None:
        new = _assessed(case, d)
        events = {}
        if _newly_notifiable(case, new):
            events[CaseEvent.AWARE.value] = today  # the local authority knows of a notifiable incident from now
        if _reopens(case, new):
            events[CaseEvent.NOTIFIED.value] = today
        return DeadlineNeeds(events) if events else None

    def apply(self, case: CaseFile, actor: Actor, d: UpdateFactsInput, applying: Applying) -> Outcome:
        old, new = case.assessment, _assessed(case, d)
        newly_notifiable, reopens = _newly_notifiable(case, new), _reopens(case, new)
        added = [code for code in d.incident.other_lscbs if code not in case.incident.other_lscbs]
        case.incident, case.assessment = d.incident, new
        if d.definitive_evidence:
            case.definitive_evidence = d.definitive_evidence
        said = [f"Facts updated; SCR {old.scr.replace('_', ' ')} → {new.scr.replace('_', ' ')}"]
        notices: list[NoticeRequest] = []
        if newly_notifiable:
            for step in start_incident_deadlines(case, applying.results.schedules, applying.now, applying.today):
                said.append(step.summary)
            notice = incident_notice(case)
            notices += [notice] if notice else []
            said.append("the incident is now notifiable: Ofsted and the LSCB(s) are told")
        elif new.notifiable and added:
            notice = incident_notice(case, name_other_lscbs(case, added, applying.now))
            notices += [notice] if notice else []
        elif old.notifiable and not new.notifiable:
            for key in INCIDENT_DEADLINES:
                cancel(case, key)
        if reopens:
            self._reopen(case, applying)
            said.append("the chair's decision is reopened: its basis changed")
            notices.append(
                decision_notice(
                    case,
                    (Role.INDEPENDENT_CHAIR.value, Role.SUB_GROUP.value),
                    f"facts:{case.next_occurrence('facts_reopened')}",
                    "the facts changed and the decision whether to initiate a review is reopened",
                )
            )
        details = {
            "previous_assessment": old.model_dump(mode="json"),
            "assessment": new.model_dump(mode="json"),
            "incident": d.incident.model_dump(mode="json"),
            "chair_decision_reopened": reopens,
            "newly_notifiable": newly_notifiable,
        }
        outcome = Outcome("decision", "; ".join(said), d.reason, details, notices)
        outcome.assessment = new.model_dump(mode="json")
        outcome.incident = d.incident.model_dump(mode="json")
        return outcome

    @staticmethod
    def _reopen(case: CaseFile, applying: Applying) -> None:
        """Back to the chair with a fresh month; the earlier chair deadline stays on the record under its own key."""
        earlier = case.deadlines.pop(CHAIR_DEADLINE, None)
        if earlier is not None:
            key = f"{CHAIR_DEADLINE}:{case.next_occurrence('chair_deadline')}"
            case.deadlines[key] = earlier.model_copy(
                update={"schedule": earlier.schedule.model_copy(update={"key": key})}
            )
            cancel(case, key)
        schedule = applying.results.schedules[CHAIR_DEADLINE]
        rule = f"{schedule.rule}, run again from the fact update that reopened the decision"
        add_deadline(case, schedule.model_copy(update={"rule": rule}), applying.now)
        case.chair_decision = None
        case.stage = Stage.AWAITING_CHAIR_DECISION


HANDLERS = (UpdateFacts(),)
