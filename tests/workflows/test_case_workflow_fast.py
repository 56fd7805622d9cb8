"""The case workflow against stand-in activities (``tests/support/stand_in_activities.py``): what it asks of
its activities, in which order, and what it does with their answers. No database, no mail server: each test
runs in well under a second on the time-skipping server. The same paths with the real activities, SQLite,
PostgreSQL and SMTP are in ``test_case_workflow.py`` and ``test_lifecycle_scenarios.py``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.case_messages import Actor, CaseState, DecisionRequest, OfstedNotifiedByLA
from domain.criteria import IncidentFacts
from domain.decision_inputs import (
    AgreeActionPlanInput,
    AppointReviewersInput,
    DecideChairInput,
    DecidePublicationInput,
    DecideScrutinyInput,
    DecisionInput,
    MovePublicationDateInput,
    PlannedAction,
    QualityCheck,
    RecordOfstedNotifiedInput,
    RecordPanelAdviceInput,
    RecordPanelInformationInput,
    RecordPrepublicationInput,
    RecordProceedingsInput,
    RecordPublishedInput,
    RecordQualityAssuranceInput,
    RecordScreeningInput,
    Reviewer,
    SendCopiesInput,
    StartReviewInput,
    SubmitFinalReportInput,
    UpdateFactsInput,
)
from domain.publication_messages import PublicationHitSummary
from domain.quality import QUALITY_RULES
from domain.roles import Role
from domain.rule_pack import CaseEvent
from domain.uk_time import LONDON, london_date
from tests.support.payload_keys import encrypting_converter
from tests.support.stand_in_activities import StandIns, open_case
from workflows.case_workflow import ScrCaseWorkflow

DEATH = {"outcome": "died", "abuse_or_neglect": "known"}
Case = WorkflowHandle[ScrCaseWorkflow, None]


async def decide(case: Case, role: Role, decision: DecisionInput) -> CaseState:
    request = DecisionRequest(actor=Actor(user="staff", role=role), decision=decision)
    return await case.execute_update(ScrCaseWorkflow.decide, request)


async def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """The register write of a decision follows its answer: wait for it, briefly."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def today(env: WorkflowEnvironment) -> date:
    return london_date(await env.get_current_time())


async def test_opening_resolves_deadlines_notifies_ofsted_and_records_each_step_in_order(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    aware = await today(env)
    case = await open_case(env.client, queue, incident=DEATH, aware_on=aware)
    await eventually(lambda: "stage_changed" in stand_ins.kinds())
    state = await case.query(ScrCaseWorkflow.state)

    assert stand_ins.resolved[0].events == {CaseEvent.AWARE.value: aware, CaseEvent.NOTIFIED.value: aware}
    # 001 §1: Ofsted and the LSCB, not the National Panel (it is told of decisions, not incidents).
    assert sorted(stand_ins.sent()) == [("incident_notification", "lscb"), ("incident_notification", "ofsted")]
    # The LSCB told on notified_on; Ofsted when its copy was delivered.
    assert stand_ins.kinds() == ["case_opened", "deadline_met", "deadline_met", "stage_changed"]
    assert [event.snapshot.version for event in stand_ins.events] == [1, 2, 3, 4]
    assert state.stage == "screening"
    statuses = {d.key: d.status.value for d in state.deadlines}
    assert (statuses["notify_ofsted"], statuses["notify_lscb"]) == ("met", "met")


async def test_a_decision_runs_its_declared_effects_answers_and_then_reaches_the_register(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    aware = await today(env)
    case = await open_case(env.client, queue, incident=DEATH, aware_on=aware)
    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r"))
    state = await decide(case, Role.INDEPENDENT_CHAIR, DecideChairInput(decision="initiate_scr", rationale="r"))

    assert stand_ins.resolved[-1].events == {
        CaseEvent.INITIATED.value: aware
    }  # the chair's decision starts the review clock
    assert state.stage == "reviewer_appointment"
    assert "review_completion" in {d.key for d in state.deadlines}
    # The opening's last steps may still be landing: find the chair's event, with the version it answered with.
    await eventually(lambda: any(e.details.get("decision_kind") == "chair" for e in stand_ins.events))
    chair = next(e for e in stand_ins.events if e.details.get("decision_kind") == "chair")
    assert chair.snapshot.version == state.snapshot_version
    chair_notices = {("chair_decision", "ofsted"), ("chair_decision", "national_panel")}
    await eventually(lambda: chair_notices <= set(stand_ins.sent()))


async def test_a_refused_notice_is_recorded_escalated_and_leaves_its_deadline_open(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    stand_ins.refused_recipients.add("ofsted")
    case = await open_case(env.client, queue, incident={**DEATH, "other_lscbs": ["KENT"]}, aware_on=await today(env))

    await eventually(lambda: ("notice_undelivered", "business_manager") in stand_ins.sent())
    assert "notice_failed" in stand_ins.kinds()
    await eventually(lambda: "stage_changed" in stand_ins.kinds())
    state = await case.query(ScrCaseWorkflow.state)
    # Ofsted's failure leaves only Ofsted's deadline open: the LSCBs' are met.
    assert statuses(state)["notify_ofsted"] == "pending"
    assert statuses(state)["notify_lscb"] == "met"
    assert statuses(state)["notify_lscb:KENT"] == "met"


async def test_a_missed_chair_decision_is_reminded_then_breached_and_escalated(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await env.sleep(timedelta(days=40))  # past the chair's month, and every reminder before it

    await eventually(lambda: "deadline_breached" in stand_ins.kinds())
    assert "deadline_reminder" in stand_ins.kinds()
    assert any(kind == "deadline_escalation" for kind, _ in stand_ins.sent())
    state = await case.query(ScrCaseWorkflow.state)
    assert state.overdue
    assert {d.key: d.status.value for d in state.deadlines}["chair_decision"] == "overdue"


async def test_the_gate_refusing_publication_refuses_the_decision_and_changes_nothing(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    planned = await _to_pre_publication(env, case)
    await env.sleep(datetime.combine(planned, time(10), LONDON) - await env.get_current_time())
    stand_ins.gate_hits.append(
        PublicationHitSummary(
            document_id=7,
            document_kind="overview_report",
            category="name",
            paragraph=3,
            line=1,
            character=5,
            place="paragraph 3, line 1, character 5",
        )
    )
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await decide(case, Role.PUBLISHER, RecordPublishedInput())
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "Conflict"
    assert "overview_report: name at paragraph 3, line 1, character 5" in cause.message
    state = await case.query(ScrCaseWorkflow.state)
    assert state.stage == "pre_publication"
    assert stand_ins.published == []


async def _to_pre_publication(env: WorkflowEnvironment, case: Case) -> date:
    day = await today(env)
    planned = day + timedelta(days=30)
    reviewer = Reviewer(name="R", organisation="O", independence_statement="I")
    checks = {rule: QualityCheck(passed=True, comment="c") for rule in QUALITY_RULES}
    action = PlannedAction(
        action_id="A1", description="d", owner_agency="o", due_on=day + timedelta(days=90), success_criteria="s"
    )
    steps: list[tuple[Role, DecisionInput]] = [
        (Role.SUB_GROUP, RecordScreeningInput(recommendation="initiate_scr", rationale="r")),
        (Role.INDEPENDENT_CHAIR, DecideChairInput(decision="initiate_scr", rationale="r")),
        (Role.BUSINESS_MANAGER, AppointReviewersInput(reviewers=[reviewer])),
        (Role.BUSINESS_MANAGER, RecordPanelAdviceInput(outcome="agrees", advice="a")),
        (Role.INDEPENDENT_CHAIR, StartReviewInput(rationale="r")),
        (Role.LEAD_REVIEWER, SubmitFinalReportInput(document="d", summary="s")),
        (Role.SUB_GROUP, RecordQualityAssuranceInput(checks=checks)),
        (Role.SUB_GROUP, AgreeActionPlanInput(actions=[action])),
        (Role.INDEPENDENT_CHAIR, DecidePublicationInput(decision="publish", publication_on=planned, reasons="r")),
        (Role.BUSINESS_MANAGER, RecordPrepublicationInput(item="professionals_informed", note="n")),
        (Role.BUSINESS_MANAGER, RecordPrepublicationInput(item="family_supported", note="n")),
        (Role.BUSINESS_MANAGER, RecordPrepublicationInput(item="media_strategy_ready", note="n")),
        (Role.INDEPENDENT_CHAIR, RecordPrepublicationInput(item="chair_consent", note="n")),
    ]
    for role, decision in steps:
        await decide(case, role, decision)
    return planned


async def _replays(case: Case) -> None:
    """The new paths (tracked deliveries, resends, moved dates) are deterministic: the history replays."""
    history = await case.fetch_history()
    await Replayer(workflows=[ScrCaseWorkflow], data_converter=encrypting_converter()).replay_workflow(history)


async def _publish_at(env: WorkflowEnvironment, case: Case, planned: date) -> CaseState:
    await env.sleep(datetime.combine(planned, time(10), LONDON) - await env.get_current_time())
    return await decide(case, Role.PUBLISHER, RecordPublishedInput())


def _notice_status(state: CaseState) -> str:
    return {d.key: d.status.value for d in state.deadlines}["prepublication_notice"]


async def test_the_copies_carry_the_documents_and_the_notice_is_met_on_their_delivery(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    planned = await _to_pre_publication(env, case)
    await eventually(lambda: stand_ins.kinds().count("copies_delivered") == 3)

    copies = [n for n in stand_ins.notices if n.kind.value == "prepublication_copy"]
    assert sorted(n.recipient for n in copies) == ["dfe", "national_panel", "ofsted"]
    expected = [(c.kind, c.sha256) for c in copies[0].attachments]
    assert [k for k, _ in expected] == ["overview_report", "executive_summary", "board_response"]
    assert all([(c.kind, c.sha256) for c in n.attachments] == expected for n in copies)
    assert _notice_status(await case.query(ScrCaseWorkflow.state)) == "met"

    state = await _publish_at(env, case, planned)
    assert state.stage == "published"
    [published] = stand_ins.published
    assert [(c.kind, c.sha256) for c in published.delivered or []] == expected
    await _replays(case)


async def test_a_refused_copy_keeps_the_notice_open_and_publishing_waits_until_it_is_delivered(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    stand_ins.refused_recipients.add("dfe")
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    planned = await _to_pre_publication(env, case)
    await eventually(lambda: "copies_refused" in stand_ins.kinds())
    await eventually(lambda: ("notice_undelivered", "business_manager") in stand_ins.sent())
    state = await case.query(ScrCaseWorkflow.state)
    assert _notice_status(state) == "pending"
    assert "prepublication_copies" in [a.kind for a in state.awaiting]

    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await _publish_at(env, case, planned)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "Conflict"
    assert "not been delivered to DfE (refused by the mail server" in cause.message
    assert stand_ins.published == []
    await _replays(case)


async def test_a_document_changed_after_the_copies_blocks_publishing_until_sent_again(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    planned = await _to_pre_publication(env, case)
    await eventually(lambda: stand_ins.kinds().count("copies_delivered") == 3)
    stand_ins.uploads["executive_summary"] = ("9", "9" * 64)  # uploaded again after the copies

    await env.sleep(datetime.combine(planned, time(10), LONDON) - await env.get_current_time())
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await decide(case, Role.PUBLISHER, RecordPublishedInput())
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert "executive summary changed after the pre-publication copies" in cause.message
    # Sending again on the day itself is too late for that date: refused, with the way out.
    with pytest.raises(WorkflowUpdateFailedError) as too_late:
        await decide(case, Role.BUSINESS_MANAGER, SendCopiesInput())
    assert isinstance(too_late.value.cause, ApplicationError)
    assert "move the publication date instead" in too_late.value.cause.message
    assert stand_ins.published == []

    # A new date sends the new versions; published then, they are what goes up.
    later = planned + timedelta(days=21)
    await decide(case, Role.INDEPENDENT_CHAIR, MovePublicationDateInput(publication_on=later, reason="New summary"))
    await eventually(lambda: stand_ins.kinds().count("copies_delivered") == 6)
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):  # for the new schedule
        await decide(case, Role.BUSINESS_MANAGER, RecordPrepublicationInput(item=item, note="again"))
    state = await _publish_at(env, case, later)
    assert state.stage == "published"
    [published] = stand_ins.published
    assert ("executive_summary", "9" * 64) in [(c.kind, c.sha256) for c in published.delivered or []]
    await _replays(case)


async def test_a_hold_tells_ofsted_dfe_and_the_panel(env: WorkflowEnvironment, stand_ins: StandIns, queue: str) -> None:
    case = await open_case(env.client, queue, incident=DEATH, aware_on=await today(env))
    await _to_pre_publication(env, case)
    trial = RecordProceedingsInput(proceeding_id="T1", proceeding="criminal_trial", status="started")
    state = await decide(case, Role.BUSINESS_MANAGER, trial)
    assert state.stage == "publication_on_hold"
    everyone = {"ofsted", "dfe", "national_panel", "professionals", "family"}  # the two steps told them

    def told() -> set[str]:
        return {n.recipient for n in stand_ins.notices if n.kind.value == "publication_rescheduled"}

    await eventually(lambda: told() == everyone)
    held = [n for n in stand_ins.notices if n.kind.value == "publication_rescheduled"]
    assert all(n.facts["reason"] == "criminal trial" and n.facts["change"] == "on hold" for n in held)
    awaited = [(a.kind, a.description) for a in state.awaiting]
    assert ("proceedings", "Record the conclusion of: T1") in awaited


# -- issue 14: who is told, and when ----------------------------------------------------------------------


def statuses(state: CaseState) -> dict[str, str]:
    return {d.key: d.status.value for d in state.deadlines}


async def test_another_lscb_that_cannot_be_reached_keeps_its_own_deadline_open_and_ofsted_is_met(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    stand_ins.refused_recipients.add("lscb:KENT")
    case = await open_case(env.client, queue, incident={**DEATH, "other_lscbs": ["kent"]}, aware_on=await today(env))

    await eventually(lambda: ("notice_undelivered", "business_manager") in stand_ins.sent())
    state = await case.query(ScrCaseWorkflow.state)
    assert statuses(state)["notify_ofsted"] == "met"
    assert statuses(state)["notify_lscb:KENT"] == "pending"
    assert ("incident_notification", "national_panel") not in stand_ins.sent()


async def test_a_board_told_after_the_five_working_days_is_recorded_as_told_late(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    day = await today(env)
    case = await open_case(env.client, queue, incident=DEATH, aware_on=day - timedelta(days=14), notified_on=day)

    state = await case.query(ScrCaseWorkflow.state)
    lscb = next(d for d in state.deadlines if d.key == "notify_lscb")
    assert lscb.status.value == "met_late"
    assert lscb.breached_at is not None
    assert any("LSCB was told late" in e.summary for e in stand_ins.events)


async def test_ofsted_told_by_the_local_authority_first_gets_no_second_notice(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    day = await today(env)
    told = OfstedNotifiedByLA(notified_on=day, notified_by="Children's services duty manager")
    case = await open_case(env.client, queue, incident=DEATH, aware_on=day, ofsted_notified=told)
    await eventually(lambda: "stage_changed" in stand_ins.kinds())  # the notices go out before screening

    state = await case.query(ScrCaseWorkflow.state)
    assert stand_ins.sent() == [("incident_notification", "lscb")]
    assert statuses(state)["notify_ofsted"] == "met"


async def test_a_learning_review_referral_is_not_notified_but_its_decisions_are_and_the_panel_scrutinises_it(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    learning = {"outcome": "no_death_or_serious_harm", "abuse_or_neglect": "not_suspected"}
    case = await open_case(
        env.client, queue, incident={**learning, "learning_review_reason": "good_practice"}, aware_on=await today(env)
    )
    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="alternative_review", rationale="r"))
    state = await decide(
        case, Role.INDEPENDENT_CHAIR, DecideChairInput(decision="alternative_review", rationale="Good practice")
    )
    assert state.stage == "panel_scrutiny"  # an alternative review is a decision not to initiate an SCR
    await decide(case, Role.BUSINESS_MANAGER, RecordPanelAdviceInput(outcome="requests_information", advice="a"))
    await decide(case, Role.BUSINESS_MANAGER, RecordPanelInformationInput(summary="Chronology sent"))
    with pytest.raises(WorkflowUpdateFailedError):  # one request, answered once
        await decide(case, Role.BUSINESS_MANAGER, RecordPanelInformationInput(summary="again"))
    state = await decide(case, Role.INDEPENDENT_CHAIR, DecideScrutinyInput(outcome="confirm", rationale="r"))

    assert state.stage == "alternative_review"
    # The notices go out after the decision answers, to both recipients at once: wait for each.
    told = {("chair_decision", "ofsted"), ("chair_decision", "national_panel")}
    told |= {("case_decision", "ofsted"), ("case_decision", "national_panel")}
    await eventually(lambda: told <= set(stand_ins.sent()))
    sent = set(stand_ins.sent())
    assert not any(kind == "incident_notification" for kind, _ in sent)
    assert statuses(state)["notify_ofsted"] == "not_applicable"


async def test_a_fact_update_reassesses_sends_the_incident_notice_and_reopens_the_chairs_decision(
    env: WorkflowEnvironment, stand_ins: StandIns, queue: str
) -> None:
    day = await today(env)
    harmed = {"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"}
    case = await open_case(env.client, queue, incident=harmed, aware_on=day)
    await decide(case, Role.SUB_GROUP, RecordScreeningInput(recommendation="no_review", rationale="r"))
    await decide(case, Role.INDEPENDENT_CHAIR, DecideChairInput(decision="do_not_initiate", rationale="r"))
    told = RecordOfstedNotifiedInput(notified_on=day, notified_by="LA duty team")
    await decide(case, Role.LOCAL_AUTHORITY, told)
    await env.sleep(timedelta(days=3))

    died = IncidentFacts(outcome="died", abuse_or_neglect="suspected")
    state = await decide(case, Role.BUSINESS_MANAGER, UpdateFactsInput(incident=died, reason="The child died"))

    assert state.stage == "awaiting_chair_decision"
    deadlines = {d.key: d for d in state.deadlines}
    assert deadlines["chair_decision"].status.value == "pending"
    assert deadlines["chair_decision"].due > deadlines["chair_decision:1"].due  # a fresh month, the old one kept
    assert deadlines["notify_ofsted"].status.value == "met"  # the local authority told Ofsted first
    await eventually(lambda: ("incident_notification", "lscb") in stand_ins.sent())
    assert ("incident_notification", "ofsted") not in stand_ins.sent()
    await eventually(lambda: any(e.details.get("decision_kind") == "facts_update" for e in stand_ins.events))
    update = next(e for e in stand_ins.events if e.details.get("decision_kind") == "facts_update")
    assert update.details["previous_assessment"]["notifiable"] is False
    assert update.details["assessment"]["scr"] == "required"
    assert update.assessment == update.details["assessment"]
    with pytest.raises(WorkflowUpdateFailedError):  # an SCR is now mandatory
        await decide(case, Role.INDEPENDENT_CHAIR, DecideChairInput(decision="do_not_initiate", rationale="r"))
