"""The lifecycle rules of a case: who may decide what, at which stage, and what each decision changes.

Pure and deterministic (no clock, no I/O): the workflow passes the time in, runs the activities these
rules ask for, and carries the :class:`CaseFile` they change. ``check`` is what the update validator
runs; ``apply`` changes a case (the workflow applies it to a copy, so a refusal changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from domain.calendar import add_calendar_months
from domain.case_file import Action, CaseFile, InformationRequest, OnDue, TrackedDeadline
from domain.case_messages import (
    Actor,
    AdhocDeadline,
    AwaitedDecision,
    ComputeDeadlinesInput,
    DeadlineStatus,
    NoticeKind,
    Refusal,
    ScheduledDeadline,
)
from domain.criteria import chair_decision_problem
from domain.decision_inputs import (
    AgreeActionPlanInput,
    AppointReviewersInput,
    CloseCaseInput,
    CompleteAlternativeReviewInput,
    DecideChairInput,
    DecideFinalPublicationInput,
    DecidePublicationInput,
    DecideScrutinyInput,
    DecisionInput,
    ExtendRetentionInput,
    MovePublicationDateInput,
    RecordActionProgressInput,
    RecordAgencyAccountInput,
    RecordInformationResponseInput,
    RecordPanelAdviceInput,
    RecordPeerChallengeInput,
    RecordPrepublicationInput,
    RecordProceedingsInput,
    RecordPublishedInput,
    RecordQualityAssuranceInput,
    RecordReviewDelayInput,
    RecordScreeningInput,
    RemoveFromWebsiteInput,
    RequestInformationInput,
    RespondPeerChallengeInput,
    StartReviewInput,
    SubmitFinalReportInput,
    UpdateBoardResponseInput,
)
from domain.quality import QUALITY_RULES
from domain.roles import Recipient, Role
from domain.rule_pack import CaseEvent
from domain.stages import Stage
from domain.uk_time import london_date, start_of_working_day

TERMINAL = (Stage.CLOSED, Stage.CLOSED_WITHOUT_REVIEW)
OPEN = tuple(s for s in Stage if s not in TERMINAL)
BEFORE_PUBLICATION = tuple(
    s for s in OPEN if s not in (Stage.PUBLISHED, Stage.RETAINED, Stage.REMOVED, Stage.ALTERNATIVE_REVIEW)
)
AFTER_ACTION_PLAN = (
    Stage.PUBLICATION_DECISION,
    Stage.PUBLICATION_ON_HOLD,
    Stage.PRE_PUBLICATION,
    Stage.PUBLISHED,
    Stage.RETAINED,
    Stage.REMOVED,
)
CONSENT_ITEMS = ("professionals_informed", "family_supported", "media_strategy_ready", "chair_consent")
PUBLICATION_STEPS = "prepublication_steps"
STATUTORY_NOTICE = "prepublication_notice"
RETENTION_REVIEW = "retention_review"
SYSTEM = Actor(user="system", role=Role.OPERATOR)


class DecisionRefused(Exception):
    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


@dataclass(frozen=True)
class NoticeRequest:
    kind: NoticeKind
    recipients: tuple[str, ...]
    occurrence: str
    facts: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a decision or a clock event did: the audit entry, and the notices it sends."""

    kind: str
    summary: str
    rationale: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notices: list[NoticeRequest] = field(default_factory=list)


@dataclass(frozen=True)
class DecisionRule:
    roles: tuple[Role, ...]
    stages: tuple[Stage, ...]
    describes: str  # "record the sub-group's screening recommendation"


BM, SG, CHAIR = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR
DECISIONS: dict[str, DecisionRule] = {
    "screening": DecisionRule(
        (SG,), (Stage.NOTIFIED, Stage.SCREENING), "record the sub-group's screening recommendation"
    ),
    "chair": DecisionRule((CHAIR,), (Stage.AWAITING_CHAIR_DECISION,), "decide whether to initiate a review"),
    "peer_challenge": DecisionRule((Role.PEER_CHAIR,), OPEN, "record a peer challenge"),
    "peer_response": DecisionRule((CHAIR,), OPEN, "respond to a peer challenge"),
    "panel_advice": DecisionRule((BM, SG), OPEN, "record the National Panel's advice"),
    "scrutiny_outcome": DecisionRule((CHAIR,), (Stage.PANEL_SCRUTINY,), "confirm or revise a decision under scrutiny"),
    "reviewers": DecisionRule((BM, SG), (Stage.REVIEWER_APPOINTMENT,), "name the lead reviewers"),
    "start_review": DecisionRule((CHAIR,), (Stage.REVIEWER_APPOINTMENT,), "start the review"),
    "information_request": DecisionRule(
        (Role.LEAD_REVIEWER, BM), (Stage.IN_REVIEW,), "request information from an agency"
    ),
    "information_response": DecisionRule(
        (Role.AGENCY_CONTACT, BM), (Stage.IN_REVIEW, Stage.QUALITY_ASSURANCE), "record an agency's response"
    ),
    "agency_account": DecisionRule(
        (Role.AGENCY_CONTACT, BM, Role.LEAD_REVIEWER), (Stage.IN_REVIEW,), "record an agency's written account"
    ),
    "review_delay": DecisionRule((Role.LEAD_REVIEWER, SG), (Stage.IN_REVIEW,), "record a delay to the review"),
    "final_report": DecisionRule((Role.LEAD_REVIEWER,), (Stage.IN_REVIEW,), "submit the final report"),
    "quality_assurance": DecisionRule((SG,), (Stage.QUALITY_ASSURANCE,), "record the quality assurance"),
    "action_plan": DecisionRule((SG,), (Stage.ACTION_PLAN,), "agree the action plan"),
    "action_progress": DecisionRule((SG, BM, Role.AGENCY_CONTACT), AFTER_ACTION_PLAN, "record action progress"),
    "publication": DecisionRule((CHAIR,), (Stage.PUBLICATION_DECISION,), "decide on publication"),
    "final_publication": DecisionRule(
        (CHAIR,), (Stage.PUBLICATION_DECISION,), "take the final decision on non-publication"
    ),
    "proceedings": DecisionRule((BM,), BEFORE_PUBLICATION, "record parallel proceedings"),
    "board_response": DecisionRule((BM,), (Stage.PUBLICATION_ON_HOLD,), "record the updated board response"),
    "prepublication": DecisionRule((BM, CHAIR), (Stage.PRE_PUBLICATION,), "record a pre-publication step"),
    "publication_date": DecisionRule((CHAIR,), (Stage.PRE_PUBLICATION,), "move the publication date"),
    "published": DecisionRule((Role.PUBLISHER,), (Stage.PRE_PUBLICATION,), "confirm publication"),
    "retention": DecisionRule((CHAIR,), (Stage.PUBLISHED, Stage.RETAINED), "extend the time on the website"),
    "removal": DecisionRule((Role.PUBLISHER, CHAIR), (Stage.PUBLISHED, Stage.RETAINED), "remove from the website"),
    "alternative_review_complete": DecisionRule(
        (SG,), (Stage.ALTERNATIVE_REVIEW,), "record the alternative review's learning"
    ),
    "close": DecisionRule((CHAIR, SG), (Stage.REMOVED,), "close the case"),
}

CHAIR_DECISION_TEXT = {
    "initiate_scr": "initiate a Serious Case Review",
    "do_not_initiate": "not initiate a Serious Case Review",
    "alternative_review": "commission an alternative form of review",
}


def _refuse(message: str, refusal: Refusal = Refusal.CONFLICT) -> DecisionRefused:
    return DecisionRefused(refusal, message)


def _stage_name(stage: Stage) -> str:
    return stage.value.replace("_", " ")


# -- checks (the validator) -------------------------------------------------------------------------------


def check(case: CaseFile, actor: Actor, decision: DecisionInput, today: date) -> None:
    """Raise :class:`DecisionRefused` unless ``actor`` may take ``decision`` now. Changes nothing."""
    rule = DECISIONS[decision.kind]
    if actor.role not in rule.roles:
        allowed = " or ".join(r.value.replace("_", " ") for r in rule.roles)
        raise _refuse(
            f"Only the {allowed} can {rule.describes}; you are acting as {actor.role.value.replace('_', ' ')}.",
            Refusal.FORBIDDEN,
        )
    if case.stage not in rule.stages:
        raise _refuse(
            f"The case is at stage '{case.stage.value}'; you can {rule.describes} only at stage "
            + ", ".join(f"'{s.value}'" for s in rule.stages if s not in TERMINAL)
            + "."
        )
    _CHECKS.get(decision.kind, _no_check)(case, actor, decision, today)


def _no_check(case: CaseFile, actor: Actor, decision: Any, today: date) -> None:
    return None


def _check_chair(case: CaseFile, actor: Actor, d: DecideChairInput, today: date) -> None:
    problem = chair_decision_problem(case.assessment, d.decision, d.definitive_evidence)
    if problem is not None:
        raise _refuse(problem)


def _check_peer_response(case: CaseFile, actor: Actor, d: RespondPeerChallengeInput, today: date) -> None:
    if case.open_peer_challenges == 0:
        raise _refuse("There is no peer challenge awaiting a response.")


def _advice_since_mark(case: CaseFile) -> bool:
    return case.panel_advice_count > case.panel_advice_mark


def _check_scrutiny(case: CaseFile, actor: Actor, d: DecideScrutinyInput, today: date) -> None:
    if not _advice_since_mark(case) and d.without_panel_advice_reason is None:
        raise _refuse(
            "The chair must have regard to the National Panel's advice: record it first, or give "
            "'without_panel_advice_reason'."
        )


def _check_start_review(case: CaseFile, actor: Actor, d: StartReviewInput, today: date) -> None:
    if not case.reviewers_named:
        raise _refuse("Name the lead reviewers (decision 'reviewers') before the review starts.")
    if not _advice_since_mark(case) and d.without_panel_advice_reason is None:
        raise _refuse(
            "The review starts once the National Panel's advice on the reviewers is recorded, or the chair "
            "records why it proceeds without it ('without_panel_advice_reason')."
        )


def _check_information_request(case: CaseFile, actor: Actor, d: RequestInformationInput, today: date) -> None:
    if d.request_id in case.information_requests:
        raise _refuse(f"An information request '{d.request_id}' already exists on this case.")
    if d.due_on <= today:
        raise _refuse(f"due_on must be after today ({today.isoformat()}).", Refusal.INVALID)


def _check_information_response(case: CaseFile, actor: Actor, d: RecordInformationResponseInput, today: date) -> None:
    request = case.information_requests.get(d.request_id)
    if request is None:
        known = ", ".join(sorted(case.information_requests)) or "none"
        raise _refuse(f"There is no information request '{d.request_id}' (requests: {known}).")
    if request.answered_at is not None:
        raise _refuse(f"Information request '{d.request_id}' has already been answered.")


def _check_quality(case: CaseFile, actor: Actor, d: RecordQualityAssuranceInput, today: date) -> None:
    missing = sorted(set(QUALITY_RULES) - set(d.checks))
    unknown = sorted(set(d.checks) - set(QUALITY_RULES))
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unknown:
            parts.append("not quality rules: " + ", ".join(unknown))
        raise _refuse(
            "Every quality rule needs a pass or fail with a comment (" + "; ".join(parts) + ").", Refusal.INVALID
        )


def _check_action_plan(case: CaseFile, actor: Actor, d: AgreeActionPlanInput, today: date) -> None:
    past = [a.action_id for a in d.actions if a.due_on <= today]
    if past:
        raise _refuse(f"Action due dates must be after today; not so for: {', '.join(past)}.", Refusal.INVALID)


def _check_action_progress(case: CaseFile, actor: Actor, d: RecordActionProgressInput, today: date) -> None:
    action = case.actions.get(d.action_id)
    if action is None:
        raise _refuse(f"There is no action '{d.action_id}' in the action plan.")
    if action.completed_at is not None:
        raise _refuse(f"Action '{d.action_id}' is already complete.")


def _check_future(day: date, today: date, name: str = "publication_on") -> None:
    if day <= today:
        raise _refuse(f"{name} must be after today ({today.isoformat()}).", Refusal.INVALID)


def _check_publication(case: CaseFile, actor: Actor, d: DecidePublicationInput, today: date) -> None:
    if case.publication.non_publication_pending:
        raise _refuse("A decision not to publish awaits the panel's advice and the chair's final decision.")
    if d.publication_on is not None:
        _check_future(d.publication_on, today)


def _check_final_publication(case: CaseFile, actor: Actor, d: DecideFinalPublicationInput, today: date) -> None:
    if not case.publication.non_publication_pending:
        raise _refuse("There is no decision not to publish awaiting a final decision.")
    if not _advice_since_mark(case):
        raise _refuse("Record the National Panel's advice on not publishing before the final decision.")
    _check_future(d.publication_on, today)


def _check_proceedings(case: CaseFile, actor: Actor, d: RecordProceedingsInput, today: date) -> None:
    known = d.proceeding_id in case.active_proceedings
    if d.status == "started" and known:
        raise _refuse(f"Proceedings '{d.proceeding_id}' are already recorded as under way.")
    if d.status == "concluded" and not known:
        active = ", ".join(sorted(case.active_proceedings)) or "none"
        raise _refuse(f"No proceedings '{d.proceeding_id}' are under way (under way: {active}).")


def _check_board_response(case: CaseFile, actor: Actor, d: UpdateBoardResponseInput, today: date) -> None:
    if case.active_proceedings:
        raise _refuse("Publication waits for the conclusion of: " + ", ".join(sorted(case.active_proceedings)) + ".")


def _check_prepublication(case: CaseFile, actor: Actor, d: RecordPrepublicationInput, today: date) -> None:
    if (d.item == "chair_consent") != (actor.role == CHAIR):
        who = "the independent chair" if d.item == "chair_consent" else "the business manager"
        raise _refuse(f"'{d.item}' is recorded by {who}.", Refusal.FORBIDDEN)


def _check_publication_date(case: CaseFile, actor: Actor, d: MovePublicationDateInput, today: date) -> None:
    _check_future(d.publication_on, today)


def _check_published(case: CaseFile, actor: Actor, d: RecordPublishedInput, today: date) -> None:
    missing = [item for item in CONSENT_ITEMS if item not in case.publication.consent]
    if missing:
        raise _refuse("Before publication these steps must be recorded: " + ", ".join(missing) + ".")
    planned = case.publication.planned_on
    if planned is not None and today < planned:
        raise _refuse(f"Publication is planned for {planned.isoformat()}; it cannot go up before then.")


def _check_retention(case: CaseFile, actor: Actor, d: ExtendRetentionInput, today: date) -> None:
    _check_future(d.keep_until, today, "keep_until")


def _check_removal(case: CaseFile, actor: Actor, d: RemoveFromWebsiteInput, today: date) -> None:
    minimum = case.deadlines.get("website_minimum")
    if minimum is not None and minimum.status == DeadlineStatus.PENDING:
        raise _refuse(
            f"A published review stays on the website for at least 12 months: it may come down from "
            f"{(minimum.schedule.due + timedelta(days=1)).isoformat()} (000; 001 §11)."
        )
    keep_until = case.publication.keep_until
    if keep_until is not None and today <= keep_until:
        raise _refuse(f"The chair extended the time on the website until {keep_until.isoformat()}.")
    open_actions = case.open_actions()
    if open_actions and d.override_reason is None:
        names = ", ".join(a.action_id for a in open_actions)
        raise _refuse(
            f"The review normally stays up until all actions are complete; still open: {names}. "
            "The chair may remove it anyway by giving 'override_reason'."
        )
    if d.override_reason is not None and actor.role != CHAIR:
        raise _refuse("Only the independent chair can remove a review while actions are open.", Refusal.FORBIDDEN)


_CHECKS: dict[str, Callable[[CaseFile, Actor, Any, date], None]] = {
    "chair": _check_chair,
    "peer_response": _check_peer_response,
    "scrutiny_outcome": _check_scrutiny,
    "start_review": _check_start_review,
    "information_request": _check_information_request,
    "information_response": _check_information_response,
    "quality_assurance": _check_quality,
    "action_plan": _check_action_plan,
    "action_progress": _check_action_progress,
    "publication": _check_publication,
    "final_publication": _check_final_publication,
    "proceedings": _check_proceedings,
    "board_response": _check_board_response,
    "prepublication": _check_prepublication,
    "publication_date": _check_publication_date,
    "published": _check_published,
    "retention": _check_retention,
    "removal": _check_removal,
}


# -- deadlines a decision needs (computed by an activity before apply) ------------------------------------


def deadline_requests(case: CaseFile, decision: DecisionInput, today: date) -> ComputeDeadlinesInput | None:
    events: dict[str, date] = {}
    adhoc: list[AdhocDeadline] = []
    match decision:
        case DecideChairInput(decision="initiate_scr"):
            events[CaseEvent.INITIATED.value] = today
        case RequestInformationInput():
            adhoc.append(
                AdhocDeadline(
                    key=f"information_request:{decision.request_id}",
                    title=f"Information from {decision.agency} ({decision.request_id})",
                    due=decision.due_on,
                    reminder_working_days_before=[3, 1],
                    rule="due date set in the information request (s14B Children Act 2004)",
                    source="NEL SCR procedure (001) §8",
                    who_acts=BM.value,
                    escalate_to=[SG.value],
                )
            )
        case AgreeActionPlanInput():
            adhoc.extend(
                AdhocDeadline(
                    key=f"action:{a.action_id}",
                    title=f"Action {a.action_id} ({a.owner_agency})",
                    due=a.due_on,
                    reminder_working_days_before=[10, 5, 1],
                    rule="due date agreed in the action plan",
                    source="NEL SCR procedure (001) §10",
                    who_acts=SG.value,
                    escalate_to=[SG.value, CHAIR.value],
                )
                for a in decision.actions
            )
        case (
            DecidePublicationInput(publication_on=date() as day)
            | MovePublicationDateInput(publication_on=date() as day)
        ):
            events[CaseEvent.PUBLICATION_PLANNED.value] = day
            adhoc.append(_steps_deadline(day))
        case DecideFinalPublicationInput():
            events[CaseEvent.PUBLICATION_PLANNED.value] = decision.publication_on
            adhoc.append(_steps_deadline(decision.publication_on))
        case RecordPublishedInput():
            events[CaseEvent.PUBLISHED.value] = today
        case _:
            return None
    return ComputeDeadlinesInput(
        rule_pack=case.rule_pack, rule_pack_version=case.rule_pack_version, events=events, adhoc=adhoc
    )


def _steps_deadline(publication_on: date) -> AdhocDeadline:
    return AdhocDeadline(
        key=PUBLICATION_STEPS,
        title="Professionals, family, media strategy and chair's consent recorded",
        due=publication_on - timedelta(days=1),
        reminder_working_days_before=[5, 2, 1],
        rule="all recorded before the publication date",
        source="NEL SCR procedure (001) §11; Kent briefing (004)",
        who_acts=BM.value,
        escalate_to=[CHAIR.value],
    )


# -- applying decisions ----------------------------------------------------------------------------------


def apply(
    case: CaseFile,
    actor: Actor,
    decision: DecisionInput,
    now: datetime,
    schedules: list[ScheduledDeadline],
    published_at: str | None = None,
) -> Outcome:
    """Change ``case`` by ``decision`` (already checked). May still refuse on rules that need the computed
    ``schedules``; apply to a copy of the case so that a refusal leaves the original as it was.
    ``published_at`` is where the publisher put a review on the website (for 'published')."""
    today = london_date(now)
    check(case, actor, decision, today)
    by_key = {s.key: s for s in schedules}
    if published_at is not None:
        case.publication.location = published_at
    outcome = _APPLY[decision.kind](case, actor, decision, now, by_key)
    outcome.details.setdefault("decision_kind", decision.kind)
    return outcome


def _apply_screening(case: CaseFile, actor: Actor, d: RecordScreeningInput, now: datetime, _s: Any) -> Outcome:
    case.screening = d.recommendation
    case.stage = Stage.AWAITING_CHAIR_DECISION
    text = d.recommendation.replace("_", " ")
    return Outcome(
        "decision",
        f"Sub-group recommends: {text}",
        d.rationale,
        {"recommendation": d.recommendation},
        [_decision_notice(case, (CHAIR.value,), "screening", f"the sub-group recommends: {text}")],
    )


def _apply_chair(
    case: CaseFile, actor: Actor, d: DecideChairInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    meet(case, "chair_decision", now)
    case.chair_decision = d.decision
    if d.decision == "initiate_scr":
        case.initiated_on = london_date(now)
        add_deadline(case, schedules["review_completion"], now)
        case.stage = Stage.REVIEWER_APPOINTMENT
    elif d.decision == "do_not_initiate":
        case.stage = Stage.PANEL_SCRUTINY
        case.panel_advice_mark = case.panel_advice_count
    else:
        case.stage = Stage.ALTERNATIVE_REVIEW
    occurrence = str(case.next_occurrence("chair"))
    notices = []
    # The decision goes to Ofsted and the National Panel either way; a case that was never notifiable
    # (e.g. an alternative review of good practice) is not reported to Ofsted at all.
    if case.assessment.notifiable:
        facts = {"decision_text": CHAIR_DECISION_TEXT[d.decision], "decided_on": london_date(now).isoformat()}
        notices.append(
            NoticeRequest(NoticeKind.CHAIR_DECISION, (Recipient.OFSTED, Recipient.NATIONAL_PANEL), occurrence, facts)
        )
    return Outcome(
        "decision",
        f"Independent chair decided to {CHAIR_DECISION_TEXT[d.decision]}",
        d.rationale,
        {"decision": d.decision, "definitive_evidence": d.definitive_evidence},
        notices,
    )


def _apply_peer_challenge(case: CaseFile, actor: Actor, d: RecordPeerChallengeInput, now: datetime, _s: Any) -> Outcome:
    case.open_peer_challenges += 1
    notice = _decision_notice(case, (CHAIR.value,), "peer_challenge", "a peer challenge was recorded")
    return Outcome("decision", "Peer challenge recorded", d.challenge, {}, [notice])


def _apply_peer_response(case: CaseFile, actor: Actor, d: RespondPeerChallengeInput, now: datetime, _s: Any) -> Outcome:
    case.open_peer_challenges -= 1
    return Outcome("decision", "Chair responded to the peer challenge", d.response)


def _apply_panel_advice(case: CaseFile, actor: Actor, d: RecordPanelAdviceInput, now: datetime, _s: Any) -> Outcome:
    case.panel_advice_count += 1
    notice = _decision_notice(case, (CHAIR.value,), "panel_advice", f"National Panel advice recorded ({d.outcome})")
    return Outcome(
        "decision",
        f"National Panel advice recorded: {d.outcome.replace('_', ' ')}",
        d.advice,
        {"outcome": d.outcome, "letter_document": d.letter_document, "stage": case.stage.value},
        [notice],
    )


def _apply_scrutiny(case: CaseFile, actor: Actor, d: DecideScrutinyInput, now: datetime, _s: Any) -> Outcome:
    occurrence = str(case.next_occurrence("scrutiny_outcome"))
    if d.outcome == "revise":
        case.stage = Stage.AWAITING_CHAIR_DECISION
        summary = "Chair revised the decision not to initiate; a new decision is due"
        text = "the decision not to initiate is being revised"
    else:
        _finish(case, Stage.CLOSED_WITHOUT_REVIEW)
        summary = "Chair confirmed the decision not to initiate; the case is closed without review"
        text = "the decision not to initiate is confirmed"
    notices = []
    if case.assessment.notifiable:
        facts = {"decision_text": text, "decided_on": london_date(now).isoformat()}
        notices.append(
            NoticeRequest(
                NoticeKind.CASE_DECISION, (Recipient.OFSTED, Recipient.NATIONAL_PANEL), f"scrutiny:{occurrence}", facts
            )
        )
    details = {"outcome": d.outcome, "without_panel_advice_reason": d.without_panel_advice_reason}
    return Outcome("decision", summary, d.rationale, details, notices)


def _apply_reviewers(case: CaseFile, actor: Actor, d: AppointReviewersInput, now: datetime, _s: Any) -> Outcome:
    case.reviewers_named = True
    case.panel_advice_mark = case.panel_advice_count
    occurrence = str(case.next_occurrence("reviewers"))
    names = "; ".join(f"{r.name} ({r.organisation})" for r in d.reviewers)
    notice = NoticeRequest(NoticeKind.REVIEWER_NAMES, (Recipient.NATIONAL_PANEL,), occurrence, {"reviewers": names})
    details = {"reviewers": [r.model_dump() for r in d.reviewers]}
    return Outcome("decision", f"Lead reviewer(s) named: {names}", None, details, [notice])


def _apply_start_review(case: CaseFile, actor: Actor, d: StartReviewInput, now: datetime, _s: Any) -> Outcome:
    case.stage = Stage.IN_REVIEW
    details = {"without_panel_advice_reason": d.without_panel_advice_reason}
    return Outcome("decision", "Review started", d.rationale, details)


def _apply_information_request(
    case: CaseFile, actor: Actor, d: RequestInformationInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    key = f"information_request:{d.request_id}"
    case.information_requests[d.request_id] = InformationRequest(
        request_id=d.request_id, agency=d.agency, due_on=d.due_on
    )
    add_deadline(case, schedules[key], now)
    notice = _decision_notice(
        case, (BM.value,), f"information_request:{d.request_id}", f"information requested from {d.agency} by {d.due_on}"
    )
    details = {
        "request_id": d.request_id,
        "agency": d.agency,
        "information": d.information,
        "necessity": d.necessity,
        "proportionality": d.proportionality,
        "due_on": d.due_on.isoformat(),
    }
    return Outcome("decision", f"Information requested from {d.agency}, due {d.due_on}", None, details, [notice])


def _apply_information_response(
    case: CaseFile, actor: Actor, d: RecordInformationResponseInput, now: datetime, _s: Any
) -> Outcome:
    request = case.information_requests[d.request_id]
    request.answered_at = now
    meet(case, f"information_request:{d.request_id}", now)
    return Outcome("decision", f"{request.agency} answered information request {d.request_id}", d.summary)


def _apply_agency_account(case: CaseFile, actor: Actor, d: RecordAgencyAccountInput, now: datetime, _s: Any) -> Outcome:
    return Outcome("decision", f"Written account received from {d.agency}", d.summary, {"agency": d.agency})


def _apply_review_delay(case: CaseFile, actor: Actor, d: RecordReviewDelayInput, now: datetime, _s: Any) -> Outcome:
    expected = d.expected_completion_on.isoformat() if d.expected_completion_on else None
    notice = _decision_notice(
        case, (SG.value, CHAIR.value), f"review_delay:{case.next_occurrence('review_delay')}", "the review will overrun"
    )
    details = {
        "interim_learning": d.interim_learning,
        "corrective_actions": d.corrective_actions,
        "expected_completion_on": expected,
    }
    return Outcome("decision", "Review delay recorded with interim learning", d.reason, details, [notice])


def _apply_final_report(case: CaseFile, actor: Actor, d: SubmitFinalReportInput, now: datetime, _s: Any) -> Outcome:
    case.report_submissions += 1
    case.stage = Stage.QUALITY_ASSURANCE
    notice = _decision_notice(
        case, (SG.value,), f"final_report:{case.report_submissions}", "the final report awaits quality assurance"
    )
    details = {"document": d.document, "submission": case.report_submissions}
    return Outcome(
        "decision", f"Final report submitted (submission {case.report_submissions})", d.summary, details, [notice]
    )


def _apply_quality(case: CaseFile, actor: Actor, d: RecordQualityAssuranceInput, now: datetime, _s: Any) -> Outcome:
    failed = sorted(rule for rule, result in d.checks.items() if not result.passed)
    details = {"checks": {rule: result.model_dump() for rule, result in d.checks.items()}}
    if failed:
        case.quality_failures += 1
        case.stage = Stage.IN_REVIEW
        notice = _decision_notice(
            case,
            (Role.LEAD_REVIEWER.value,),
            f"quality_assurance:{case.quality_failures}",
            "the final report went back to the reviewer: " + ", ".join(failed),
        )
        return Outcome("decision", "Quality assurance failed: " + ", ".join(failed), None, details, [notice])
    meet(case, "review_completion", now)
    case.stage = Stage.ACTION_PLAN
    return Outcome("decision", "Quality assurance passed on every rule", None, details)


def _apply_action_plan(
    case: CaseFile, actor: Actor, d: AgreeActionPlanInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    for planned in d.actions:
        case.actions[planned.action_id] = Action(
            action_id=planned.action_id,
            description=planned.description,
            owner_agency=planned.owner_agency,
            due_on=planned.due_on,
            success_criteria=planned.success_criteria,
        )
        add_deadline(case, schedules[f"action:{planned.action_id}"], now)
    case.stage = Stage.PUBLICATION_DECISION
    details = {"actions": [a.model_dump(mode="json") for a in d.actions]}
    return Outcome("decision", f"Action plan agreed: {len(d.actions)} actions", None, details)


def _apply_action_progress(
    case: CaseFile, actor: Actor, d: RecordActionProgressInput, now: datetime, _s: Any
) -> Outcome:
    action = case.actions[d.action_id]
    action.progress.append(d.progress)
    if d.impact is not None:
        action.impact = d.impact
    if d.complete:
        action.completed_at = now
        meet(case, f"action:{d.action_id}", now)
    state = "complete" if d.complete else "in progress"
    details = {"action_id": d.action_id, "impact": d.impact, "complete": d.complete}
    return Outcome("decision", f"Action {d.action_id}: {state}", d.progress, details)


def _apply_publication(
    case: CaseFile, actor: Actor, d: DecidePublicationInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    if d.decision == "do_not_publish":
        case.publication.non_publication_pending = True
        case.panel_advice_mark = case.panel_advice_count
        occurrence = str(case.next_occurrence("non_publication"))
        # The reasons stay on the case: they concern the child's welfare and do not go into emails.
        notice = NoticeRequest(NoticeKind.NON_PUBLICATION, (Recipient.DFE, Recipient.NATIONAL_PANEL), occurrence, {})
        return Outcome("decision", "Chair decided not to publish; DfE and the panel are told", d.reasons, {}, [notice])
    assert d.publication_on is not None  # the input model requires it to publish
    return _plan_publication(case, d.publication_on, now, schedules, withheld=False, rationale=d.reasons)


def _apply_final_publication(
    case: CaseFile, actor: Actor, d: DecideFinalPublicationInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    withheld = d.decision == "do_not_publish"
    outcome = _plan_publication(case, d.publication_on, now, schedules, withheld=withheld, rationale=d.rationale)
    case.publication.non_publication_pending = False
    text = (
        "the report is not published; the board's response and actions are published"
        if withheld
        else "the report is published"
    )
    facts = {"decision_text": text, "publication_on": d.publication_on.isoformat()}
    occurrence = str(case.next_occurrence("final_publication"))
    outcome.notices.append(
        NoticeRequest(
            NoticeKind.FINAL_PUBLICATION_DECISION,
            (Recipient.OFSTED, Recipient.DFE, Recipient.NATIONAL_PANEL),
            occurrence,
            facts,
        )
    )
    outcome.summary = f"Final publication decision: {text}. " + outcome.summary
    return outcome


def _plan_publication(
    case: CaseFile,
    day: date,
    now: datetime,
    schedules: dict[str, ScheduledDeadline],
    *,
    withheld: bool,
    rationale: str,
) -> Outcome:
    notice_due = schedules[STATUTORY_NOTICE]
    today = london_date(now)
    if notice_due.due < today:
        raise _refuse(
            f"Copies must reach Ofsted, DfE and the National Panel at least 7 working days before publication, "
            f"by {notice_due.due.isoformat()} for {day.isoformat()}, and that has passed: choose a later date (000)."
        )
    case.publication.report_withheld = withheld
    case.publication.planned_on = day
    if case.active_proceedings:
        case.stage = Stage.PUBLICATION_ON_HOLD
        held = ", ".join(sorted(case.active_proceedings))
        return Outcome(
            "decision", f"Publication decided for {day} but on hold until proceedings conclude: {held}", rationale
        )
    notices = _enter_pre_publication(case, now, schedules)
    return Outcome(
        "decision",
        f"Publication planned for {day.isoformat()}",
        rationale,
        {"publication_on": day.isoformat()},
        notices,
    )


def _enter_pre_publication(
    case: CaseFile, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> list[NoticeRequest]:
    """Set the publication clocks and send the copies to Ofsted, DfE and the National Panel now, so the
    statutory notice is met whatever happens to the board's inbox later."""
    planned = case.publication.planned_on
    assert planned is not None
    case.stage = Stage.PRE_PUBLICATION
    replace_deadline(case, schedules[STATUTORY_NOTICE], now)
    replace_deadline(case, schedules[PUBLICATION_STEPS], now)
    case.publication.copies_sent_for = planned
    meet(case, STATUTORY_NOTICE, now)
    what = "the board's response and action plan" if case.publication.report_withheld else "the overview report"
    facts = {"publication_on": planned.isoformat(), "what": what}
    return [
        NoticeRequest(
            NoticeKind.PREPUBLICATION_COPY,
            (Recipient.OFSTED, Recipient.DFE, Recipient.NATIONAL_PANEL),
            planned.isoformat(),
            facts,
        )
    ]


def _apply_proceedings(case: CaseFile, actor: Actor, d: RecordProceedingsInput, now: datetime, _s: Any) -> Outcome:
    what = d.proceeding.replace("_", " ")
    if d.status == "started":
        case.active_proceedings[d.proceeding_id] = d.proceeding
        if case.stage == Stage.PRE_PUBLICATION:
            case.stage = Stage.PUBLICATION_ON_HOLD
            for key in (STATUTORY_NOTICE, PUBLICATION_STEPS):
                cancel(case, key)
        return Outcome("decision", f"Parallel proceedings under way: {what} ({d.proceeding_id})", d.note)
    del case.active_proceedings[d.proceeding_id]
    case.response_update_due = True
    summary = f"Parallel proceedings concluded: {what} ({d.proceeding_id})"
    if not case.active_proceedings and case.stage == Stage.PUBLICATION_ON_HOLD:
        summary += "; the board's response must now be updated"
    return Outcome("decision", summary, d.note)


def _apply_board_response(case: CaseFile, actor: Actor, d: UpdateBoardResponseInput, now: datetime, _s: Any) -> Outcome:
    case.response_update_due = False
    case.stage = Stage.PUBLICATION_DECISION
    return Outcome("decision", "Board's response updated after the proceedings; a publication date is due", d.summary)


def _apply_prepublication(
    case: CaseFile, actor: Actor, d: RecordPrepublicationInput, now: datetime, _s: Any
) -> Outcome:
    case.publication.consent[d.item] = d.note
    if all(item in case.publication.consent for item in CONSENT_ITEMS):
        meet(case, PUBLICATION_STEPS, now)
    return Outcome("decision", f"Pre-publication step recorded: {d.item.replace('_', ' ')}", d.note, {"item": d.item})


def _apply_publication_date(
    case: CaseFile, actor: Actor, d: MovePublicationDateInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    old = case.publication.planned_on
    notice_due = schedules[STATUTORY_NOTICE]
    if notice_due.due < london_date(now):
        raise _refuse(
            f"Copies must go out by {notice_due.due.isoformat()} for {d.publication_on.isoformat()}, which has "
            "passed: choose a later date."
        )
    case.publication.planned_on = d.publication_on
    notices = _enter_pre_publication(case, now, schedules)
    old_text = old.isoformat() if old else "none"
    return Outcome(
        "decision", f"Publication date moved from {old_text} to {d.publication_on.isoformat()}", d.reason, {}, notices
    )


def _apply_published(
    case: CaseFile, actor: Actor, d: RecordPublishedInput, now: datetime, schedules: dict[str, ScheduledDeadline]
) -> Outcome:
    case.publication.published_on = london_date(now)
    meet(case, PUBLICATION_STEPS, now)
    add_deadline(case, schedules["website_minimum"], now, on_due="retain")
    case.stage = Stage.PUBLISHED
    what = (
        "board's response and actions" if case.publication.report_withheld else "overview report, summary and response"
    )
    return Outcome("decision", f"Published on the website: {what}", None, {"location": case.publication.location})


def _apply_retention(case: CaseFile, actor: Actor, d: ExtendRetentionInput, now: datetime, _s: Any) -> Outcome:
    case.publication.keep_until = d.keep_until
    return Outcome("decision", f"Kept on the website until at least {d.keep_until.isoformat()}", d.reason)


def _apply_removal(case: CaseFile, actor: Actor, d: RemoveFromWebsiteInput, now: datetime, _s: Any) -> Outcome:
    case.publication.removed_on = london_date(now)
    case.stage = Stage.REMOVED
    for key, deadline in case.deadlines.items():
        if key.startswith(RETENTION_REVIEW) and deadline.is_open:
            cancel(case, key)
    details = {"override_reason": d.override_reason, "open_actions": [a.action_id for a in case.open_actions()]}
    return Outcome("decision", "Removed from the website; available on request", d.reason, details)


def _apply_alternative_complete(
    case: CaseFile, actor: Actor, d: CompleteAlternativeReviewInput, now: datetime, _s: Any
) -> Outcome:
    _finish(case, Stage.CLOSED)
    return Outcome("decision", "Alternative review complete; learning recorded and the case closed", d.learning)


def _apply_close(case: CaseFile, actor: Actor, d: CloseCaseInput, now: datetime, _s: Any) -> Outcome:
    _finish(case, Stage.CLOSED)
    return Outcome("decision", "Case closed; its learning goes into the annual summary", d.learning_summary)


_APPLY: dict[str, Callable[[CaseFile, Actor, Any, datetime, dict[str, ScheduledDeadline]], Outcome]] = {
    "screening": _apply_screening,
    "chair": _apply_chair,
    "peer_challenge": _apply_peer_challenge,
    "peer_response": _apply_peer_response,
    "panel_advice": _apply_panel_advice,
    "scrutiny_outcome": _apply_scrutiny,
    "reviewers": _apply_reviewers,
    "start_review": _apply_start_review,
    "information_request": _apply_information_request,
    "information_response": _apply_information_response,
    "agency_account": _apply_agency_account,
    "review_delay": _apply_review_delay,
    "final_report": _apply_final_report,
    "quality_assurance": _apply_quality,
    "action_plan": _apply_action_plan,
    "action_progress": _apply_action_progress,
    "publication": _apply_publication,
    "final_publication": _apply_final_publication,
    "proceedings": _apply_proceedings,
    "board_response": _apply_board_response,
    "prepublication": _apply_prepublication,
    "publication_date": _apply_publication_date,
    "published": _apply_published,
    "retention": _apply_retention,
    "removal": _apply_removal,
    "alternative_review_complete": _apply_alternative_complete,
    "close": _apply_close,
}


def _decision_notice(case: CaseFile, recipients: tuple[str, ...], occurrence: str, text: str) -> NoticeRequest:
    return NoticeRequest(
        NoticeKind.CASE_DECISION, recipients, occurrence, {"decision_text": text, "stage": case.stage.value}
    )


def _finish(case: CaseFile, stage: Stage) -> None:
    case.stage = stage
    for key, deadline in case.deadlines.items():
        if deadline.status == DeadlineStatus.PENDING:
            cancel(case, key)


# -- deadlines and clocks --------------------------------------------------------------------------------


def add_deadline(case: CaseFile, schedule: ScheduledDeadline, now: datetime, on_due: OnDue = "breach") -> None:
    """Start a clock. Reminders already in the past are not sent late; a deadline already passed when the
    case learns of it (a case opened late) is recorded as breached without escalating an old failure."""
    case.deadlines[schedule.key] = TrackedDeadline(
        schedule=schedule,
        on_due=on_due,
        reminders_sent=sum(1 for at in schedule.reminders_at if at <= now),
        escalate=schedule.due_at > now,
    )


def replace_deadline(case: CaseFile, schedule: ScheduledDeadline, now: datetime) -> None:
    """A moved date moves its clock: the old timers are dropped, the new ones start."""
    add_deadline(case, schedule, now)


def meet(case: CaseFile, key: str, now: datetime) -> None:
    deadline = case.deadlines.get(key)
    if deadline is None or not deadline.is_open:
        return
    late = deadline.status == DeadlineStatus.OVERDUE or now > deadline.schedule.due_at
    deadline.status = DeadlineStatus.MET_LATE if late else DeadlineStatus.MET
    deadline.met_at = now


def cancel(case: CaseFile, key: str) -> None:
    deadline = case.deadlines.get(key)
    if deadline is not None and deadline.status == DeadlineStatus.PENDING:
        deadline.status = DeadlineStatus.NOT_APPLICABLE


@dataclass(frozen=True)
class ClockEvent:
    at: datetime
    key: str
    summary: str  # names the deadline and its date, for the Temporal UI's timer summary


def next_clock_event(case: CaseFile) -> ClockEvent | None:
    """The soonest reminder or due time among the case's pending deadlines."""
    events = []
    for key, deadline in case.deadlines.items():
        if deadline.status != DeadlineStatus.PENDING:
            continue
        schedule = deadline.schedule
        if deadline.reminders_sent < len(schedule.reminders_at):
            at = schedule.reminders_at[deadline.reminders_sent]
            events.append(ClockEvent(at, key, f"{schedule.title}: reminder, due {schedule.due.isoformat()}"))
        else:
            events.append(ClockEvent(schedule.due_at, key, f"{schedule.title} due {schedule.due.isoformat()}"))
    return min(events, key=lambda e: (e.at, e.key), default=None)


def fire_clock(case: CaseFile, key: str, now: datetime) -> Outcome | None:
    """What happens when the time of ``key``'s next event has come: a reminder, or the due time itself."""
    deadline = case.deadlines[key]
    schedule = deadline.schedule
    if deadline.status != DeadlineStatus.PENDING:
        return None
    facts = {"title": schedule.title, "due": schedule.due.isoformat(), "rule": schedule.rule, "source": schedule.source}
    if deadline.reminders_sent < len(schedule.reminders_at):
        if schedule.reminders_at[deadline.reminders_sent] > now:
            return None
        deadline.reminders_sent += 1
        occurrence = f"{key}:{schedule.due.isoformat()}:{deadline.reminders_sent}"
        notice = NoticeRequest(NoticeKind.DEADLINE_REMINDER, (schedule.who_acts,), occurrence, facts)
        return Outcome(
            "deadline_reminder",
            f"Reminder sent: {schedule.title} due {schedule.due}",
            details={"key": key},
            notices=[notice],
        )
    if schedule.due_at > now:
        return None
    if deadline.on_due == "retain":
        deadline.status = DeadlineStatus.MET
        deadline.met_at = now
        return _retain(case, now)
    if deadline.on_due == "review":
        deadline.status = DeadlineStatus.MET
        deadline.met_at = now
        notice = NoticeRequest(NoticeKind.REVIEW_REMINDER, (SG.value,), key, {"open_actions": _open_action_ids(case)})
        outcome = Outcome(
            "retention_review", "Monthly review: the review stays up while actions are open", notices=[notice]
        )
        _schedule_retention_review(case, now)
        return outcome
    deadline.status = DeadlineStatus.OVERDUE
    deadline.breached_at = now
    notices = (
        [
            NoticeRequest(
                NoticeKind.DEADLINE_ESCALATION, tuple(schedule.escalate_to), f"{key}:{schedule.due.isoformat()}", facts
            )
        ]
        if deadline.escalate and schedule.escalate_to
        else []
    )
    return Outcome(
        "deadline_breached",
        f"Deadline missed: {schedule.title} was due {schedule.due.isoformat()}",
        details={"key": key},
        notices=notices,
    )


def _open_action_ids(case: CaseFile) -> str:
    return ", ".join(a.action_id for a in case.open_actions())


def _retain(case: CaseFile, now: datetime) -> Outcome:
    if case.stage != Stage.PUBLISHED:
        return Outcome("stage_changed", "12 months on the website reached")
    case.stage = Stage.RETAINED
    _schedule_retention_review(case, now)
    open_actions = _open_action_ids(case)
    summary = "12 months on the website reached: the review may now be removed"
    if open_actions:
        summary += f" once its actions are complete (open: {open_actions})"
    return Outcome("stage_changed", summary)


def _schedule_retention_review(case: CaseFile, now: datetime) -> None:
    """While a retained review's actions are open, the sub-group reviews it monthly (001 §11)."""
    if case.stage != Stage.RETAINED or not case.open_actions():
        return
    case.retention_reviews += 1
    due = add_calendar_months(london_date(now), 1)
    key = f"{RETENTION_REVIEW}:{case.retention_reviews}"
    schedule = ScheduledDeadline(
        key=key,
        title="Monthly review of a retained review with open actions",
        due=due,
        due_at=start_of_working_day(due),
        reminders_at=[],
        rule="monthly while actions are open",
        source="NEL SCR procedure (001) §11",
        who_acts=SG.value,
        escalate_to=[],
    )
    add_deadline(case, schedule, now, on_due="review")


# -- what the case is waiting for --------------------------------------------------------------------------


def awaiting(case: CaseFile) -> list[AwaitedDecision]:
    """The decisions the case waits for, who may take them and by when: the staff's task list."""
    due = {key: d.schedule.due for key, d in case.deadlines.items() if d.is_open}
    items: list[AwaitedDecision] = []

    def wait(kind: str, description: str, by: date | None = None, roles: tuple[Role, ...] | None = None) -> None:
        items.append(
            AwaitedDecision(
                kind=kind, roles=[r.value for r in (roles or DECISIONS[kind].roles)], description=description, due=by
            )
        )

    stage = case.stage
    if stage in (Stage.NOTIFIED, Stage.SCREENING):
        wait("screening", "Screen the referral and recommend to the chair", due.get("chair_decision"))
    elif stage == Stage.AWAITING_CHAIR_DECISION:
        wait("chair", "Decide whether to initiate a Serious Case Review", due.get("chair_decision"))
    elif stage == Stage.PANEL_SCRUTINY:
        if not _advice_since_mark(case):
            wait("panel_advice", "Record the National Panel's advice on the decision not to initiate")
        wait("scrutiny_outcome", "Confirm or revise the decision not to initiate")
    elif stage == Stage.REVIEWER_APPOINTMENT:
        if not case.reviewers_named:
            wait("reviewers", "Name the lead reviewer(s) with their independence")
        else:
            if not _advice_since_mark(case):
                wait("panel_advice", "Record the National Panel's advice on the reviewers")
            wait("start_review", "Start the review")
    elif stage == Stage.IN_REVIEW:
        wait("final_report", "Submit the final report", due.get("review_completion"))
    elif stage == Stage.QUALITY_ASSURANCE:
        wait("quality_assurance", "Check the final report against the quality rules", due.get("review_completion"))
    elif stage == Stage.ACTION_PLAN:
        wait("action_plan", "Agree the action plan with partners")
    elif stage == Stage.PUBLICATION_DECISION:
        if case.publication.non_publication_pending:
            if not _advice_since_mark(case):
                wait("panel_advice", "Record the National Panel's advice on not publishing")
            else:
                wait("final_publication", "Take the final decision on publication")
        else:
            wait("publication", "Decide whether and when to publish")
    elif stage == Stage.PUBLICATION_ON_HOLD:
        if case.active_proceedings:
            wait("proceedings", "Record the conclusion of: " + ", ".join(sorted(case.active_proceedings)))
        else:
            wait("board_response", "Update the board's response after the proceedings")
    elif stage == Stage.PRE_PUBLICATION:
        for item in CONSENT_ITEMS:
            if item not in case.publication.consent:
                role = CHAIR if item == "chair_consent" else BM
                wait("prepublication", f"Record: {item.replace('_', ' ')}", due.get(PUBLICATION_STEPS), (role,))
        if all(item in case.publication.consent for item in CONSENT_ITEMS):
            wait("published", "Publish on the website", case.publication.planned_on)
    elif stage == Stage.RETAINED:
        wait("removal", "Remove from the website when the rules allow")
    elif stage == Stage.ALTERNATIVE_REVIEW:
        wait("alternative_review_complete", "Record the alternative review's learning")
    elif stage == Stage.REMOVED:
        wait("close", "Close the case")
    if case.open_peer_challenges:
        wait("peer_response", "Respond to the peer challenge")
    for request in case.information_requests.values():
        if request.answered_at is None and stage in (Stage.IN_REVIEW, Stage.QUALITY_ASSURANCE):
            wait(
                "information_response",
                f"Answer information request {request.request_id} ({request.agency})",
                request.due_on,
            )
    for action in case.open_actions():
        wait("action_progress", f"Report progress on action {action.action_id} ({action.owner_agency})", action.due_on)
    return items
