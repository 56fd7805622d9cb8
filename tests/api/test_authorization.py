"""The whole role × action matrix over HTTP, board scoping, audited refusals, size limits, the calendar feed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.permissions import ACTION_TEXT, PERMISSIONS
from domain.roles import Role
from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from tests.case_harness import Stack, api_stack
from tests.unit.test_case_rules import EXAMPLES

TODAY = london_date(datetime.now(UTC))


@pytest.fixture(scope="module")
async def matrix_stack(
    dev_server_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, str]]:
    from tests.services import fresh_database, mailbox

    folder = tmp_path_factory.mktemp("matrix")
    async with (
        fresh_database("sqlite", folder) as url,
        mailbox(folder / "mail") as box,
        api_stack(dev_server_env.client, url, box.port) as stack,
    ):
        opened = await stack.open_case(_case_body(stack.board))
        assert opened.status_code == 201, opened.text
        yield stack, opened.json()["reference"]


def _case_body(board: str) -> dict[str, object]:
    return {
        "board": board,
        "aware_on": (TODAY - timedelta(days=2)).isoformat(),
        "notified_on": TODAY.isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }


async def _request(stack: Stack, action: str, role: Role, reference: str) -> httpx.Response:
    headers = stack.auth(role.value, f"user-{role.value}")
    http = stack.http
    if action == "cases.open":
        return await http.post("/api/v1/cases", json=_case_body(stack.board), headers=headers)
    if action == "cases.read":
        return await http.get(f"/api/v1/cases/{reference}", headers=headers)
    if action == "tasks.read":
        return await http.get("/api/v1/tasks", headers=headers)
    if action == "calendar.read":
        return await http.get("/api/v1/calendar.ics", headers=headers)
    if action == "screening.check":
        return await http.post(
            "/api/v1/screening", json={"outcome": "died", "abuse_or_neglect": "known"}, headers=headers
        )
    kind = action.removeprefix("decisions.")
    body = EXAMPLES[kind].model_dump(mode="json", exclude={"kind"})
    return await http.post(f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=headers)


@pytest.mark.parametrize("action", list(PERMISSIONS))
async def test_every_role_is_allowed_or_refused_as_the_matrix_says(
    matrix_stack: tuple[Stack, str], action: str
) -> None:
    stack, reference = matrix_stack
    for role in Role:
        response = await _request(stack, action, role, reference)
        if role in PERMISSIONS[action]:
            assert response.status_code != 403, f"{role.value} {action}: {response.text}"
        else:
            assert response.status_code == 403, f"{role.value} {action}: {response.status_code} {response.text}"
            assert role.value in response.json()["detail"]


async def test_every_refusal_is_audited_with_actor_and_reason(matrix_stack: tuple[Stack, str]) -> None:
    stack, reference = matrix_stack
    response = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "x"}, role="publisher")
    assert response.status_code == 403
    async with session_factory(stack.engine)() as session:
        rows = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.kind == "access_refused", AuditEvent.actor == "alice")
            )
        )
    assert rows
    assert rows[-1].role == "publisher"
    assert rows[-1].case_reference == reference
    assert "cannot decide whether to initiate a review" in (rows[-1].rationale or "")


def test_the_readme_matrix_is_the_enforced_matrix() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    documented = dict(re.findall(r"^\| `([a-z_.]+)` \([^)]*\) \| ([^|]+) \|$", readme, flags=re.MULTILINE))
    assert set(documented) == set(PERMISSIONS)
    for action, roles in PERMISSIONS.items():
        expected = "every role" if set(roles) == set(Role) else ", ".join(r.value for r in roles)
        assert documented[action].strip() == expected, action
        assert ACTION_TEXT[action]


async def test_staff_see_only_their_own_boards_cases(matrix_stack: tuple[Stack, str]) -> None:
    stack, reference = matrix_stack
    own = {"Authorization": f"Bearer dev:business_manager:bob:{stack.board}"}
    other = {"Authorization": "Bearer dev:business_manager:eve:XYZ"}
    assert (await stack.http.get(f"/api/v1/cases/{reference}", headers=own)).status_code == 200
    assert (await stack.http.get(f"/api/v1/cases/{reference}", headers=other)).status_code == 404
    assert (await stack.http.get("/api/v1/cases", headers=other)).json()["total"] == 0
    assert (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=other)).status_code == 404
    refused = await stack.http.post("/api/v1/cases", json=_case_body(stack.board), headers=other)
    assert refused.status_code == 403
    decision = await stack.http.post(
        f"/api/v1/cases/{reference}/decisions/screening",
        json={"recommendation": "initiate_scr", "rationale": "x"},
        headers={"Authorization": "Bearer dev:sub_group:eve:XYZ"},
    )
    assert decision.status_code == 404


async def test_oversized_bodies_are_refused_before_they_are_read(matrix_stack: tuple[Stack, str]) -> None:
    stack, _ = matrix_stack
    body = {**_case_body(stack.board), "padding": "x" * 2_000_000}
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.auth("business_manager"))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_calendar_feed_lists_open_deadlines_of_my_board(matrix_stack: tuple[Stack, str]) -> None:
    stack, _ = matrix_stack
    reference = (await stack.open_case(_case_body(stack.board))).json()["reference"]
    response = await stack.http.get("/api/v1/calendar.ics", headers=stack.auth("independent_chair"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    unfolded = text.replace("\r\n ", "")
    case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
    still_open = [d for d in case["deadlines"] if d["status"] in ("pending", "overdue")]
    closed = [d for d in case["deadlines"] if d["status"] not in ("pending", "overdue")]
    assert "chair_decision" in [d["key"] for d in still_open]
    for deadline in still_open:
        event = f"UID:{reference}-{deadline['key']}@scr.lscb\r\nDTSTAMP:"
        assert event in unfolded
        assert f"DTSTART;VALUE=DATE:{deadline['due'].replace('-', '')}" in unfolded
    for deadline in closed:
        assert f"UID:{reference}-{deadline['key']}@" not in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    elsewhere = await stack.http.get("/api/v1/calendar.ics", headers={"Authorization": "Bearer dev:auditor:x:XYZ"})
    assert "BEGIN:VEVENT" not in elsewhere.text
