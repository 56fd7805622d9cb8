"""Referral phase: screening, the chair's decision to initiate, peer challenge, the National Panel's advice and its
scrutiny of a decision not to initiate (001 §2–§4)."""

from __future__ import annotations

from datetime import date

from domain.case_file import CaseFile
from domain.case_messages import Actor, AwaitedDecision, NoticeKind, OfstedNotifiedByLA, Refusal
from domain.criteria import assess, chair_decision_problem
from domain.decision_inputs import (
    DecideChairInput,
    DecideScrutinyInput,
    RecordOfstedNotifiedInput,
    RecordPanelAdviceInput,
    RecordPanelInformationInput,
    RecordPeerChallengeInput,
    RecordScreeningInput,
    RespondPeerChallengeInput,
)
from domain.lifecycle.clocks import add_deadline, finish, meet
from domain.lifecycle.handler import Applying, DeadlineNeeds, DecisionHandler
from domain.lifecycle.incident import record_la_notice
from domain.lifecycle.outcome import NoticeRequest, Outcome, decision_notice, refuse
from domain.lifecycle.stage_groups import OPEN
from domain.roles import Recipient, Role
from domain.rule_pack import CaseEvent
from domain.stages import Stage
from domain.uk_time import london_date

BM, SG, CHAIR, LA = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR, Role.LOCAL_AUTHORITY
# Every chair decision (and its confirmation or revision after scrutiny) goes to these, notifiable or not (001 §4).
DECISION_RECIPIENTS = (Recipient.OFSTED, Recipient.NATIONAL_PANEL)
NOT_INITIATING = ("do_not_initiate", "alternative_review")  # both are decisions not to initiate an SCR
CHAIR_DECISION_TEXT = {
    "initiate_scr": "initiate a Serious Case Review",
    "do_not_initiate": "not initiate a Serious Case Review",
    "alternative_review": "commission an alternative form of review",
}


def panel_advice_since_mark(case: CaseFile) -> bool:
    """Has the National Panel advised since fresh advice became due (scrutiny, reviewers, non-publication)?"""
    return case.panel_advice_count > case.panel_advice_mark


class Screening(DecisionHandler[RecordScreeningInput]):
    input_type = RecordScreeningInput
    roles = (SG,)
    stages = (Stage.NOTIFIED, Stage.SCREENING)
    describes = "record the sub-group's screening recommendation"

    def apply(self, case: CaseFile, actor: Actor, d: RecordScreeningInput, applying: Applying) -> Outcome:
        case.screening = d.recommendation
        case.stage = Stage.AWAITING_CHAIR_DECISION
        text = d.recommendation.replace("_", " ")
        screening = case.assessment.scr
        summary = f"Sub-group recommends: {text}"
        if screening == "required_unless_definitive_evidence":
            summary += " (SCR required unless definitive evidence is recorded: regulation 5(2)(b)(ii))"
        return Outcome(
            "decision",
            summary,
            d.rationale,
            {"recommendation": d.recommendation, "scr": screening, "rule": list(case.assessment.grounds)},
            [decision_notice(case, (CHAIR.value,), "screening", f"the sub-group recommends: {text}")],
        )

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage not in self.stages:
            return []
        return [self.task("Screen the referral and recommend to the chair", due.get("chair_decision"))]


class ChairDecision(DecisionHandler[DecideChairInput]):
    input_type = DecideChairInput
    roles = (CHAIR,)
    stages = (Stage.AWAITING_CHAIR_DECISION,)
    describes = "decide whether to initiate a review"

    def check_rule(self, case: CaseFile, actor: Actor, d: DecideChairInput, today: date) -> None:
        problem = chair_decision_problem(case.assessment, d.decision, d.definitive_evidence or case.definitive_evidence)
        if problem is not None:
            raise refuse(problem)

    def deadlines(self, case: CaseFile, d: DecideChairInput, today: date) -> DeadlineNeeds | None:
        return DeadlineNeeds({CaseEvent.INITIATED.value: today}) if d.decision == "initiate_scr" else None

    def apply(self, case: CaseFile, actor: Actor, d: DecideChairInput, applying: Applying) -> Outcome:
        now = applying.now
        meet(case, "chair_decision", now)
        case.chair_decision = d.decision
        if d.decision == "initiate_scr":
            case.initiated_on = london_date(now)
            add_deadline(case, applying.results.schedules["review_completion"], now)
            case.stage = Stage.REVIEWER_APPOINTMENT
        elif d.decision == "do_not_initiate" or case.statutory_notices:
            # An alternative review is also a decision not to initiate an SCR: the panel scrutinises both (001 §4).
            case.stage = Stage.PANEL_SCRUTINY
            case.panel_advice_mark = case.panel_advice_count
        else:
            case.stage = Stage.ALTERNATIVE_REVIEW
        assessment = None
        if d.decision in NOT_INITIATING and d.definitive_evidence and case.assessment.definitive_evidence_required:
            case.definitive_evidence = d.definitive_evidence
            case.assessment = assess(case.incident, definitive_evidence_recorded=True)
            assessment = case.assessment.model_dump(mode="json")
        occurrence = str(case.next_occurrence("chair"))
        notices = []
        # Before issue 14 a case that was never notifiable was not reported at all; now every decision is (001 §4).
        if case.assessment.notifiable or case.statutory_notices:
            facts = {"decision_text": CHAIR_DECISION_TEXT[d.decision], "decided_on": london_date(now).isoformat()}
            notices.append(NoticeRequest(NoticeKind.CHAIR_DECISION, DECISION_RECIPIENTS, occurrence, facts))
        outcome = Outcome(
            "decision",
            f"Independent chair decided to {CHAIR_DECISION_TEXT[d.decision]}",
            d.rationale,
            {"decision": d.decision, "definitive_evidence": d.definitive_evidence},
            notices,
        )
        outcome.assessment = assessment
        return outcome

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.AWAITING_CHAIR_DECISION:
            return []
        return [self.task("Decide whether to initiate a Serious Case Review", due.get("chair_decision"))]


class PeerChallenge(DecisionHandler[RecordPeerChallengeInput]):
    input_type = RecordPeerChallengeInput
    roles = (Role.PEER_CHAIR,)
    stages = OPEN
    describes = "record a peer challenge"

    def apply(self, case: CaseFile, actor: Actor, d: RecordPeerChallengeInput, applying: Applying) -> Outcome:
        case.open_peer_challenges += 1
        notice = decision_notice(case, (CHAIR.value,), "peer_challenge", "a peer challenge was recorded")
        return Outcome("decision", "Peer challenge recorded", d.challenge, {}, [notice])


class PeerResponse(DecisionHandler[RespondPeerChallengeInput]):
    input_type = RespondPeerChallengeInput
    roles = (CHAIR,)
    stages = OPEN
    describes = "respond to a peer challenge"
    standing = True

    def check_rule(self, case: CaseFile, actor: Actor, d: RespondPeerChallengeInput, today: date) -> None:
        if case.open_peer_challenges == 0:
            raise refuse("There is no peer challenge awaiting a response.")

    def apply(self, case: CaseFile, actor: Actor, d: RespondPeerChallengeInput, applying: Applying) -> Outcome:
        case.open_peer_challenges -= 1
        return Outcome("decision", "Chair responded to the peer challenge", d.response)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        return [self.task("Respond to the peer challenge")] if case.open_peer_challenges else []


class PanelAdvice(DecisionHandler[RecordPanelAdviceInput]):
    input_type = RecordPanelAdviceInput
    roles = (BM, SG)
    stages = OPEN
    describes = "record the National Panel's advice"

    def apply(self, case: CaseFile, actor: Actor, d: RecordPanelAdviceInput, applying: Applying) -> Outcome:
        case.panel_advice_count += 1
        if d.outcome == "requests_information" and case.statutory_notices:
            case.panel_information_open += 1
        notice = decision_notice(case, (CHAIR.value,), "panel_advice", f"National Panel advice recorded ({d.outcome})")
        return Outcome(
            "decision",
            f"National Panel advice recorded: {d.outcome.replace('_', ' ')}",
            d.advice,
            {"outcome": d.outcome, "letter_document": d.letter_document, "stage": case.stage.value},
            [notice],
        )

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        """Fresh advice is due after a decision not to initiate, on the reviewers, and on not publishing."""
        if panel_advice_since_mark(case):
            return []
        if case.stage == Stage.PANEL_SCRUTINY:
            return [self.task("Record the National Panel's advice on the decision not to initiate")]
        if case.stage == Stage.REVIEWER_APPOINTMENT and case.reviewers_named:
            return [self.task("Record the National Panel's advice on the reviewers")]
        if case.stage == Stage.PUBLICATION_DECISION and case.publication.non_publication_pending:
            return [self.task("Record the National Panel's advice on not publishing")]
        return []


class ScrutinyOutcome(DecisionHandler[DecideScrutinyInput]):
    input_type = DecideScrutinyInput
    roles = (CHAIR,)
    stages = (Stage.PANEL_SCRUTINY,)
    describes = "confirm or revise a decision under scrutiny"

    def check_rule(self, case: CaseFile, actor: Actor, d: DecideScrutinyInput, today: date) -> None:
        if not panel_advice_since_mark(case) and d.without_panel_advice_reason is None:
            raise refuse(
                "The chair must have regard to the National Panel's advice: record it first, or give "
                "'without_panel_advice_reason'."
            )

    def apply(self, case: CaseFile, actor: Actor, d: DecideScrutinyInput, applying: Applying) -> Outcome:
        occurrence = str(case.next_occurrence("scrutiny_outcome"))
        alternative = case.chair_decision == "alternative_review" and case.statutory_notices
        what = (
            "the decision not to initiate an SCR (an alternative review)"
            if alternative
            else "the decision not to initiate"
        )
        if d.outcome == "revise":
            case.stage = Stage.AWAITING_CHAIR_DECISION
            summary = f"Chair revised {what}; a new decision is due"
            text = f"{what} is being revised"
        elif alternative:
            case.stage = Stage.ALTERNATIVE_REVIEW
            summary = f"Chair confirmed {what}; the alternative review goes ahead"
            text = f"{what} is confirmed; the alternative review goes ahead"
        else:
            finish(case, Stage.CLOSED_WITHOUT_REVIEW)
            summary = "Chair confirmed the decision not to initiate; the case is closed without review"
            text = "the decision not to initiate is confirmed"
        notices = []
        if case.assessment.notifiable or case.statutory_notices:
            facts = {"decision_text": text, "decided_on": applying.today.isoformat()}
            notices.append(
                NoticeRequest(NoticeKind.CASE_DECISION, DECISION_RECIPIENTS, f"scrutiny:{occurrence}", facts)
            )
        details = {"outcome": d.outcome, "without_panel_advice_reason": d.without_panel_advice_reason}
        return Outcome("decision", summary, d.rationale, details, notices)

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if case.stage != Stage.PANEL_SCRUTINY:
            return []
        return [self.task("Confirm or revise the decision not to initiate")]


class OfstedNotifiedByLocalAuthority(DecisionHandler[RecordOfstedNotifiedInput]):
    """The local authority's own notice to Ofsted (001 §1): whichever reached Ofsted first meets the deadline."""

    input_type = RecordOfstedNotifiedInput
    roles = (LA, BM)
    stages = OPEN
    describes = "record that the local authority notified Ofsted"

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordOfstedNotifiedInput, today: date) -> None:
        if case.ofsted_notified_by_la is not None:
            on = case.ofsted_notified_by_la.notified_on.isoformat()
            raise refuse(f"The local authority's notice to Ofsted is already recorded (notified on {on}).")
        if d.notified_on > today:
            raise refuse(f"notified_on {d.notified_on.isoformat()} is in the future.", Refusal.INVALID)
        if d.notified_on < case.aware_on:
            raise refuse(
                f"notified_on {d.notified_on.isoformat()} is before the local authority became aware of the incident "
                f"({case.aware_on.isoformat()}).",
                Refusal.INVALID,
            )

    def apply(self, case: CaseFile, actor: Actor, d: RecordOfstedNotifiedInput, applying: Applying) -> Outcome:
        notice = OfstedNotifiedByLA(notified_on=d.notified_on, notified_by=d.notified_by)
        summary = record_la_notice(case, notice, applying.now)
        details = {"notified_on": d.notified_on.isoformat(), "notified_by": d.notified_by}
        return Outcome("decision", summary, None, details)


class PanelInformation(DecisionHandler[RecordPanelInformationInput]):
    """The panel may ask for information while it scrutinises a decision; its provision is recorded (001 §4)."""

    input_type = RecordPanelInformationInput
    roles = (BM, SG)
    stages = OPEN
    describes = "record the information provided to the National Panel"
    standing = True

    def check_rule(self, case: CaseFile, actor: Actor, d: RecordPanelInformationInput, today: date) -> None:
        if case.panel_information_open == 0:
            raise refuse("The National Panel has no request for information awaiting an answer.")

    def apply(self, case: CaseFile, actor: Actor, d: RecordPanelInformationInput, applying: Applying) -> Outcome:
        case.panel_information_open -= 1
        summary = "Information provided to the National Panel, as it requested"
        return Outcome("decision", summary, d.summary, {"documents": list(d.documents)})

    def awaits(self, case: CaseFile, due: dict[str, date]) -> list[AwaitedDecision]:
        if not case.panel_information_open:
            return []
        return [self.task("Provide the information the National Panel requested")]


HANDLERS = (
    Screening(),
    ChairDecision(),
    PeerChallenge(),
    PeerResponse(),
    PanelAdvice(),
    ScrutinyOutcome(),
    OfstedNotifiedByLocalAuthority(),
    PanelInformation(),
)
