"""The lifecycle rules on their own (``domain/lifecycle/``): the whole role × decision × stage matrix, and the rules
that need dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain import lifecycle
from domain.case_file import Action, CaseFile
from domain.case_messages import Actor, DeadlineStatus, Refusal, ScheduledDeadline
from domain.criteria import IncidentFacts, assess
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
    InvolvedOrganisation,
    LinkParallelReviewInput,
    MovePublicationDateInput,
    PlannedAction,
    QualityCheck,
    RecordActionProgressInput,
    RecordAgencyAccountInput,
    RecordDfeAdviceInput,
    RecordFamilyEngagementInput,
    RecordInformationResponseInput,
    RecordOfstedNotifiedInput,
    RecordOrganisationsInput,
    RecordPanelAdviceInput,
    RecordPanelInformationInput,
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
    Reviewer,
    SendCopiesInput,
    StartReviewInput,
    SubmitFinalReportInput,
    UpdateBoardResponseInput,
    UpdateFactsInput,
)
from domain.lifecycle import BY_KIND, DecisionRefused, EffectResults, PublishReview, RemoveReview
from domain.lifecycle.publication import CONSENT_ITEMS
from domain.publication_messages import PublicationHitSummary, PublishReviewResult
from domain.quality import QUALITY_RULES
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import end_of_day, start_of_working_day

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
LATER = TODAY + timedelta(days=40)

EXAMPLES: dict[str, DecisionInput] = {
    "screening": RecordScreeningInput(recommendation="initiate_scr", rationale="r"),
    "chair": DecideChairInput(decision="initiate_scr", rationale="r"),
    "peer_challenge": RecordPeerChallengeInput(challenge="c"),
    "peer_response": RespondPeerChallengeInput(response="r"),
    "panel_advice": RecordPanelAdviceInput(outcome="agrees", advice="a"),
    "scrutiny_outcome": DecideScrutinyInput(outcome="confirm", rationale="r", without_panel_advice_reason="none came"),
    "reviewers": AppointReviewersInput(reviewers=[Reviewer(name="n", organisation="o", independence_statement="i")]),
    "start_review": StartReviewInput(rationale="r", without_panel_advice_reason="urgent"),
    "information_request": RequestInformationInput(
        request_id="IR9", agency="a", information="i", necessity="n", proportionality="p", due_on=LATER
    ),
    "information_response": RecordInformationResponseInput(request_id="IR1", summary="s"),
    "agency_account": RecordAgencyAccountInput(agency="a", summary="s"),
    "organisations": RecordOrganisationsInput(organisations=[InvolvedOrganisation(name="o", representation="r")]),
    "family_engagement": RecordFamilyEngagementInput(engaged_on=TODAY, participation="invited", summary="s"),
    "parallel_review": LinkParallelReviewInput(
        review_type="domestic_homicide_review", reference="DHR-1", coordination="c"
    ),
    "review_delay": RecordReviewDelayInput(reason="r", interim_learning="l", corrective_actions="c"),
    "final_report": SubmitFinalReportInput(document="d", summary="s"),
    "quality_assurance": RecordQualityAssuranceInput(
        checks={rule: QualityCheck(passed=True, comment="ok") for rule in QUALITY_RULES}
    ),
    "action_plan": AgreeActionPlanInput(
        actions=[PlannedAction(action_id="A9", description="d", owner_agency="o", due_on=LATER, success_criteria="s")]
    ),
    "action_progress": RecordActionProgressInput(action_id="A1", progress="p"),
    "publication": DecidePublicationInput(decision="publish", publication_on=LATER, reasons="r"),
    "final_publication": DecideFinalPublicationInput(decision="publish", publication_on=LATER, rationale="r"),
    "proceedings": RecordProceedingsInput(proceeding_id="T9", proceeding="inquest", status="started"),
    "board_response": UpdateBoardResponseInput(summary="s"),
    "prepublication": RecordPrepublicationInput(item="family_supported", note="n"),
    "publication_date": MovePublicationDateInput(publication_on=LATER, reason="r"),
    "prepublication_copies": SendCopiesInput(),
    "published": RecordPublishedInput(),
    "retention": ExtendRetentionInput(keep_until=LATER, reason="r"),
    "removal": RemoveFromWebsiteInput(reason="r", override_reason="chair's call"),
    "alternative_review_complete": CompleteAlternativeReviewInput(learning="l"),
    "close": CloseCaseInput(learning_summary="l"),
    "ofsted_notified": RecordOfstedNotifiedInput(notified_on=TODAY, notified_by="LA duty team"),
    "panel_information": RecordPanelInformationInput(summary="s"),
    "facts_update": UpdateFactsInput(incident=IncidentFacts(outcome="died", abuse_or_neglect="suspected"), reason="r"),
    "dfe_advice": RecordDfeAdviceInput(outcome="agrees", advice="a"),
}


def make_case(stage: Stage, incident: dict[str, object] | None = None) -> CaseFile:
    facts = IncidentFacts.model_validate(incident or {"outcome": "died", "abuse_or_neglect": "known"})
    return CaseFile(
        reference="NEL-2026-0001",
        board="NEL",
        rule_pack="SCR 2015",
        rule_pack_version="1",
        aware_on=TODAY,
        notified_on=TODAY,
        incident=facts,
        assessment=assess(facts),
        stage=stage,
    )


def schedule(key: str, due: date, reminders: tuple[date, ...] = ()) -> ScheduledDeadline:
    return ScheduledDeadline(
        key=key,
        title=key.replace("_", " "),
        due=due,
        due_at=end_of_day(due),
        reminders_at=[start_of_working_day(d) for d in reminders],
        rule="rule",
        source="source",
        who_acts="business_manager",
        escalate_to=["independent_chair"],
    )


def test_the_matrix_below_tries_every_decision() -> None:
    assert set(EXAMPLES) == set(BY_KIND)
    assert all(type(EXAMPLES[kind]) is handler.input_type for kind, handler in BY_KIND.items())


def test_the_readme_documents_every_decision_with_its_roles() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for kind, rule in BY_KIND.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{kind}` |")), None)
        assert row is not None, f"README has no row for {kind}"
        assert all(role.value in row for role in rule.roles), row


@pytest.mark.parametrize(
    ("kind", "role"),
    [(kind, role) for kind, rule in BY_KIND.items() for role in Role if role not in rule.roles],
)
def test_a_role_that_may_not_take_a_decision_is_forbidden(kind: str, role: Role) -> None:
    case = make_case(BY_KIND[kind].stages[0])
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, Actor(user="u", role=role), EXAMPLES[kind], TODAY)
    assert refused.value.refusal == Refusal.FORBIDDEN
    assert role.value.replace("_", " ") in refused.value.message


@pytest.mark.parametrize(
    ("kind", "stage"),
    [(kind, stage) for kind, rule in BY_KIND.items() for stage in Stage if stage not in rule.stages],
)
def test_a_decision_at_the_wrong_stage_is_a_conflict(kind: str, stage: Stage) -> None:
    case = make_case(stage)
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, Actor(user="u", role=BY_KIND[kind].roles[0]), EXAMPLES[kind], TODAY)
    assert refused.value.refusal == Refusal.CONFLICT
    assert stage.value in refused.value.message


def status_of(case: CaseFile, key: str) -> DeadlineStatus:
    return case.deadlines[key].status


def chair() -> Actor:
    return Actor(user="alice", role=Role.INDEPENDENT_CHAIR)


def test_quality_assurance_must_cover_every_rule() -> None:
    case = make_case(Stage.QUALITY_ASSURANCE)
    partial = RecordQualityAssuranceInput(checks={"plain_english": QualityCheck(passed=True, comment="ok")})
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, Actor(user="s", role=Role.SUB_GROUP), partial, TODAY)
    assert refused.value.refusal == Refusal.INVALID
    assert "sound_analysis" in refused.value.message


def test_a_failed_rule_sends_the_report_back_to_the_reviewer() -> None:
    case = make_case(Stage.QUALITY_ASSURANCE)
    checks = {rule: QualityCheck(passed=rule != "anonymised", comment="c") for rule in QUALITY_RULES}
    outcome = lifecycle.apply(
        case, Actor(user="s", role=Role.SUB_GROUP), RecordQualityAssuranceInput(checks=checks), NOW, EffectResults()
    )
    assert case.stage == Stage.IN_REVIEW
    assert "anonymised" in outcome.summary
    assert outcome.notices[0].recipients == ("lead_reviewer",)


def test_publication_too_soon_for_the_statutory_notice_is_refused_and_changes_nothing() -> None:
    case = make_case(Stage.PUBLICATION_DECISION)
    day = TODAY + timedelta(days=5)
    schedules = [
        schedule("prepublication_notice", TODAY - timedelta(days=2)),
        schedule("prepublication_steps", day - timedelta(days=1)),
    ]
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.apply(
            case,
            chair(),
            DecidePublicationInput(decision="publish", publication_on=day, reasons="r"),
            NOW,
            EffectResults.of(schedules),
        )
    assert "7 working days" in refused.value.message
    assert case.publication.planned_on is None


def test_publication_with_active_proceedings_waits_on_hold() -> None:
    case = make_case(Stage.PUBLICATION_DECISION)
    case.active_proceedings["T1"] = "criminal_trial"
    schedules = [schedule("prepublication_notice", LATER - timedelta(days=9)), schedule("prepublication_steps", LATER)]
    lifecycle.apply(case, chair(), EXAMPLES["publication"], NOW, EffectResults.of(schedules))
    assert case.stage == Stage.PUBLICATION_ON_HOLD
    assert "prepublication_notice" not in case.deadlines


def test_removal_waits_for_twelve_months_then_for_open_actions_unless_the_chair_overrides() -> None:
    case = make_case(Stage.PUBLISHED)
    lifecycle.add_deadline(case, schedule("website_minimum", TODAY + timedelta(days=100)), NOW, on_due="retain")
    publisher = Actor(user="p", role=Role.PUBLISHER)
    with pytest.raises(DecisionRefused, match="at least 12 months"):
        lifecycle.check(case, publisher, RemoveFromWebsiteInput(reason="r"), TODAY)

    case.deadlines["website_minimum"].status = DeadlineStatus.MET
    case.stage = Stage.RETAINED
    case.actions["A1"] = Action(action_id="A1", description="d", owner_agency="o", due_on=LATER, success_criteria="s")
    with pytest.raises(DecisionRefused, match="A1"):
        lifecycle.check(case, publisher, RemoveFromWebsiteInput(reason="r"), TODAY)
    with pytest.raises(DecisionRefused) as publisher_override:
        lifecycle.check(case, publisher, RemoveFromWebsiteInput(reason="r", override_reason="o"), TODAY)
    assert publisher_override.value.refusal == Refusal.FORBIDDEN
    outcome = lifecycle.apply(
        case, chair(), RemoveFromWebsiteInput(reason="r", override_reason="linked"), NOW, EffectResults()
    )
    assert case.stage == Stage.REMOVED
    assert outcome.details["open_actions"] == ["A1"]


def test_the_clock_reminds_then_breaches_and_escalates() -> None:
    case = make_case(Stage.IN_REVIEW)
    due = TODAY + timedelta(days=10)
    lifecycle.add_deadline(case, schedule("review_completion", due, (due - timedelta(days=3),)), NOW)

    event = lifecycle.next_clock_event(case)
    assert event is not None
    assert event.at == start_of_working_day(due - timedelta(days=3))
    assert "reminder" in event.summary
    reminder = lifecycle.fire_clock(case, "review_completion", event.at)
    assert reminder is not None
    assert reminder.notices[0].recipients == ("business_manager",)

    event = lifecycle.next_clock_event(case)
    assert event is not None
    assert event.at == end_of_day(due)
    assert lifecycle.fire_clock(case, "review_completion", event.at - timedelta(seconds=1)) is None  # not yet
    breach = lifecycle.fire_clock(case, "review_completion", event.at)
    assert breach is not None
    assert breach.kind == "deadline_breached"
    assert breach.notices[0].recipients == ("independent_chair",)
    assert case.deadlines["review_completion"].status == DeadlineStatus.OVERDUE
    assert lifecycle.next_clock_event(case) is None  # a breach is kept, not repeated

    lifecycle.meet(case, "review_completion", event.at + timedelta(days=1))
    assert status_of(case, "review_completion") == DeadlineStatus.MET_LATE
    assert case.deadlines["review_completion"].breached_at == event.at


def test_a_deadline_already_past_when_the_case_learns_of_it_breaches_without_escalating() -> None:
    case = make_case(Stage.SCREENING)
    old = TODAY - timedelta(days=30)
    lifecycle.add_deadline(case, schedule("chair_decision", old, (old - timedelta(days=5),)), NOW)
    event = lifecycle.next_clock_event(case)
    assert event is not None
    assert event.at == end_of_day(old)  # the stale reminder is skipped
    breach = lifecycle.fire_clock(case, "chair_decision", NOW)
    assert breach is not None
    assert breach.notices == []
    assert case.deadlines["chair_decision"].status == DeadlineStatus.OVERDUE


def test_what_the_case_awaits_follows_the_stage() -> None:
    case = make_case(Stage.SCREENING)
    lifecycle.add_deadline(case, schedule("chair_decision", LATER), NOW)
    assert [(a.kind, a.roles, a.due) for a in lifecycle.awaiting(case)] == [("screening", ["sub_group"], LATER)]
    case.stage = Stage.PRE_PUBLICATION
    kinds = [(a.kind, a.roles) for a in lifecycle.awaiting(case)]
    assert ("prepublication", ["independent_chair"]) in kinds
    assert ("published", ["publisher"]) not in kinds
    for item in CONSENT_ITEMS:
        case.publication.consent[item] = "done"
    assert [a.kind for a in lifecycle.awaiting(case)] == ["published"]


def test_publication_declares_the_gate_first_and_a_hit_refuses_it_naming_the_place() -> None:
    case = make_case(Stage.PRE_PUBLICATION)
    case.publication.planned_on = TODAY
    for item in CONSENT_ITEMS:
        case.publication.consent[item] = "done"
    publisher = Actor(user="p", role=Role.PUBLISHER)
    declared = lifecycle.declared_effects(case, RecordPublishedInput(), TODAY)
    assert [type(e).__name__ for e in declared] == ["ResolveDeadlines", "PublishReview"]
    gate = declared[1]
    assert isinstance(gate, PublishReview)
    assert (gate.request.reference, gate.request.publication_on) == (case.reference, TODAY)

    hit = PublicationHitSummary(
        document_id=1, document_kind="overview_report", category="name", paragraph=4, line=2, character=9, place="p4"
    )
    blocked = EffectResults.of([], PublishReviewResult(published=False, hits=[hit]))
    with pytest.raises(DecisionRefused, match="overview_report: name at p4") as refused:
        lifecycle.apply(case.model_copy(deep=True), publisher, RecordPublishedInput(), NOW, blocked)
    assert refused.value.refusal == Refusal.CONFLICT

    published = EffectResults.of(
        [schedule("website_minimum", LATER)], PublishReviewResult(published=True, location="/public/reviews/x/")
    )
    lifecycle.apply(case, publisher, RecordPublishedInput(), NOW, published)
    assert (case.stage, case.publication.location) == (Stage.PUBLISHED, "/public/reviews/x/")


def test_removal_declares_taking_the_review_down_on_the_day() -> None:
    case = make_case(Stage.RETAINED)
    [removal] = lifecycle.declared_effects(case, RemoveFromWebsiteInput(reason="r"), TODAY)
    assert isinstance(removal, RemoveReview)
    assert (removal.request.reference, removal.request.removed_on) == (case.reference, TODAY)


def test_standing_tasks_follow_what_the_stage_awaits() -> None:
    case = make_case(Stage.PANEL_SCRUTINY)
    case.open_peer_challenges = 1
    assert [a.kind for a in lifecycle.awaiting(case)] == ["panel_advice", "scrutiny_outcome", "peer_response"]
