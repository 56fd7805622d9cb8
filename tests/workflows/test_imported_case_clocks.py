"""Issue 17: an imported review's clocks run from its import, as any case's do, on the time-skipping server. Old
failures are recorded, never escalated; a deadline still running reminds and escalates as usual."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.decision_inputs import DecideChairInput, RemoveFromWebsiteInput
from tests.support.import_harness import PUBLISHED_A_YEAR_AGO, take_in
from tests.workflows.story import Story


def days(day: date) -> str:
    return day.isoformat()


async def test_a_published_review_is_retained_at_its_anniversary_and_may_then_come_down(story: Story) -> None:
    today = await story.today()
    published = today - timedelta(days=360)
    await take_in(story, PUBLISHED_A_YEAR_AGO(published))
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


async def test_a_row_the_rules_refuse_fails_its_workflow_with_the_reason(story: Story) -> None:
    """The API checks every row first; should a row still reach the workflow refused (a day's turn between), the
    case is not taken in half-way: its workflow fails, naming the row's column."""
    today = await story.today()
    row = PUBLISHED_A_YEAR_AGO(today - timedelta(days=100)) | {"stage": "removed", "removed_on": today.isoformat()}
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await take_in(story, row)
    with pytest.raises(WorkflowFailureError) as failed:
        await story.case.result()
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.type == "ImportRefused"
    assert "column removed_on" in failed.value.cause.message
    assert "at least 12 months" in failed.value.cause.message
