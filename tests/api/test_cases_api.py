"""The staff API against a real dev server, worker, SQLite register and SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from store.models import Case
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
SERIOUS_HARM = {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "unknown"}


def case_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "board": BOARD,
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": SERIOUS_HARM,
    }
    body.update(overrides)
    return body


BOARD = "NEL"  # replaced per test by the stack's own board code (see settings_for)


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    global BOARD
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        BOARD = running.board
        yield running


async def test_requests_without_a_valid_token_are_refused(stack: Stack) -> None:
    response = await stack.http.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    response = await stack.http.get("/api/v1/cases", headers={"Authorization": "Bearer dev:emperor:nero"})
    assert response.status_code == 401
    assert "Unknown role 'emperor'" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"incident": {"abuse_or_neglect": "suspected"}}, "incident.outcome"),
        ({"incident": {**SERIOUS_HARM, "outcome": "hurt"}}, "incident.outcome"),
        ({"aware_on": "2026-02-30"}, "aware_on"),
        ({"board": "N3L"}, "board"),
        ({"incident": {**SERIOUS_HARM, "child_name": "x"}}, "incident.child_name"),
    ],
)
async def test_invalid_case_facts_get_422_naming_the_field(
    stack: Stack, overrides: dict[str, object], field: str
) -> None:
    response = await stack.open_case(case_body(**overrides))
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]
    listed = await stack.http.get("/api/v1/cases", headers=stack.auth("auditor"))
    assert listed.json()["total"] == 0


async def test_dates_that_cannot_be_right_are_refused(stack: Stack) -> None:
    backwards = await stack.open_case(
        case_body(aware_on=TODAY.isoformat(), notified_on=(TODAY - timedelta(days=2)).isoformat())
    )
    assert backwards.status_code == 422
    assert "notified_on cannot be before aware_on" in backwards.json()["detail"]
    future = await stack.open_case(case_body(notified_on=(TODAY + timedelta(days=2)).isoformat()))
    assert future.status_code == 422
    unknown_board = await stack.open_case(case_body(board="XYZ"))
    assert unknown_board.status_code == 422
    assert "Unknown board 'XYZ'" in unknown_board.json()["detail"]


async def test_only_board_staff_open_cases(stack: Stack) -> None:
    response = await stack.http.post("/api/v1/cases", json=case_body(), headers=stack.auth("independent_chair"))
    assert response.status_code == 403
    assert "cannot open a case" in response.json()["detail"]


async def test_opening_a_case_returns_its_reference_stage_and_deadlines(stack: Stack) -> None:
    response = await stack.open_case(case_body(aware_on="2026-11-16", notified_on="2026-11-18"))
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["reference"] == f"{stack.board}-{TODAY.year}-0001"
    assert case["workflow_id"] == f"scr-case-{case['reference']}"
    assert response.headers["location"] == f"/api/v1/cases/{case['reference']}"
    due = {d["key"]: d["due"] for d in case["deadlines"]}
    assert due == {"notify_ofsted": "2026-11-23", "chair_decision": "2026-12-18", "notify_lscb": "2026-11-23"}
    assert case["assessment"]["scr"] == "required_unless_definitive_evidence"  # 5(2)(b)(ii), concern presumed
    second = await stack.open_case(case_body())
    assert second.json()["reference"] == f"{stack.board}-{TODAY.year}-0002"


async def test_same_idempotency_key_returns_the_same_case(stack: Stack) -> None:
    first = await stack.open_case(case_body(), **{"Idempotency-Key": "referral-17"})
    again = await stack.open_case(case_body(), **{"Idempotency-Key": "referral-17"})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    different = await stack.open_case(
        case_body(incident={**SERIOUS_HARM, "looked_after": True}), **{"Idempotency-Key": "referral-17"}
    )
    assert different.status_code == 409
    listed = await stack.http.get("/api/v1/cases", headers=stack.auth("auditor"))
    assert listed.json()["total"] == 1


async def test_chair_decision_refusals_are_explained_audited_and_change_nothing(stack: Stack) -> None:
    reference = (await stack.open_case(case_body())).json()["reference"]
    assert (await stack.screen(reference)).status_code == 200

    wrong_role = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "x"}, role="business_manager")
    assert wrong_role.status_code == 403
    invalid = await stack.decide(reference, {"decision": "maybe", "rationale": "x"})
    assert invalid.status_code == 422
    blank = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "   "})
    assert blank.status_code == 422
    no_evidence = await stack.decide(reference, {"decision": "do_not_initiate", "rationale": "Recovered well"})
    assert no_evidence.status_code == 409
    assert "definitive evidence" in no_evidence.json()["detail"]

    case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
    assert case["stage"] == "awaiting_chair_decision"
    timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
    refusals = [e for e in timeline if e["kind"] in ("access_refused", "decision_refused")]
    assert [(e["actor"], e["role"]) for e in refusals] == [
        ("alice", "business_manager"),
        ("alice", "independent_chair"),
    ]
    assert not [e for e in timeline if e["details"].get("decision_kind") == "chair" and e["kind"] == "decision"]


async def test_chair_decision_is_recorded_with_who_and_why(stack: Stack) -> None:
    reference = (await stack.open_case(case_body())).json()["reference"]
    await stack.screen(reference)
    decided = await stack.decide(
        reference,
        {"decision": "do_not_initiate", "rationale": "Single-agency issue", "definitive_evidence": "Joint audit 12/10"},
    )
    assert decided.status_code == 200, decided.text
    case = decided.json()
    assert case["stage"] == "panel_scrutiny"
    assert {d["key"]: d["status"] for d in case["deadlines"]}["chair_decision"] == "met"
    # The answer is built from the workflow's new state; a read afterwards shows the decision too (the case may
    # have moved on meanwhile: the opening's notices, still going out, meet the notification deadline).
    read = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
    moving = ("updated_at", "deadlines", "next_deadline")
    assert {k: v for k, v in case.items() if k not in moving} == {k: v for k, v in read.items() if k not in moving}
    chair = [d for d in read["deadlines"] if d["key"] == "chair_decision"]
    assert chair == [d for d in case["deadlines"] if d["key"] == "chair_decision"]

    again = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Changed my mind"})
    assert again.status_code == 409
    assert "panel_scrutiny" in again.json()["detail"]

    timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
    decision = next(e for e in timeline if e["kind"] == "decision" and e["details"]["decision_kind"] == "chair")
    assert decision["actor"] == "alice"
    assert decision["role"] == "independent_chair"
    assert decision["rationale"] == "Single-agency issue"
    assert decision["details"]["definitive_evidence"] == "Joint audit 12/10"


async def test_unknown_and_malformed_references(stack: Stack) -> None:
    missing = await stack.http.get("/api/v1/cases/NEL-2026-9999", headers=stack.auth("auditor"))
    assert missing.status_code == 404
    malformed = await stack.http.get("/api/v1/cases/..%2Fetc", headers=stack.auth("auditor"))
    assert malformed.status_code in (404, 422)
    decide_missing = await stack.decide("NEL-2026-9999", {"decision": "initiate_scr", "rationale": "x"})
    assert decide_missing.status_code == 404


async def test_cases_are_listed_newest_first_in_pages(stack: Stack) -> None:
    references = [(await stack.open_case(case_body())).json()["reference"] for _ in range(3)]
    page = (await stack.http.get("/api/v1/cases?limit=2", headers=stack.auth("auditor"))).json()
    assert page["total"] == 3
    assert [item["reference"] for item in page["items"]] == references[::-1][:2]
    rest = (await stack.http.get("/api/v1/cases?limit=2&offset=2", headers=stack.auth("auditor"))).json()
    assert [item["reference"] for item in rest["items"]] == [references[0]]
    assert (await stack.http.get("/api/v1/cases?limit=0", headers=stack.auth("auditor"))).status_code == 422


async def test_tasks_list_the_decisions_awaiting_my_role_soonest_first(stack: Stack) -> None:
    later = (await stack.open_case(case_body())).json()["reference"]
    sooner = (
        await stack.open_case(
            case_body(
                aware_on=(TODAY - timedelta(days=20)).isoformat(), notified_on=(TODAY - timedelta(days=20)).isoformat()
            )
        )
    ).json()["reference"]
    newest = (await stack.open_case(case_body())).json()["reference"]
    screened = await stack.screen(later)
    assert [a["kind"] for a in screened.json()["awaiting"]] == ["chair"]

    chair_tasks = (await stack.http.get("/api/v1/tasks", headers=stack.auth("independent_chair"))).json()
    assert chair_tasks["total"] == 1
    assert [(t["reference"], t["kind"]) for t in chair_tasks["items"]] == [(later, "chair")]
    assert chair_tasks["items"][0]["decide_at"] == f"/api/v1/cases/{later}/decisions/chair"
    chair_due = {d["key"]: d["due"] for d in screened.json()["deadlines"]}["chair_decision"]
    assert chair_tasks["items"][0]["due"] == chair_due

    sub_group_tasks = (await stack.http.get("/api/v1/tasks", headers=stack.auth("sub_group"))).json()
    assert [(t["reference"], t["kind"]) for t in sub_group_tasks["items"]] == [
        (sooner, "screening"),
        (newest, "screening"),
    ]
    assert sub_group_tasks["items"][0]["due"] < sub_group_tasks["items"][1]["due"]
    second_page = (await stack.http.get("/api/v1/tasks?limit=1&offset=1", headers=stack.auth("sub_group"))).json()
    assert (second_page["total"], [t["reference"] for t in second_page["items"]]) == (2, [newest])
    nothing = (await stack.http.get("/api/v1/tasks", headers=stack.auth("publisher"))).json()
    assert (nothing["total"], nothing["items"]) == (0, [])
    assert (await stack.http.get("/api/v1/tasks?limit=500", headers=stack.auth("sub_group"))).status_code == 422


async def test_every_decision_kind_is_documented_in_the_openapi_schema(stack: Stack) -> None:
    schema = (await stack.http.get("/openapi.json")).json()
    paths = [p for p in schema["paths"] if "/decisions/" in p]
    kinds = {p.rsplit("/", 1)[1] for p in paths}
    assert {"screening", "chair", "panel_advice", "quality_assurance", "publication", "removal", "close"} <= kinds
    chair = schema["paths"]["/api/v1/cases/{reference}/decisions/chair"]["post"]
    assert "independent_chair" in chair["description"]
    unknown = await stack.decide("NEL-2026-0001", {"x": 1}, kind="coronation")
    assert unknown.status_code == 404
    assert "There is no decision 'coronation'" in unknown.json()["detail"]


async def test_a_deprivation_of_liberty_case_must_record_the_childs_age(stack: Stack) -> None:
    dols = {"outcome": "died", "abuse_or_neglect": "not_suspected", "deprivation_of_liberty_order": True}
    without_age = await stack.open_case(case_body(incident=dols))
    assert without_age.status_code == 422
    assert "age_at_incident is required with deprivation_of_liberty_order" in without_age.json()["detail"]
    listed = await stack.http.get("/api/v1/cases", headers=stack.auth("auditor"))
    assert listed.json()["total"] == 0
    with_age = await stack.open_case(case_body(incident={**dols, "age_at_incident": 16}))
    assert with_age.status_code == 201, with_age.text
    assert with_age.json()["assessment"]["bases"] == ["always_deprivation_of_liberty"]


async def test_cases_filter_by_overdue_and_sort_by_deadline_or_reference(stack: Stack) -> None:
    references = [(await stack.open_case(case_body())).json()["reference"] for _ in range(3)]
    for reference in references:  # the opening's register writes end with the move to screening
        for _ in range(200):
            case = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))
            if case.json()["stage"] == "screening":
                break
            await asyncio.sleep(0.05)
    # The register is the projection the list reads: give the cases a breach and deadlines to sort by.
    first, second, third = references
    projection = {first: (False, date(2027, 3, 1)), second: (True, date(2027, 1, 15)), third: (False, None)}
    async with stack.engine.begin() as connection:
        for reference, (overdue, due) in projection.items():
            values = {"overdue": overdue, "next_deadline_due": due}
            await connection.execute(update(Case).where(Case.reference == reference).values(**values))

    async def listed(query: str) -> list[str]:
        page = await stack.http.get(f"/api/v1/cases?{query}", headers=stack.auth("auditor"))
        assert page.status_code == 200, page.text
        return [item["reference"] for item in page.json()["items"]]

    assert await listed("overdue=true") == [second]
    assert await listed("overdue=false") == [third, first]  # newest first
    assert await listed("sort=next_deadline") == [second, first, third]  # none last
    assert await listed("sort=reference") == sorted(references)
    bad = await stack.http.get("/api/v1/cases?sort=oldest", headers=stack.auth("auditor"))
    assert bad.status_code == 422
