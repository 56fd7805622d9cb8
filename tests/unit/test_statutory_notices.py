"""Issue 14 in the rules alone: who is told of an incident and of each decision, each recipient's own deadline,
the local authority's own notice to Ofsted, fact updates, learning-review referrals and not publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import lifecycle
from domain.case_file import CaseFile, TrackedDeadline
from domain.case_messages import Actor, DeadlineStatus, NoticeKind, OfstedNotifiedByLA, Refusal
from domain.criteria import IncidentFacts, assess
from domain.decision_inputs import (
    DecideChairInput,
    DecidePublicationInput,
    DecideScrutinyInput,
    DecisionInput,
    RecordDfeAdviceInput,
    RecordOfstedNotifiedInput,
    RecordPanelAdviceInput,
    RecordPanelInformationInput,
    UpdateFactsInput,
)
from domain.lifecycle import DecisionRefused, EffectResults, Outcome, incident
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import end_of_day
from store.notice_directory import parse_notice_directory
from tests.unit.test_lifecycle import NOW, TODAY, make_case, schedule

LA = Actor(user="la", role=Role.LOCAL_AUTHORITY)
BM = Actor(user="bob", role=Role.BUSINESS_MANAGER)
CHAIR = Actor(user="alice", role=Role.INDEPENDENT_CHAIR)
DEATH: dict[str, object] = {"outcome": "died", "abuse_or_neglect": "known"}
LEARNING: dict[str, object] = {
    "outcome": "no_death_or_serious_harm",
    "abuse_or_neglect": "not_suspected",
    "learning_review_reason": "stuck_case",
}
HARM_II: dict[str, object] = {
    "outcome": "seriously_harmed",
    "abuse_or_neglect": "suspected",
    "inter_agency_concern": "no",
}
DUE = TODAY + timedelta(days=7)


def new_case(stage: Stage = Stage.SCREENING, facts: dict[str, object] | None = None) -> CaseFile:
    case = make_case(stage, facts or DEATH)
    case.statutory_notices = True
    return case


def opened(facts: dict[str, object] | None = None, **changes: object) -> tuple[CaseFile, list[Outcome]]:
    case = new_case(facts=facts).model_copy(update=changes)
    schedules = {key: schedule(key, DUE) for key in ("notify_ofsted", "notify_lscb")}
    return case, incident.start_incident_deadlines(case, schedules, NOW)


def take(case: CaseFile, actor: Actor, decision: DecisionInput, results: EffectResults | None = None) -> Outcome:
    return lifecycle.apply(case, actor, decision, NOW, results or EffectResults())


def status(case: CaseFile, key: str) -> DeadlineStatus:
    return case.deadlines[key].status


# -- the incident notice (001 §1) ---------------------------------------------------------------------------


def test_the_incident_notice_goes_to_ofsted_and_every_relevant_lscb_never_the_panel() -> None:
    case, _ = opened({**DEATH, "other_lscbs": ["kent", "Leeds"]})
    notice = incident.incident_notice(case)

    assert notice is not None
    assert notice.recipients == ("ofsted", "lscb", "lscb:KENT", "lscb:LEEDS")
    assert notice.meets == {
        "ofsted": "notify_ofsted",
        "lscb:KENT": "notify_lscb:KENT",
        "lscb:LEEDS": "notify_lscb:LEEDS",
    }
    assert incident.incident_notice(case) is None  # sent once
    # The board was told when the case reached it; each other LSCB has its own deadline, open until delivery.
    assert status(case, "notify_lscb") == DeadlineStatus.MET
    assert status(case, "notify_lscb:KENT") == DeadlineStatus.PENDING
    assert case.deadlines["notify_lscb:KENT"].record().source == "source"


def test_one_recipients_delivery_meets_only_its_own_deadline() -> None:
    case, _ = opened({**DEATH, "other_lscbs": ["KENT"]})
    assert incident.delivered(case, "notify_lscb:KENT", "lscb:KENT", NOW) is not None
    assert status(case, "notify_lscb:KENT") == DeadlineStatus.MET
    assert status(case, "notify_ofsted") == DeadlineStatus.PENDING


def test_a_board_told_after_five_working_days_is_recorded_as_told_late() -> None:
    case, outcomes = opened(notified_on=DUE + timedelta(days=2))
    lscb = case.deadlines["notify_lscb"]
    assert lscb.status == DeadlineStatus.MET_LATE
    assert lscb.breached_at == end_of_day(DUE)
    assert "told late" in outcomes[0].summary


def test_a_case_that_is_not_notifiable_owes_no_incident_notice() -> None:
    case, outcomes = opened(LEARNING)
    assert outcomes == []
    assert incident.incident_notice(case) is None
    assert {status(case, k) for k in ("notify_ofsted", "notify_lscb")} == {DeadlineStatus.NOT_APPLICABLE}


def test_ofsted_told_by_the_local_authority_first_is_met_and_not_sent_a_duplicate() -> None:
    told = OfstedNotifiedByLA(notified_on=TODAY, notified_by="Duty manager")
    case, _ = opened(ofsted_notified_by_la=told)
    assert status(case, "notify_ofsted") == DeadlineStatus.MET
    notice = incident.incident_notice(case)
    assert notice is not None
    assert "ofsted" not in notice.recipients


def test_the_local_authority_may_record_its_notice_later_whichever_reached_ofsted_first_counts() -> None:
    case, _ = opened()
    incident.delivered(case, "notify_ofsted", "ofsted", NOW)
    outcome = take(case, LA, RecordOfstedNotifiedInput(notified_on=TODAY, notified_by="Duty manager"))
    assert "reached Ofsted first" in outcome.summary  # the system's notice; the record is kept as information
    assert case.deadlines["notify_ofsted"].met_at == NOW

    earlier, _ = opened(aware_on=TODAY - timedelta(days=3))
    incident.delivered(earlier, "notify_ofsted", "ofsted", NOW)
    outcome = take(earlier, LA, RecordOfstedNotifiedInput(notified_on=TODAY - timedelta(days=2), notified_by="LA"))
    assert "counted" in outcome.summary
    assert earlier.deadlines["notify_ofsted"].met_at == end_of_day(TODAY - timedelta(days=2))


@pytest.mark.parametrize(
    ("notified_on", "refusal"),
    [(TODAY + timedelta(days=1), Refusal.INVALID), (TODAY - timedelta(days=1), Refusal.INVALID)],
)
def test_the_local_authoritys_record_needs_a_possible_date(notified_on: object, refusal: Refusal) -> None:
    case, _ = opened()
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, LA, RecordOfstedNotifiedInput(notified_on=notified_on, notified_by="x"), TODAY)
    assert refused.value.refusal == refusal


def test_the_local_authoritys_notice_is_recorded_once() -> None:
    case, _ = opened()
    take(case, LA, RecordOfstedNotifiedInput(notified_on=TODAY, notified_by="Duty manager"))
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, BM, RecordOfstedNotifiedInput(notified_on=TODAY, notified_by="x"), TODAY)
    assert refused.value.refusal == Refusal.CONFLICT


# -- decisions go to Ofsted and the Panel; an alternative review is scrutinised (001 §4) ------------------------


def test_every_chair_decision_goes_to_ofsted_and_the_panel_notifiable_or_not() -> None:
    case = new_case(Stage.AWAITING_CHAIR_DECISION, LEARNING)
    outcome = take(case, CHAIR, DecideChairInput(decision="alternative_review", rationale="Good practice"))

    assert case.stage == Stage.PANEL_SCRUTINY
    [notice] = outcome.notices
    assert (notice.kind, notice.recipients) == (NoticeKind.CHAIR_DECISION, ("ofsted", "national_panel"))


def test_a_case_started_before_the_change_keeps_its_old_rules() -> None:
    case = make_case(Stage.AWAITING_CHAIR_DECISION, dict(LEARNING))  # statutory_notices unset: an older run
    outcome = take(case, CHAIR, DecideChairInput(decision="alternative_review", rationale="Good practice"))
    assert case.stage == Stage.ALTERNATIVE_REVIEW
    assert outcome.notices == []


def test_the_panel_scrutinises_an_alternative_review_asks_for_information_and_the_chair_confirms_it() -> None:
    case = new_case(Stage.AWAITING_CHAIR_DECISION, LEARNING)
    take(case, CHAIR, DecideChairInput(decision="alternative_review", rationale="r"))
    take(case, BM, RecordPanelAdviceInput(outcome="requests_information", advice="Send the chronology"))
    assert "panel_information" in [task.kind for task in lifecycle.awaiting(case)]
    take(case, BM, RecordPanelInformationInput(summary="Chronology sent", documents=["chronology-1"]))
    assert case.panel_information_open == 0
    with pytest.raises(DecisionRefused):
        lifecycle.check(case, BM, RecordPanelInformationInput(summary="again"), TODAY)

    outcome = take(case, CHAIR, DecideScrutinyInput(outcome="confirm", rationale="Having regard to the advice"))
    assert case.stage == Stage.ALTERNATIVE_REVIEW
    assert "alternative review goes ahead" in outcome.summary
    assert outcome.notices[0].recipients == ("ofsted", "national_panel")


# -- facts change ---------------------------------------------------------------------------------------------


def test_a_fact_update_reassesses_keeps_both_and_reopens_a_decision_whose_basis_changed() -> None:
    case = new_case(Stage.AWAITING_CHAIR_DECISION, HARM_II)
    case.deadlines["chair_decision"] = TrackedDeadline(schedule=schedule("chair_decision", DUE))
    evidence = "Multi-agency audit found timely, shared planning"
    take(case, CHAIR, DecideChairInput(decision="do_not_initiate", rationale="r", definitive_evidence=evidence))
    assert case.assessment.scr == "not_required"  # the evidence is now on the record
    update = UpdateFactsInput(incident=IncidentFacts(outcome="died", abuse_or_neglect="suspected"), reason="Died")
    needs = lifecycle.handler_for(update).deadlines(case, update, TODAY)
    assert needs is not None
    assert needs.events == {"notified_on": TODAY}  # already notifiable: only the chair's fresh month

    fresh = schedule("chair_decision", DUE + timedelta(days=30))
    outcome = take(case, BM, update, EffectResults.of([fresh]))

    assert case.stage == Stage.AWAITING_CHAIR_DECISION
    assert case.chair_decision is None
    assert case.deadlines["chair_decision"].schedule.due == fresh.due
    assert status(case, "chair_decision:1") == DeadlineStatus.MET  # the first decision stays on the record
    assert outcome.details["previous_assessment"]["scr"] == "not_required"
    assert outcome.details["assessment"]["bases"] == ["regulation_5_2_b_i"]
    assert outcome.assessment == outcome.details["assessment"]
    assert outcome.incident == {**outcome.details["incident"]}


def test_a_case_that_becomes_notifiable_sends_its_incident_notice_then() -> None:
    case, _ = opened({"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"})
    take(case, LA, RecordOfstedNotifiedInput(notified_on=TODAY, notified_by="Duty manager"))
    update = UpdateFactsInput(
        incident=IncidentFacts(**{**HARM_II, "other_lscbs": ["KENT"]}), reason="Abuse now suspected"
    )
    schedules = [schedule("notify_ofsted", DUE), schedule("notify_lscb", DUE)]
    outcome = take(case, BM, update, EffectResults.of(schedules))

    [notice] = outcome.notices
    assert notice.recipients == ("lscb", "lscb:KENT")  # Ofsted already has it from the local authority
    assert status(case, "notify_ofsted") == DeadlineStatus.MET
    assert outcome.details["newly_notifiable"] is True
    assert case.assessment.scr == "required_unless_definitive_evidence"


def test_an_lscb_named_later_gets_the_notice_alone() -> None:
    case, _ = opened()
    incident.incident_notice(case)
    update = UpdateFactsInput(incident=IncidentFacts(**{**DEATH, "other_lscbs": ["KENT"]}), reason="Lived in Kent")
    [notice] = take(case, BM, update).notices
    assert notice.recipients == ("lscb:KENT",)
    assert status(case, "notify_lscb:KENT") == DeadlineStatus.PENDING


@pytest.mark.parametrize(
    ("facts", "evidence", "refusal"),
    [
        (DEATH, None, Refusal.CONFLICT),  # nothing changed
        ({**DEATH, "other_lscbs": ["NEL"]}, None, Refusal.INVALID),  # the case's own board
        ({**DEATH, "suspected_suicide": True}, "evidence", Refusal.INVALID),  # evidence only for 5(2)(b)(ii)
    ],
)
def test_a_fact_update_that_cannot_be_right_is_refused(
    facts: dict[str, object], evidence: str | None, refusal: Refusal
) -> None:
    case = new_case()
    update = UpdateFactsInput(incident=IncidentFacts.model_validate(facts), reason="r", definitive_evidence=evidence)
    with pytest.raises(DecisionRefused) as refused:
        lifecycle.check(case, BM, update, TODAY)
    assert refused.value.refusal == refusal


# -- referrals for a learning review (001 §2, §5) ----------------------------------------------------------------


def test_a_learning_review_referral_is_not_notifiable_and_names_its_reason() -> None:
    a = assess(IncidentFacts.model_validate(LEARNING))
    assert (a.notifiable, a.scr) == (False, "not_required")
    assert "learning review" in a.grounds[0]
    assert "001 §5" in a.grounds[0]
    with pytest.raises(ValueError, match="learning_review_reason is required"):
        IncidentFacts(outcome="no_death_or_serious_harm", abuse_or_neglect="not_suspected")


# -- not publishing (000) -----------------------------------------------------------------------------------------


def test_not_publishing_states_the_recorded_reason_and_asks_dfe_and_the_panel() -> None:
    case = new_case(Stage.PUBLICATION_DECISION)
    decision = DecidePublicationInput(
        decision="do_not_publish", reasons="The siblings would be named", non_publication_reason="court_order"
    )
    outcome = take(case, CHAIR, decision)
    [notice] = outcome.notices
    assert notice.recipients == ("dfe", "national_panel")
    assert notice.facts["reason"] == "a court order or reporting restriction bars publication"
    assert "siblings" not in str(notice.facts)
    assert [t.kind for t in lifecycle.awaiting(case)] == ["panel_advice", "dfe_advice"]
    take(case, BM, RecordDfeAdviceInput(outcome="advises", advice="Publish the response"))
    assert [t.kind for t in lifecycle.awaiting(case)] == ["panel_advice"]


def test_dfe_advice_needs_a_decision_not_to_publish() -> None:
    with pytest.raises(DecisionRefused):
        lifecycle.check(
            new_case(Stage.PUBLICATION_DECISION), BM, RecordDfeAdviceInput(outcome="agrees", advice="a"), TODAY
        )


# -- who receives another LSCB's notice -------------------------------------------------------------------------


def test_another_lscb_is_reached_at_its_own_entry_or_at_that_boards_lscb_address() -> None:
    toml = """
[NEL]
ofsted = "o@ofsted.example"
dfe = "d@dfe.example"
national_panel = "p@panel.example"
independent_chair = "c@nel.example"
sub_group = "s@nel.example"
business_manager = "b@nel.example"
partners = "partners@nel.example"
other_lscbs = { KENT = "scr@kent.example" }

[LEEDS]
ofsted = "o@ofsted.example"
dfe = "d@dfe.example"
national_panel = "p@panel.example"
independent_chair = "c@leeds.example"
sub_group = "s@leeds.example"
business_manager = "b@leeds.example"
partners = "partners@leeds.example"
lscb = "lscb@leeds.example"
"""
    directory = parse_notice_directory(toml, "test", frozenset({"NEL", "LEEDS"}))
    assert directory.addresses("NEL-2026-0001", "lscb:KENT") == ("scr@kent.example",)
    assert directory.addresses("NEL-2026-0001", "lscb:LEEDS") == ("lscb@leeds.example",)
    assert directory.addresses("NEL-2026-0001", "lscb") == ("b@nel.example",)
    with pytest.raises(LookupError, match="lscb:YORK"):
        directory.addresses("NEL-2026-0001", "lscb:YORK")
