"""Issue 17: an imported review's clocks run from its import, as any case's do, on the time-skipping server. Old
failures are recorded, never escalated; a deadline still running reminds and escalates as usual."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import case_workflow_id
from domain.case_file import CaseWorkflowInput
from domain.case_messages import OpenCaseInput
from domain.decision_inputs import DecideChairInput, RemoveFromWebsiteInput
from domain.imports.columns import ImportRow, parse_row
from domain.imports.messages import ImportedCase, ImportSource
from domain.rule_pack import SCR_2015
from store import register
from store.database import create_engine, session_factory
from tests.support.case_harness import BOB, _STARTED, running_worker, settings_for
from tests.support.payload_keys import encrypting_converter
from tests.support.services import MailBox, binary, register_search_attributes
from tests.workflows.story import Story
from workflows.case_workflow import ScrCaseWorkflow

SOURCE = ImportSource(file_name="legacy.csv", sha256="a" * 64)


@pytest.fixture
async def story(sqlite_url: str, mail: MailBox) -> AsyncIterator[Story]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=encrypting_converter()
    )
    engine = create_engine(sqlite_url)
    try:
        await register_search_attributes(env.client)
        settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
        async with running_worker(env.client, engine, settings):
            yield Story(env, engine, settings, mail)
    finally:
        await engine.dispose()
        await env.shutdown()


async def take_in(story: Story, cells: dict[str, Any]) -> None:
    """Import one row as the API does: its register row, then its workflow with the row."""
    board = min(story.settings.board_codes)
    row = parse_row(2, {"board_case_id": "LEG-1", "board": board, **cells}, await story.today())
    assert isinstance(row, ImportRow), row
    async with session_factory(story.engine).begin() as session:
        case = await register.create_case(
            session,
            board=board,
            year=row.notified_on.year,
            idempotency_key="import:LEG-1",
            request_fingerprint="test",
            stage="notified",
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            aware_on=row.aware_on,
            notified_on=row.notified_on,
            incident=row.incident.model_dump(mode="json"),
            created_by=BOB.user,
            workflow_id_for=lambda ref: f"{case_workflow_id(ref)}-{uuid.uuid4().hex[:6]}",
        )
    _STARTED.setdefault(story.settings.task_queue, []).append(case.workflow_id)
    opening = OpenCaseInput(
        reference=case.reference,
        board=board,
        aware_on=row.aware_on,
        notified_on=row.notified_on,
        incident=row.incident,
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        opened_by=BOB,
    )
    story.handle = await story.env.client.start_workflow(
        ScrCaseWorkflow.run,
        CaseWorkflowInput(opening=opening, imported=ImportedCase(row=row, source=SOURCE)),
        id=case.workflow_id,
        task_queue=story.settings.task_queue,
    )
    await story.case.execute_update(ScrCaseWorkflow.registered)


def days(day: date) -> str:
    return day.isoformat()


async def test_a_published_review_is_retained_at_its_anniversary_and_may_then_come_down(story: Story) -> None:
    today = await story.today()
    published = today - timedelta(days=360)
    await take_in(
        story,
        {
            "stage": "published",
            "outcome": "died",
            "abuse_or_neglect": "known",
            "aware_on": days(published - timedelta(days=500)),
            "notified_on": days(published - timedelta(days=498)),
            "ofsted_notified_on": days(published - timedelta(days=499)),
            "screening_recommendation": "initiate_scr",
            "chair_decision": "initiate_scr",
            "chair_decision_on": days(published - timedelta(days=480)),
            "final_report_on": days(published - timedelta(days=200)),
            "publication_decision": "publish",
            "publication_decision_on": days(published - timedelta(days=60)),
            "copies_sent_on": days(published - timedelta(days=10)),
            "publication_on": days(published),
            "published_on": days(published),
        },
    )
    state = await story.state()
    assert state.stage == "published"
    statuses = {d.key: d.status.value for d in state.deadlines}
    assert statuses["website_minimum"] == "pending"
    assert statuses["chair_decision"] == "met"
    assert statuses["review_completion"] == "met_late"  # six months from initiation, the report came later
    assert statuses["prepublication_notice"] == "met"
    refused = await story.refused("publisher", RemoveFromWebsiteInput(reason="Twelve months"))
    assert "at least 12 months" in refused.message

    await story.go_to(published + timedelta(days=366))
    assert (await story.state()).stage == "retained"
    removed = await story.by("publisher", RemoveFromWebsiteInput(reason="Twelve months and actions complete"))
    assert removed.stage == "removed"
    assert not story.mails("Deadline missed")  # nothing old escalated


async def test_a_chair_decision_still_due_reminds_and_escalates_as_for_any_case(story: Story) -> None:
    today = await story.today()
    await take_in(
        story,
        {
            "stage": "awaiting_chair_decision",
            "outcome": "died",
            "abuse_or_neglect": "known",
            "aware_on": days(today - timedelta(days=12)),
            "notified_on": days(today - timedelta(days=10)),
            "ofsted_notified_on": days(today - timedelta(days=11)),
            "screening_recommendation": "initiate_scr",
        },
    )
    chair = await story.deadline("chair_decision")
    assert chair.status.value == "pending"
    await story.go_to(chair.due + timedelta(days=2))
    assert (await story.deadline("chair_decision")).status.value == "overdue"
    await story.wait_for_mail("Deadline missed")
    assert story.mails("Reminder: ")
    decided = await story.by("independent_chair", DecideChairInput(decision="initiate_scr", rationale="Criteria met"))
    assert decided.stage == "reviewer_appointment"
    assert {d.key: d.status.value for d in decided.deadlines}["chair_decision"] == "met_late"
