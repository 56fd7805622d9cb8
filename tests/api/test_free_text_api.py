"""Free text sent to a case is checked when it is submitted (issue 19, point 4): a decision's text naming the
child or family recorded on the case is refused with 422 naming the field, and nothing is recorded; control
characters and text with nothing visible are refused everywhere free text is taken. Real Temporal dev server,
worker and SMTP, on SQLite and PostgreSQL registers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
FAMILY = {"names": ["Jayden Lee Smith", "Kelly O'Brien"], "schools": ["Oakfield Primary School"]}


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, database_url, mail.port) as running:
        yield running


async def open_screened_case(stack: Stack) -> str:
    body = {
        "board": stack.board,
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    opened = await stack.open_case(body)
    assert opened.status_code == 201, opened.text
    reference = str(opened.json()["reference"])
    assert (await stack.screen(reference)).status_code == 200
    return reference


async def record_family(stack: Stack, reference: str) -> None:
    recorded = await stack.http.put(
        f"/api/v1/cases/{reference}/identifiers", json=FAMILY, headers=stack.auth("business_manager")
    )
    assert recorded.status_code == 200, recorded.text


async def timeline(stack: Stack, reference: str) -> list[dict[str, Any]]:
    """The case's decisions and refusals on its timeline (notices land on their own time, so they are left out)."""
    response = await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))
    assert response.status_code == 200
    return [event for event in response.json() if event["kind"].startswith("decision")]


@pytest.mark.parametrize(
    ("body", "field", "kind_of_detail"),
    [
        ({"decision": "initiate_scr", "rationale": "Jayden Lee Smith died at home"}, "rationale", "a recorded name"),
        ({"decision": "initiate_scr", "rationale": "Kelly told the GP"}, "rationale", "part of a recorded name"),
        ({"decision": "initiate_scr", "rationale": "Jay\u200bden Lee Sm\u00adith"}, "rationale", "a recorded name"),
        ({"decision": "initiate_scr", "rationale": "K\u00e9lly told the GP"}, "rationale", "part of a recorded name"),
        ({"decision": "initiate_scr", "rationale": "\uff2b\uff45\uff4c\uff4c\uff59 told"}, "rationale", "name"),
        (
            {"decision": "initiate_scr", "rationale": "Agencies missed it", "definitive_evidence": "oakfield primary"},
            "definitive_evidence",
            "a recorded school",
        ),
    ],
)
async def test_a_decision_naming_the_family_is_refused_naming_the_field_and_nothing_is_recorded(
    stack: Stack, body: dict[str, str], field: str, kind_of_detail: str
) -> None:
    reference = await open_screened_case(stack)
    await record_family(stack, reference)
    before = await timeline(stack, reference)

    refused = await stack.decide(reference, body)

    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert [error["field"] for error in problem["errors"]] == [field]
    assert kind_of_detail in problem["errors"][0]["message"]
    assert "Nothing was recorded" in problem["detail"]
    assert not any(word in refused.text.casefold() for word in ("jayden", "kelly", "oakfield"))  # never echoed
    assert await timeline(stack, reference) == before
    case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
    assert case["stage"] == "awaiting_chair_decision"

    # The same decision in words that identify no one is recorded.
    clean = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Child J died; reg. 5(2)(b)(i)"})
    assert clean.status_code == 200, clean.text
    assert len(await timeline(stack, reference)) > len(before)


async def test_nested_fields_are_named_by_their_path(stack: Stack) -> None:
    reference = await open_screened_case(stack)
    await record_family(stack, reference)
    initiated = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Reg. 5(2)(b)(i)"})
    assert initiated.status_code == 200, initiated.text
    reviewers = [
        {"name": "R. Reviewer", "organisation": "Independent", "independence_statement": "No prior role"},
        {"name": "S. Reviewer", "organisation": "Independent", "independence_statement": "Never met Kelly O'Brien"},
    ]
    refused = await stack.decide(reference, {"reviewers": reviewers}, role="business_manager", kind="reviewers")
    assert refused.status_code == 422, refused.text
    assert [error["field"] for error in refused.json()["errors"]] == ["reviewers.1.independence_statement"]


async def test_without_recorded_details_free_text_is_not_matched(stack: Stack) -> None:
    reference = await open_screened_case(stack)
    decided = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Kelly told the GP"})
    assert decided.status_code == 200, decided.text


@pytest.mark.parametrize(
    ("rationale", "reason"),
    [
        ("Reasons\x00hidden", "control characters"),
        ("Bell \x07 rings", "control characters"),
        ("Escape \x1b[31m red", "control characters"),
        ("   ", "at least 1 character"),  # stripped to nothing
        ("\u200b\u200b\u2060", "visible text"),  # zero-width characters only
        ("\u00ad \u202e \ufeff", "visible text"),  # soft hyphen, bidi override, BOM
        ("\u3164\u2800", "visible text"),  # Hangul filler and blank Braille: letters that show as blanks
        ("Reason \ud800 here", "valid string"),  # valid JSON, but no character: refused as it is parsed
    ],
)
async def test_control_characters_and_invisible_rationales_are_refused(
    stack: Stack, rationale: str, reason: str
) -> None:
    reference = await open_screened_case(stack)
    before = await timeline(stack, reference)
    refused = await stack.http.post(  # JSON escapes (\u0000, \ud800) as a client sends them
        f"/api/v1/cases/{reference}/decisions/chair",
        content=json.dumps({"decision": "initiate_scr", "rationale": rationale}).encode(),
        headers=stack.auth("independent_chair") | {"Content-Type": "application/json"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "rationale"
    assert reason in refused.json()["errors"][0]["message"]
    assert await timeline(stack, reference) == before


async def test_line_breaks_and_tabs_are_kept(stack: Stack) -> None:
    reference = await open_screened_case(stack)
    rationale = "First reason.\r\n\tSecond reason."
    decided = await stack.decide(reference, {"decision": "initiate_scr", "rationale": rationale})
    assert decided.status_code == 200, decided.text
    assert any(event["rationale"] == rationale for event in await timeline(stack, reference))


async def test_other_request_bodies_refuse_control_characters_and_invisible_text(stack: Stack) -> None:
    reference = await open_screened_case(stack)
    public = await stack.http.post(
        "/api/v1/public/requests",
        json={"reference": reference, "email": "r@university.example", "purpose": "Research\x00 into learning"},
    )
    assert public.status_code == 422
    assert public.json()["errors"][0]["field"] == "purpose"
    invisible = await stack.http.post(
        "/api/v1/public/requests",
        json={"reference": reference, "email": "r@university.example", "purpose": "\u200b" * 12},
    )
    assert invisible.status_code == 422
    assert "visible text" in invisible.json()["errors"][0]["message"]
