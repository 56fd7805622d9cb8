"""The whole role × action matrix over HTTP (every role against every route of every action, and every route of
the API in the matrix or knowingly public), board scoping, audited refusals, size limits, the calendar feed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.permissions import ACTION_TEXT, PERMISSIONS
from domain.lifecycle import BY_KIND
from domain.roles import Role
from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from store.settings import Settings
from tests.support.case_harness import Stack, api_stack
from tests.unit.test_lifecycle import EXAMPLES

TODAY = london_date(datetime.now(UTC))

# Every route each action guards, as the app declares it. An action without an entry fails the matrix test: add
# its routes here (and, if a body is needed, to _send).
ROUTES: dict[str, list[tuple[str, str]]] = {
    "cases.open": [("POST", "/api/v1/cases")],
    "cases.import": [("POST", "/api/v1/imports")],
    "cases.read": [
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/cases/{reference}"),
        ("GET", "/api/v1/cases/{reference}/timeline"),
    ],
    "tasks.read": [("GET", "/api/v1/tasks")],
    "calendar.read": [("GET", "/api/v1/calendar.ics"), ("POST", "/api/v1/calendar/feed")],
    "screening.check": [("POST", "/api/v1/screening")],
    "documents.upload": [("POST", "/api/v1/cases/{reference}/documents")],
    "documents.read": [
        ("GET", "/api/v1/cases/{reference}/documents"),
        ("GET", "/api/v1/cases/{reference}/documents/{document_id}"),
    ],
    "identifiers.write": [("PUT", "/api/v1/cases/{reference}/identifiers")],
    "identifiers.read": [("GET", "/api/v1/cases/{reference}/identifiers")],
    "anonymisation.check": [("POST", "/api/v1/cases/{reference}/anonymisation-check")],
    "anonymisation.accept": [("POST", "/api/v1/cases/{reference}/anonymisation-check/accepted")],
    "review_requests.read": [("GET", "/api/v1/requests")],
    "review_requests.answer": [("POST", "/api/v1/requests/{request_id}/answer")],
    "codec.use": [("POST", "/codec/decode"), ("POST", "/codec/encode")],
    "learning_summaries.run": [("POST", "/api/v1/learning-summaries")],
    "learning_summaries.read": [
        ("GET", "/api/v1/learning-summaries"),
        ("GET", "/api/v1/learning-summaries/{board}/{year}.html"),
        ("GET", "/api/v1/learning-summaries/{board}/{year}.md"),
    ],
    "cases.export": [("GET", "/api/v1/cases/{reference}/export")],
    "boards.export": [("GET", "/api/v1/boards/{board}/export")],
    **{f"decisions.{kind}": [("POST", f"/api/v1/cases/{{reference}}/decisions/{kind}")] for kind in BY_KIND},
}
# Routes no role guards, on purpose: health, the public's request for a removed review, the codec's cookie
# session (dev only; and forgetting it), the case export's published JSON Schema, the public site (a mount).
PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/api/v1/schemas/case-export.json"),
    ("POST", "/api/v1/public/requests"),
    ("GET", "/codec/dev-session"),
    ("DELETE", "/codec/session"),
}


@dataclass(frozen=True)
class Target:
    """What the routes' path parameters name: a case of the stack's board and one of its documents."""

    reference: str
    document_id: int
    request_id: int = 1  # no such request: an allowed role gets 404, a refused one 403


@pytest.fixture(scope="module")
async def matrix_stack(
    dev_server_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, Target]]:
    from tests.support.services import fresh_database, mailbox

    folder = tmp_path_factory.mktemp("matrix")
    async with (
        fresh_database("sqlite", folder) as url,
        mailbox(folder / "mail") as box,
        api_stack(dev_server_env.client, url, box.port) as stack,
    ):
        opened = await stack.open_case(_case_body(stack.board))
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        # The lead reviewer of the matrix is appointed to the case: a lead reviewer sees only such cases.
        assert (await stack.screen(reference)).status_code == 200
        chair = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Died; abuse suspected"})
        assert chair.status_code == 200, chair.text
        reviewer = {"name": "R", "organisation": "O", "independence_statement": "I", "account": "user-lead_reviewer"}
        named = await stack.decide(reference, {"reviewers": [reviewer]}, role="business_manager", kind="reviewers")
        assert named.status_code == 200, named.text
        uploaded = await stack.http.post(
            f"/api/v1/cases/{reference}/documents",
            data={"kind": "overview_report"},
            files={"file": ("report.md", b"# Overview report\n\nChild A.\n", "text/markdown")},
            headers=stack.auth("business_manager"),
        )
        assert uploaded.status_code == 201, uploaded.text
        yield stack, Target(reference=reference, document_id=uploaded.json()["id"])


def _case_body(board: str) -> dict[str, object]:
    return {
        "board": board,
        "aware_on": (TODAY - timedelta(days=2)).isoformat(),
        "notified_on": TODAY.isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }


async def _send(
    stack: Stack, action: str, method: str, route: str, target: Target, headers: dict[str, str]
) -> httpx.Response:
    """One request to ``route`` with a body an allowed role could send (it may still be refused for the case's
    stage or content, never for the role)."""
    path = route.format(
        reference=target.reference,
        document_id=target.document_id,
        request_id=target.request_id,
        board=stack.board,
        year=TODAY.year - 1,
    )
    kwargs: dict[str, Any] = {}
    if action.startswith("decisions."):
        kwargs["json"] = EXAMPLES[action.removeprefix("decisions.")].model_dump(mode="json", exclude={"kind"})
        for reviewer in kwargs["json"].get("reviewers", []):
            reviewer["account"] = "user-lead_reviewer"  # naming reviewers again keeps the matrix's lead reviewer
    elif route == "/api/v1/cases":
        kwargs["json"] = _case_body(stack.board) if method == "POST" else None
    elif route == "/api/v1/imports":
        kwargs["params"] = {"dry_run": "true"}  # checks an empty file: creates nothing
    elif route == "/api/v1/screening":
        kwargs["json"] = {"outcome": "died", "abuse_or_neglect": "known"}
    elif route.endswith("/documents") and method == "POST":
        kwargs["data"] = {"kind": "agency_account"}  # a kind every uploader, agency contacts too, may upload
        kwargs["files"] = {"file": ("account.txt", b"The agency's written account.\n", "text/plain")}
    elif route.endswith("/identifiers") and method == "PUT":
        kwargs["json"] = {"names": ["Child A"]}
    elif route.endswith("/accepted"):
        kwargs["json"] = {
            "document_id": target.document_id,
            "matched_text": "Child A",
            "category": "name",
            "reason": "Child A is the report's pseudonym",
        }
    elif route.endswith("/answer"):
        kwargs["json"] = {"outcome": "provided", "note": "Sent by email"}
    elif route == "/api/v1/learning-summaries" and method == "POST":
        kwargs["json"] = {"board": stack.board, "year": TODAY.year - 1}
    elif route.startswith("/codec/"):
        kwargs["json"] = {"payloads": []}
    return await stack.http.request(method, path, headers=headers, **{k: v for k, v in kwargs.items() if v is not None})


@pytest.mark.parametrize("action", list(PERMISSIONS))
async def test_every_role_is_allowed_or_refused_as_the_matrix_says(
    matrix_stack: tuple[Stack, Target], action: str
) -> None:
    stack, target = matrix_stack
    if action not in ROUTES:
        pytest.fail(f"the matrix has '{action}', but this test sends no request for it: add its routes to ROUTES")
    refused = set()
    for method, route in ROUTES[action]:
        for role in Role:
            response = await _send(stack, action, method, route, target, stack.auth(role.value, f"user-{role.value}"))
            where = f"{role.value} {method} {route}"
            if role in PERMISSIONS[action]:
                assert response.status_code not in (401, 403), f"{where}: {response.text}"
                assert response.status_code < 500, f"{where}: {response.text}"
            else:
                assert response.status_code == 403, f"{where}: {response.status_code} {response.text}"
                assert response.headers["content-type"] == "application/problem+json"
                assert f"'{role.value}' cannot {ACTION_TEXT[action]}" in response.json()["detail"]
                refused.add(role.value)
    async with session_factory(stack.engine)() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.kind == "access_refused"))
        audited = {row.role for row in rows if row.details.get("action") == action and row.actor.startswith("user-")}
    assert audited == refused, "every refusal is in the audit trail"


def test_every_route_is_guarded_by_the_matrix_or_knowingly_public() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    declared = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    covered = {pair for routes in ROUTES.values() for pair in routes}
    unguarded = sorted(declared - PUBLIC_ROUTES - covered)
    assert not unguarded, f"routes no action of ROUTES (in this file) covers: guard them with authorize: {unguarded}"
    assert not covered - declared, f"ROUTES names routes the app does not have: {sorted(covered - declared)}"
    assert not covered & PUBLIC_ROUTES


async def test_every_refusal_is_audited_with_actor_and_reason(matrix_stack: tuple[Stack, Target]) -> None:
    stack, target = matrix_stack
    reference = target.reference
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
    rows = re.findall(r"^\| `([a-z_.]+)` \(([^)]*)\) \| ([^|]+) \|$", readme, flags=re.MULTILINE)
    documented = {action: (text, roles.strip()) for action, text, roles in rows}
    assert len(rows) == len(documented), "an action documented twice"
    assert set(documented) == set(PERMISSIONS)
    for action, roles in PERMISSIONS.items():
        expected = "every role" if set(roles) == set(Role) else ", ".join(r.value for r in roles)
        assert documented[action] == (ACTION_TEXT[action], expected), action


async def test_staff_see_only_their_own_boards_cases(matrix_stack: tuple[Stack, Target]) -> None:
    stack, target = matrix_stack
    reference = target.reference
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


async def test_oversized_bodies_are_refused_before_they_are_read(matrix_stack: tuple[Stack, Target]) -> None:
    stack, _ = matrix_stack
    body = {**_case_body(stack.board), "padding": "x" * 2_000_000}
    response = await stack.http.post("/api/v1/cases", json=body, headers=stack.auth("business_manager"))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_calendar_feed_lists_open_deadlines_of_my_board(matrix_stack: tuple[Stack, Target]) -> None:
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
