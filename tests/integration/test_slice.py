"""The first slice end to end, on the real dev server, over SQLite and PostgreSQL, with a real SMTP server."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import BOARD, NEXT_DEADLINE, OVERDUE, STAGE, case_workflow_id
from domain.uk_time import end_of_day, london_date
from store.database import session_factory
from store.models import AuditEvent, Case, Notice
from tests.support.case_harness import api_stack
from tests.support.services import MailBox


async def test_a_case_flows_from_notification_to_chair_decision(
    dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox
) -> None:
    today = london_date(datetime.now(UTC))
    async with api_stack(dev_server_env.client, database_url, mail.port) as stack:
        opened = await stack.open_case(
            {
                "board": stack.board.lower(),
                "aware_on": (today - timedelta(days=2)).isoformat(),
                "notified_on": today.isoformat(),
                "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
            },
            **{"Idempotency-Key": "la-referral-2231"},
        )
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        assert reference.startswith(f"{stack.board}-{today.year}-")

        # The Ofsted notice arrives once, naming the case only by its reference.
        messages = await mail.wait_for(2)
        ofsted = [m for m in messages if m["To"] == stack.settings.mail.ofsted]
        assert len(ofsted) == 1
        assert reference in str(ofsted[0]["Subject"])
        # A retried request must not send it again.
        again = await stack.open_case(
            {
                "board": stack.board,
                "aware_on": (today - timedelta(days=2)).isoformat(),
                "notified_on": today.isoformat(),
                "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
            },
            **{"Idempotency-Key": "la-referral-2231"},
        )
        assert again.json()["reference"] == reference

        screened = await stack.screen(reference)
        assert screened.status_code == 200, screened.text
        assert screened.json()["stage"] == "awaiting_chair_decision"
        assert [a["kind"] for a in screened.json()["awaiting"]] == ["chair"]
        decided = await stack.decide(
            reference, {"decision": "initiate_scr", "rationale": "Child died; abuse suspected"}
        )
        assert decided.status_code == 200, decided.text
        body = decided.json()
        assert body["stage"] == "reviewer_appointment"
        deadlines = {d["key"]: d for d in body["deadlines"]}
        assert deadlines["notify_ofsted"]["status"] == "met"
        assert deadlines["chair_decision"]["status"] == "met"
        assert deadlines["review_completion"]["status"] == "pending"

        messages = await mail.wait_for(5)
        await asyncio.sleep(0.5)  # nothing more should arrive
        assert len(mail.messages()) == 5  # incident x2, screening to the chair, decision x2
        assert [m["To"] for m in messages].count(stack.settings.mail.ofsted) == 2  # notification + decision

        handle = dev_server_env.client.get_workflow_handle(case_workflow_id(reference))
        attributes = (await handle.describe()).typed_search_attributes
        assert attributes.get(STAGE) == "reviewer_appointment"
        assert attributes.get(BOARD) == stack.board
        assert attributes.get(OVERDUE) is False
        review_due = date.fromisoformat(deadlines["review_completion"]["due"])
        assert attributes.get(NEXT_DEADLINE) == end_of_day(review_due)

        async with session_factory(stack.engine)() as session:
            case = await session.get(Case, reference)
            audit = list(await session.scalars(select(AuditEvent).where(AuditEvent.case_reference == reference)))
            notices = list(await session.scalars(select(Notice).where(Notice.case_reference == reference)))
    assert case is not None
    assert case.stage == "reviewer_appointment"
    assert case.idempotency_key == "la-referral-2231"
    decision = [e for e in audit if e.kind == "decision" and e.details["decision_kind"] == "chair"]
    assert len(decision) == 1
    assert (decision[0].actor, decision[0].role, decision[0].rationale) == (
        "alice",
        "independent_chair",
        "Child died; abuse suspected",
    )
    assert decision[0].at.tzinfo is not None
    assert sorted((n.kind, n.recipient, n.status) for n in notices) == [
        ("case_decision", "independent_chair", "sent"),
        ("chair_decision", "national_panel", "sent"),
        ("chair_decision", "ofsted", "sent"),
        ("incident_notification", "lscb", "sent"),
        ("incident_notification", "ofsted", "sent"),
    ]
