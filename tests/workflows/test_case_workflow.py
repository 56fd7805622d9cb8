"""The case workflow with its real activities, SQLite and SMTP.

Clock tests run on the time-skipping test server; refusals run on the real dev server, because the Java
test server stops skipping time for good after an update is rejected.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import OVERDUE
from domain.case_messages import Actor, DeadlineStatus
from domain.decision_inputs import DecideChairInput, DecisionInput, RecordScreeningInput
from domain.roles import Role
from domain.uk_time import london_date
from store import register
from store.database import create_engine, session_factory
from tests.integration.failure_harness import pending_timers
from tests.support.case_harness import (
    ALICE,
    DEATH,
    NOT_NOTIFIABLE,
    SERIOUS_HARM,
    decide,
    open_case,
    running_worker,
    screen,
    settings_for,
)
from tests.support.services import MailBox, RecordingHandler, recording_server
from workflows.case_workflow import ScrCaseWorkflow


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


async def _today(env: WorkflowEnvironment) -> date:
    return london_date(await env.get_current_time())


def _subjects(mail: MailBox) -> list[str]:
    return [str(m["Subject"]) for m in mail.messages()]


def _to(mail: MailBox) -> list[str]:
    return [str(m["To"]) for m in mail.messages()]


async def test_missed_chair_decision_reminds_escalates_and_keeps_the_breach(
    time_skipping_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    client = time_skipping_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    async with running_worker(client, sqlite_engine, settings):
        handle = await open_case(
            client, sqlite_engine, settings, incident=SERIOUS_HARM, aware_on=await _today(time_skipping_env)
        )
        await handle.execute_update(ScrCaseWorkflow.registered)
        await mail.wait_for(2)
        # Ofsted and the LSCB (the board's, at its business manager when it has no address of its own): 001 §1.
        assert sorted(_to(mail)) == sorted([settings.mail.business_manager, settings.mail.ofsted])
        assert all("Notification of a serious child safeguarding incident" in s for s in _subjects(mail))
        state = await screen(handle)
        assert state.stage == "awaiting_chair_decision"

        # Skip beyond the chair_decision deadline (one calendar month after notification).
        await time_skipping_env.sleep(timedelta(days=33))
        state = await handle.query(ScrCaseWorkflow.state)
        deadlines = {d.key: d for d in state.deadlines}
        assert state.stage == "awaiting_chair_decision"
        assert deadlines["notify_ofsted"].status == DeadlineStatus.MET
        assert deadlines["chair_decision"].status == DeadlineStatus.OVERDUE
        assert state.overdue is True

        subjects = _subjects(mail)
        reminders = [s for s in subjects if "Reminder: " in s]
        escalations = [s for s in subjects if "Deadline missed: " in s]
        assert len(reminders) == 2  # 5 and 1 working days before, to the chair
        assert len(escalations) == 2  # to the business manager and the sub-group
        assert {str(m["To"]) for m in mail.messages() if "Reminder: " in str(m["Subject"])} == {settings.mail.chair}

        description = await handle.describe()
        assert description.typed_search_attributes.get(OVERDUE) is True

        # The late decision is accepted, and the breach stays visible.
        state = await decide(
            handle, ALICE, DecideChairInput(decision="initiate_scr", rationale="Criteria met; late because of leave")
        )
        deadlines = {d.key: d for d in state.deadlines}
        assert state.stage == "reviewer_appointment"
        assert deadlines["chair_decision"].status == DeadlineStatus.MET_LATE
        assert deadlines["chair_decision"].breached_at is not None
        decided_on = await _today(time_skipping_env)
        assert deadlines["review_completion"].due.month == (decided_on.month + 6 - 1) % 12 + 1
        # The decision is notified to Ofsted and the National Panel.
        decision_mail = [m for m in await mail.wait_for(9) if "Independent chair's decision" in str(m["Subject"])]
        assert sorted(str(m["To"]) for m in decision_mail) == sorted(
            [settings.mail.ofsted, settings.mail.national_panel]
        )

    async with session_factory(sqlite_engine)() as session:
        case = await register.find_case(session, reference=state.reference)
        rows = {d.key: d for d in await register.case_deadlines(session, reference=state.reference)}
        events = await register.case_timeline(session, reference=state.reference)
    assert case is not None
    assert case.stage == "reviewer_appointment"
    assert rows["chair_decision"].status == "met_late"
    assert "deadline_breached" in [e.kind for e in events]
    chair = [e for e in events if e.details.get("decision_kind") == "chair"]
    assert [(e.actor, e.role, e.rationale) for e in chair] == [
        ("alice", "independent_chair", "Criteria met; late because of leave")
    ]


async def test_decisions_are_refused_with_reasons_and_change_nothing(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    client = dev_server_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    async with running_worker(client, sqlite_engine, settings):
        handle = await open_case(client, sqlite_engine, settings, incident=DEATH, aware_on=await _today(dev_server_env))
        await handle.execute_update(ScrCaseWorkflow.registered)

        async def refused(who: Actor, decision: DecisionInput) -> ApplicationError:
            with pytest.raises(WorkflowUpdateFailedError) as caught:
                await decide(handle, who, decision)
            assert isinstance(caught.value.cause, ApplicationError)
            return caught.value.cause

        too_early = await refused(ALICE, DecideChairInput(decision="initiate_scr", rationale="Died"))
        assert too_early.type == "Conflict"
        assert "awaiting_chair_decision" in too_early.message
        await screen(handle)
        wrong_role = await refused(
            Actor(user="bob", role=Role.BUSINESS_MANAGER), DecideChairInput(decision="initiate_scr", rationale="x")
        )
        assert wrong_role.type == "Forbidden"
        required = await refused(
            ALICE, DecideChairInput(decision="do_not_initiate", rationale="x", definitive_evidence="none needed")
        )
        assert required.type == "Conflict"
        assert "5(2)(b)(i)" in required.message
        state = await handle.query(ScrCaseWorkflow.state)
        assert state.stage == "awaiting_chair_decision"
        assert state.chair_decision is None
        assert {d.key: d.status for d in state.deadlines}["chair_decision"] == DeadlineStatus.PENDING

        await decide(handle, ALICE, DecideChairInput(decision="initiate_scr", rationale="Died"))
        twice = await refused(ALICE, DecideChairInput(decision="initiate_scr", rationale="again"))
        assert twice.type == "Conflict"
        assert "reviewer_appointment" in twice.message
        again_screening = await refused(
            Actor(user="sam", role=Role.SUB_GROUP), RecordScreeningInput(recommendation="no_review", rationale="x")
        )
        assert again_screening.type == "Conflict"


async def test_custody_death_cannot_be_do_not_initiate(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    client = dev_server_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    custody = {"outcome": "died", "abuse_or_neglect": "not_suspected", "custody": "remand"}
    async with running_worker(client, sqlite_engine, settings):
        handle = await open_case(
            client, sqlite_engine, settings, incident=custody, aware_on=await _today(dev_server_env)
        )
        await handle.execute_update(ScrCaseWorkflow.registered)
        await screen(handle, "no_review")
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await decide(
                handle, ALICE, DecideChairInput(decision="do_not_initiate", rationale="x", definitive_evidence="y")
            )
        assert isinstance(caught.value.cause, ApplicationError)
        assert caught.value.cause.type == "Conflict"
        assert "custody" in caught.value.cause.message or "remand" in caught.value.cause.message
        state = await handle.query(ScrCaseWorkflow.state)
        assert state.chair_decision is None
        assert state.stage == "awaiting_chair_decision"


async def test_alternative_review_of_a_non_notifiable_case_sends_no_incident_notice_but_tells_the_decision(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    client = dev_server_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    async with running_worker(client, sqlite_engine, settings):
        handle = await open_case(
            client, sqlite_engine, settings, incident=NOT_NOTIFIABLE, aware_on=await _today(dev_server_env)
        )
        await handle.execute_update(ScrCaseWorkflow.registered)
        await screen(handle, "alternative_review")
        state = await decide(
            handle, ALICE, DecideChairInput(decision="alternative_review", rationale="Complex multi-agency learning")
        )
        # An alternative review is a decision not to initiate an SCR: the panel scrutinises it (001 §4).
        assert state.stage == "panel_scrutiny"
        deadlines = {d.key: d.status for d in state.deadlines}
        assert deadlines["notify_ofsted"] == DeadlineStatus.NOT_APPLICABLE
        assert deadlines["chair_decision"] == DeadlineStatus.MET
        decision = [m for m in await mail.wait_for(3) if "Independent chair's decision" in str(m["Subject"])]
        # Give the workflow time to send anything it would send after the decision.
        await asyncio.sleep(2)
    # No incident notice (not notifiable), but the decision goes to Ofsted and the National Panel either way.
    assert not any("Notification of a serious" in str(m["Subject"]) for m in mail.messages())
    assert sorted(str(m["To"]) for m in decision) == sorted([settings.mail.ofsted, settings.mail.national_panel])


async def test_case_opened_late_records_breaches_without_stale_escalations(
    time_skipping_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    client = time_skipping_env.client
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    long_ago = await _today(time_skipping_env) - timedelta(days=120)
    async with running_worker(client, sqlite_engine, settings):
        handle = await open_case(client, sqlite_engine, settings, incident=SERIOUS_HARM, aware_on=long_ago)
        await handle.execute_update(ScrCaseWorkflow.registered)
        await mail.wait_for(2)  # the incident notices themselves still go out
        for _ in range(100):
            state = await handle.query(ScrCaseWorkflow.state)
            deadlines = {d.key: d.status for d in state.deadlines}
            # The clock acts on the past-due deadlines once the opening's writes and notices are done.
            settled = deadlines["chair_decision"] != DeadlineStatus.PENDING
            if deadlines["notify_ofsted"] == DeadlineStatus.MET_LATE and state.stage == "screening" and settled:
                break
            await asyncio.sleep(0.1)
        # Nothing left on the case's clock, so no reminder or escalation for the old deadlines can still come.
        # (Not a time-skipping sleep: the Java test server's sleep sometimes hangs after an update here.)
        assert await pending_timers(handle) == {}
    assert deadlines["notify_ofsted"] == DeadlineStatus.MET_LATE
    assert deadlines["chair_decision"] == DeadlineStatus.OVERDUE
    assert not any("Reminder" in s or "Deadline missed" in s for s in _subjects(mail))


async def test_a_notice_the_mail_server_refuses_is_recorded_and_escalated_to_the_business_manager(
    time_skipping_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine
) -> None:
    client = time_skipping_env.client
    handler = RecordingHandler(refuse=frozenset({"enquiries@ofsted.example"}))
    with recording_server(handler) as port:
        settings = settings_for(database_url=sqlite_url, smtp_port=port)
        assert settings.mail.ofsted == "enquiries@ofsted.example"
        async with running_worker(client, sqlite_engine, settings):
            handle = await open_case(
                client, sqlite_engine, settings, incident=SERIOUS_HARM, aware_on=await _today(time_skipping_env)
            )
            await handle.execute_update(ScrCaseWorkflow.registered)
            for _ in range(200):
                if len(handler.delivered) >= 2:
                    break
                await asyncio.sleep(0.05)
            state = await handle.query(ScrCaseWorkflow.state)

    # The LSCB (at the business manager's address) got the incident notice; Ofsted's was refused, and the business
    # manager was told by email.
    delivered = sorted((tuple(recipients), str(message["Subject"])) for recipients, message in handler.delivered)
    reference = state.reference
    assert delivered == [
        ((settings.mail.business_manager,), f"[{reference}] Notice not delivered: incident notification to ofsted"),
        ((settings.mail.business_manager,), f"[{reference}] Notification of a serious child safeguarding incident"),
    ]
    # Ofsted was not notified, so the deadline to notify it stays open (the LSCB's is met); the refusal is on the
    # case's timeline.
    statuses = {d.key: d.status for d in state.deadlines}
    assert statuses["notify_ofsted"] == DeadlineStatus.PENDING
    assert statuses["notify_lscb"] == DeadlineStatus.MET
    async with session_factory(sqlite_engine)() as session:
        timeline = await register.case_timeline(session, reference=reference)
    [failed] = [event for event in timeline if event.kind == "notice_failed"]
    assert failed.details["recipient"] == "ofsted"
    assert "550" in failed.details["reason"]
