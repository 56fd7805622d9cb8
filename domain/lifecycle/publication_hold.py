"""Publication phase, held: parallel criminal proceedings, an inquest or a reporting restriction stop publication
until they conclude; everyone who holds the date is told, and the board's response is updated after (003)."""

from __future__ import annotations

from datetime import date

from domain.case_file import CaseFile
from domain.case_messages import Actor, AwaitedDecision
from domain.decision_inputs import RecordProceedingsInput, UpdateBoardResponseInput
from domain.lifecycle import copies
from domain.lifecycle.actions import awaiting_publication_decision, start_publication_decision_clock
from domain.lifecycle.clocks import cancel
from domain.lifecycle.copies import PUBLICATION_STEPS, STATUTORY_NOTICE
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.outcome import NoticeRequest, Outcome, refuse
from domain.lifecycle.stage_groups import BEFORE_PUBLICATION
from domain.roles import Role
from domain.stages import Stage

BM = Role.BUSINESS_MANAGER
# What a hold notice says of the proceedings (their note stays on the case): 003 names trials, inquests and
# reporting restrictions; cases that recorded a restriction as "other" before it had a value of its own say so.
HOLD_REASONS = {
    "criminal_trial": "criminal trial",
    "inquest": "inquest",
    "reporting_restriction": "reporting restriction",
    "other": "other proceedings or a reporting restriction",
}


class RecordProceedings(DecisionHandler[RecordProceedingsInput]):
    input_type = RecordProceedingsInput
    roles = (BM,)
    stages = BEFORE_PUBLICATION
    describes = "record parallel proceedings"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordProceedingsInput, today: date) -> None:
        known = d.proceeding_id in case.active_proceedings
        if d.status == "started" and known:
            raise refuse(f"Proceedings '{d.proceeding_id}' are already recorded as under way.")
        if d.status == "concluded" and not known:
            active = ", ".join(sorted(case.active_proceedings)) or "none"
            raise refuse(f"No proceedings '{d.proceeding_id}' are under way (under way: {active}).")

    def apply(self, case: CaseFile, actor: Actor, d: RecordProceedingsInput, applying: Applying) -> Outcome:
        what = d.proceeding.replace("_", " ")
        if d.status == "started":
            case.active_proceedings[d.proceeding_id] = d.proceeding
            notices: list[NoticeRequest] = []
            summary = f"Parallel proceedings under way: {what} ({d.proceeding_id})"
            if case.stage == Stage.PRE_PUBLICATION:
                case.stage = Stage.PUBLICATION_ON_HOLD
                for key in (STATUTORY_NOTICE, PUBLICATION_STEPS):
                    cancel(case, key)
                previous = case.publication.planned_on
                reason = HOLD_REASONS.get(d.proceeding, what)
                notices = copies.tell_date_holders(case, change="on hold", reason=reason, previous=previous, new=None)
                if notices:
                    summary += "; publication on hold: " + ", ".join(notices[0].recipients) + " told"
            return Outcome("decision", summary, d.note, {}, notices)
        del case.active_proceedings[d.proceeding_id]
        case.response_update_due = True
        summary = f"Parallel proceedings concluded: {what} ({d.proceeding_id})"
        if not case.active_proceedings and case.stage == Stage.PUBLICATION_ON_HOLD:
            summary += "; the board's response must now be updated"
        return Outcome("decision", summary, d.note)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PUBLICATION_ON_HOLD or not case.active_proceedings:
            return []
        return [self.task("Record the conclusion of: " + ", ".join(sorted(case.active_proceedings)))]


class UpdateBoardResponse(DecisionHandler[UpdateBoardResponseInput]):
    input_type = UpdateBoardResponseInput
    roles = (BM,)
    stages = (Stage.PUBLICATION_ON_HOLD,)
    describes = "record the updated board response"

    def check_rule(self, case: CaseFile, actor: Actor, d: UpdateBoardResponseInput, today: date) -> None:
        if case.active_proceedings:
            raise refuse("Publication waits for the conclusion of: " + ", ".join(sorted(case.active_proceedings)) + ".")

    def deadlines(self, case: CaseFile, d: UpdateBoardResponseInput, today: date) -> DeadlineNeeds | None:
        local = awaiting_publication_decision(case, today)
        return DeadlineNeeds({}, (), local) if local else None

    def apply(self, case: CaseFile, actor: Actor, d: UpdateBoardResponseInput, applying: Applying) -> Outcome:
        case.response_update_due = False
        case.stage = Stage.PUBLICATION_DECISION
        start_publication_decision_clock(case, applying)
        summary = "Board's response updated after the proceedings; a publication date is due"
        return Outcome("decision", summary, d.summary)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PUBLICATION_ON_HOLD or case.active_proceedings:
            return []
        return [self.task("Update the board's response after the proceedings")]
