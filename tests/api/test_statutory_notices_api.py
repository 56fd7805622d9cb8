"""Issue 14 through the staff API on the real stack (dev server, worker, SQLite, the SMTP sink): who receives the
incident notice and each decision, each recipient's deadline, the local authority's own notice to Ofsted, fact
updates, and referrals for a learning review."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox, plain_text

TODAY = london_date(datetime.now(UTC))
OFSTED, PANEL, LSCB, KENT = "ofsted@ofsted.example", "panel@panel.example", "lscb@board.example", "scr@kent.example"
DEATH = {"outcome": "died", "abuse_or_neglect": "suspected"}
INCIDENT = "Notification of a serious child safeguarding incident"


def directory(board: str) -> str:
    return f"""
[{board}]
ofsted = "{OFSTED}"
dfe = "dfe@dfe.example"
national_panel = "{PANEL}"
independent_chair = "chair@board.example"
sub_group = "subgroup@board.example"
business_manager = "bm@board.example"
partners = "partners@board.example"
lscb = "{LSCB}"
other_lscbs = {{ KENT = "{KENT}" }}
"""


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port, notice_directory=directory) as running:
        yield running


async def open_case(stack: Stack, role: str, **body: Any) -> dict[str, Any]:
    request = {"board": stack.board, "aware_on": TODAY.isoformat(), "notified_on": TODAY.isoformat(), **body}
    response = await stack.http.post("/api/v1/cases", json=request, headers=stack.auth(role))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def decide(stack: Stack, reference: str, kind: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await stack.http.post(f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=stack.auth(role))
    assert response.status_code == 200, f"{kind}: {response.text}"
    return dict(response.json())


async def case_of(stack: Stack, reference: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The case once the register shows what the workflow recorded after the opening (notices go out then)."""
    for _ in range(100):
        response = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))
        case = dict(response.json())
        if until(case):
            break
        await asyncio.sleep(0.1)
    return case


def deadline_is(key: str, status: str) -> Callable[[dict[str, Any]], bool]:
    return lambda case: deadlines(case).get(key, {}).get("status") == status


def to(messages: list[EmailMessage], subject: str) -> list[str]:
    return sorted(str(m["To"]) for m in messages if subject in str(m["Subject"]))


async def settled(mail: MailBox, count: int) -> list[EmailMessage]:
    """``count`` messages, then a moment to see that no more follow."""
    await mail.wait_for(count)
    await asyncio.sleep(1.5)
    return mail.messages()


def deadlines(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["key"]: d for d in case["deadlines"]}


async def test_the_incident_notice_goes_to_ofsted_and_each_lscb_and_decisions_to_ofsted_and_the_panel(
    stack: Stack, mail: MailBox
) -> None:
    # An agency manager refers the case (001 §2); the child also lived in Kent.
    opened = await open_case(stack, "agency_manager", incident={**DEATH, "other_lscbs": ["KENT"]})
    reference = opened["reference"]

    sent = await settled(mail, 3)
    assert to(sent, INCIDENT) == sorted([OFSTED, LSCB, KENT])
    assert PANEL not in to(sent, "")
    assert all(reference in plain_text(m) for m in sent)
    case = await case_of(stack, reference, deadline_is("notify_lscb:KENT", "met"))
    for key in ("notify_ofsted", "notify_lscb", "notify_lscb:KENT"):
        assert deadlines(case)[key]["status"] == "met", key
        assert deadlines(case)[key]["source"] == f"{stack.board} SCR procedure"  # the board's own (issue 19)

    await decide(stack, reference, "screening", "sub_group", {"recommendation": "initiate_scr", "rationale": "r"})
    await decide(stack, reference, "chair", "independent_chair", {"decision": "initiate_scr", "rationale": "r"})
    sent = await mail.wait_for(6)
    assert to(sent, "Independent chair's decision") == sorted([OFSTED, PANEL])


async def test_the_local_authority_told_ofsted_itself_so_ofsted_gets_no_second_notice(
    stack: Stack, mail: MailBox
) -> None:
    told = {"notified_on": TODAY.isoformat(), "notified_by": "Children's services duty manager"}
    opened = await open_case(stack, "local_authority", incident=DEATH, ofsted_notified=told)
    reference = opened["reference"]

    sent = await settled(mail, 1)
    assert to(sent, INCIDENT) == [LSCB]
    case = await case_of(stack, reference, deadline_is("notify_ofsted", "met"))
    assert deadlines(case)["notify_ofsted"]["status"] == "met"
    again = await stack.http.post(
        f"/api/v1/cases/{reference}/decisions/ofsted_notified",
        json={"notified_on": TODAY.isoformat(), "notified_by": "Someone else"},
        headers=stack.auth("local_authority"),
    )
    assert again.status_code == 409, again.text


async def test_a_board_told_late_keeps_the_breach_on_the_case(stack: Stack, mail: MailBox) -> None:
    aware = TODAY - timedelta(days=21)
    opened = await open_case(stack, "business_manager", incident=DEATH, aware_on=aware.isoformat())
    case = await case_of(stack, opened["reference"], deadline_is("notify_lscb", "met_late"))
    assert deadlines(case)["notify_lscb"]["status"] == "met_late"
    assert "notify_lscb" in case["breaches"]


async def test_a_learning_review_referral_is_not_notified_but_its_decisions_are_and_the_panel_scrutinises_it(
    stack: Stack, mail: MailBox
) -> None:
    facts = {
        "outcome": "no_death_or_serious_harm",
        "abuse_or_neglect": "not_suspected",
        "learning_review_reason": "good_practice",
    }
    opened = await open_case(stack, "agency_manager", incident=facts)
    reference = opened["reference"]
    assert opened["assessment"]["notifiable"] is False

    await decide(stack, reference, "screening", "sub_group", {"recommendation": "alternative_review", "rationale": "r"})
    case = await decide(
        stack, reference, "chair", "independent_chair", {"decision": "alternative_review", "rationale": "Learning"}
    )
    assert case["stage"] == "panel_scrutiny"
    await decide(
        stack, reference, "panel_advice", "business_manager", {"outcome": "requests_information", "advice": "a"}
    )
    await decide(stack, reference, "panel_information", "business_manager", {"summary": "Chronology sent"})
    case = await decide(
        stack, reference, "scrutiny_outcome", "independent_chair", {"outcome": "confirm", "rationale": "r"}
    )
    assert case["stage"] == "alternative_review"

    sent = await mail.wait_for(4)
    assert to(sent, "Independent chair's decision") == sorted([OFSTED, PANEL])
    assert not to(sent, INCIDENT)


async def test_a_fact_update_reassesses_and_tells_the_lscb_but_not_ofsted_already_told(
    stack: Stack, mail: MailBox
) -> None:
    opened = await open_case(
        stack, "business_manager", incident={"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"}
    )
    reference = opened["reference"]
    await decide(
        stack,
        reference,
        "ofsted_notified",
        "local_authority",
        {"notified_on": TODAY.isoformat(), "notified_by": "Duty manager"},
    )
    own_board = await stack.http.post(
        f"/api/v1/cases/{reference}/decisions/facts_update",
        json={"incident": {**DEATH, "other_lscbs": [stack.board]}, "reason": "r"},
        headers=stack.auth("business_manager"),
    )
    assert own_board.status_code == 422, own_board.text

    case = await decide(
        stack, reference, "facts_update", "business_manager", {"incident": DEATH, "reason": "The child died"}
    )
    assert deadlines(case)["notify_ofsted"]["status"] == "met"

    sent = await settled(mail, 1)
    assert to(sent, INCIDENT) == [LSCB]
    shown = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))  # reads its writes
    assert shown.json()["assessment"]["scr"] == "required"
    assert shown.json()["incident"]["outcome"] == "died"
    timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
    [update] = [e for e in timeline if e["kind"] == "decision" and e["details"].get("decision_kind") == "facts_update"]
    assert update["details"]["previous_assessment"]["notifiable"] is False
    assert update["details"]["assessment"]["notifiable"] is True
