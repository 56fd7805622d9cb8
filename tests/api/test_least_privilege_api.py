"""Least privilege over HTTP (issue 19, point 5): every role × every document kind, listed and downloaded, allowed
or 403 as the one table says, each refusal audited; a lead reviewer sees only the cases that name their account.
Register-only cases (SQLite and PostgreSQL) for the document matrix; the real stack (Temporal dev server, worker)
for the appointment."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.decision_inputs import AppointReviewersInput, Reviewer
from domain.documents import DOCUMENT_READERS, DocumentKind
from domain.lifecycle.review import REVIEWERS_NAMED
from domain.roles import Role
from domain.uk_time import london_date
from store import register
from store.database import create_engine, session_factory
from store.document_store import FilesystemDocumentStore
from store.models import AuditEvent
from tests.support.case_harness import Stack, api_stack
from tests.support.publication_harness import add_document, api_client, auth, create_case, settings_for
from tests.support.services import MailBox

K = DocumentKind
REVIEW_TEAM = {Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR, Role.LEAD_REVIEWER}
OVERSIGHT = REVIEW_TEAM | {Role.AUDITOR}
PUBLISHED = OVERSIGHT | {Role.PUBLISHER}
# Written out here, not read from the code: what each role is expected to read.
EXPECTED_READERS: dict[DocumentKind, set[Role]] = {
    K.REFERRAL_FORM: OVERSIGHT,
    K.AGENCY_ACCOUNT: REVIEW_TEAM,
    K.PANEL_LETTER: OVERSIGHT,
    K.OVERVIEW_REPORT: PUBLISHED,
    K.EXECUTIVE_SUMMARY: PUBLISHED,
    K.BOARD_RESPONSE: PUBLISHED,
    K.IMR: REVIEW_TEAM,
    K.INFORMATION_RESPONSE: REVIEW_TEAM,
    K.OTHER: OVERSIGHT,
}
LEAD_REVIEWER = "rita"


async def appoint(
    engine: AsyncEngine, reference: str, account: str | None, *, name: str = "R. Reviewer", organisation: str = "Ind."
) -> None:
    """The register's record of naming the lead reviewers, as the case workflow writes it."""
    named = AppointReviewersInput(
        reviewers=[Reviewer(name=name, organisation=organisation, independence_statement="None", account=account)]
    )
    async with session_factory(engine).begin() as session:
        register.append_audit(
            session,
            business_key=f"{reference}:appoint:{account}",
            reference=reference,
            kind="decision",
            actor="bob",
            role="business_manager",
            at=datetime.now(UTC),
            summary=f"{REVIEWERS_NAMED}: {name} ({organisation})",
            rationale=None,
            details={"reviewers": [r.model_dump() for r in named.reviewers]},
        )


async def refusals(engine: AsyncEngine) -> int:
    async with session_factory(engine)() as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "access_refused")
        )
    return int(count or 0)


@pytest.fixture
async def documents_api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    engine = create_engine(database_url)
    try:
        async with api_client(engine, settings_for(database_url, tmp_path)) as http:
            yield http, engine
    finally:
        await engine.dispose()


async def test_every_role_reads_exactly_the_document_kinds_the_table_gives_it(
    documents_api: tuple[httpx.AsyncClient, AsyncEngine], tmp_path: Path
) -> None:
    http, engine = documents_api
    store = FilesystemDocumentStore(tmp_path / "documents")
    reference = await create_case(engine)
    await appoint(engine, reference, LEAD_REVIEWER)
    ids = {
        kind: (await add_document(engine, store, reference, kind.value, f"{kind.value}\n".encode(), "text/plain")).id
        for kind in DocumentKind
    }
    expected_refusals = 0
    for role in Role:
        headers = auth(role.value, LEAD_REVIEWER)
        for kind in DocumentKind:
            allowed = role in EXPECTED_READERS[kind]
            where = f"{role.value} reading a {kind.value}"
            download = await http.get(f"/api/v1/cases/{reference}/documents/{ids[kind]}", headers=headers)
            listed = await http.get(f"/api/v1/cases/{reference}/documents", params={"kind": kind}, headers=headers)
            if allowed:
                assert download.status_code == 200, f"{where}: {download.text}"
                assert download.content == f"{kind.value}\n".encode()
                assert listed.status_code == 200, f"{where}: {listed.text}"
                assert [d["id"] for d in listed.json()] == [ids[kind]]
            else:
                assert (download.status_code, listed.status_code) == (403, 403), f"{where}: {download.text}"
                assert f"'{role.value}'" in download.json()["detail"]
                expected_refusals += 2
        everything = await http.get(f"/api/v1/cases/{reference}/documents", headers=headers)
        if any(role in readers for readers in EXPECTED_READERS.values()):
            # The unfiltered list shows the kinds the role reads, and no others.
            assert {d["kind"] for d in everything.json()} == {k.value for k, r in EXPECTED_READERS.items() if role in r}
        else:
            assert everything.status_code == 403
            expected_refusals += 1
    assert await refusals(engine) == expected_refusals, "every refusal is in the audit trail"


async def test_a_lead_reviewer_reads_only_the_documents_of_cases_naming_them(
    documents_api: tuple[httpx.AsyncClient, AsyncEngine], tmp_path: Path
) -> None:
    http, engine = documents_api
    store = FilesystemDocumentStore(tmp_path / "documents")
    theirs, other, replaced = [await create_case(engine) for _ in range(3)]
    await appoint(engine, theirs, LEAD_REVIEWER)
    await appoint(engine, other, "someone-else")
    await appoint(engine, replaced, LEAD_REVIEWER)
    await appoint(engine, replaced, "the-new-reviewer")  # naming reviewers again replaces the old ones
    for reference in (theirs, other, replaced):
        await add_document(engine, store, reference, "imr", b"An agency's review.\n", "text/plain")

    mine = await http.get(f"/api/v1/cases/{theirs}/documents", headers=auth("lead_reviewer", LEAD_REVIEWER))
    assert mine.status_code == 200
    assert [d["kind"] for d in mine.json()] == ["imr"]
    before = await refusals(engine)
    for reference in (other, replaced):
        refused = await http.get(f"/api/v1/cases/{reference}/documents", headers=auth("lead_reviewer", LEAD_REVIEWER))
        assert refused.status_code == 403
        assert f"case {reference} does not" in refused.json()["detail"]
    assert await refusals(engine) == before + 2


# -- on the real stack: appointed through the API --------------------------------------------------------------


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, database_url, mail.port) as running:
        yield running


async def test_a_lead_reviewer_sees_and_acts_on_only_the_cases_that_name_them(stack: Stack) -> None:
    today = london_date(datetime.now(UTC))
    body = {
        "board": stack.board,
        "aware_on": (today - timedelta(days=2)).isoformat(),
        "notified_on": today.isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    appointed, not_appointed = [(await stack.open_case(body)).json()["reference"] for _ in range(2)]
    for reference in (appointed, not_appointed):
        assert (await stack.screen(reference)).status_code == 200
        assert (await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Reg. 5"})).status_code == 200
    reviewer = {"name": "R. Reviewer", "organisation": "Ind.", "independence_statement": "None"}
    named = await stack.decide(
        appointed, {"reviewers": [{**reviewer, "account": LEAD_REVIEWER}]}, role="business_manager", kind="reviewers"
    )
    assert named.status_code == 200, named.text
    assert named.json()["stage"] == "reviewer_appointment"
    other = await stack.decide(not_appointed, {"reviewers": [reviewer]}, role="business_manager", kind="reviewers")
    assert other.status_code == 200, other.text
    rita = {"Authorization": f"Bearer dev:lead_reviewer:{LEAD_REVIEWER}"}
    stranger = {"Authorization": "Bearer dev:lead_reviewer:victor"}

    assert (await stack.http.get(f"/api/v1/cases/{appointed}", headers=rita)).status_code == 200
    assert (await stack.http.get(f"/api/v1/cases/{appointed}/timeline", headers=rita)).status_code == 200
    listed = (await stack.http.get("/api/v1/cases", headers=rita)).json()
    assert [c["reference"] for c in listed["items"]] == [appointed]
    assert listed["total"] == 1
    calendar = await stack.http.get("/api/v1/calendar.ics", headers=rita)
    assert appointed in calendar.text
    assert not_appointed not in calendar.text

    for headers, reference in ((rita, not_appointed), (stranger, appointed)):
        for path in ("", "/timeline", "/documents"):
            refused = await stack.http.get(f"/api/v1/cases/{reference}{path}", headers=headers)
            assert refused.status_code == 403, (path, refused.text)
            assert "name your account as their lead reviewer" in refused.json()["detail"]
        decision = await stack.http.post(
            f"/api/v1/cases/{reference}/decisions/review_delay",
            json={"reason": "r", "interim_learning": "l", "corrective_actions": "c"},
            headers=headers,
        )
        assert decision.status_code == 403
    assert (await stack.http.get("/api/v1/cases", headers=stranger)).json()["total"] == 0
    assert (await stack.http.get("/api/v1/tasks", headers=stranger)).json()["total"] == 0

    async with session_factory(stack.engine)() as session:
        rows = list(await session.scalars(select(AuditEvent).where(AuditEvent.kind == "access_refused")))
    assert sorted((row.actor, row.case_reference) for row in rows) == sorted(
        [(LEAD_REVIEWER, not_appointed)] * 4 + [("victor", appointed)] * 4
    )


def test_the_readme_document_table_is_the_enforced_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \| ([a-z_, ]+) \|$", readme, flags=re.MULTILINE)
    documented = {kind.strip("`"): roles for kinds, roles in rows for kind in kinds.split(", ")}
    assert set(documented) == {kind.value for kind in DocumentKind}
    for kind, readers in DOCUMENT_READERS.items():
        assert documented[kind.value] == ", ".join(role.value for role in readers), kind
    assert {k: set(v) for k, v in DOCUMENT_READERS.items()} == EXPECTED_READERS


async def test_an_agencys_account_on_the_timeline_is_read_as_its_documents_are(stack: Stack) -> None:
    today = london_date(datetime.now(UTC))
    body = {
        "board": stack.board,
        "aware_on": (today - timedelta(days=2)).isoformat(),
        "notified_on": today.isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    reference = (await stack.open_case(body)).json()["reference"]
    reviewer = {"name": "R", "organisation": "O", "independence_statement": "I", "account": LEAD_REVIEWER}
    steps: list[tuple[str, str, dict[str, object]]] = [
        ("screening", "sub_group", {"recommendation": "initiate_scr", "rationale": "Died"}),
        ("chair", "independent_chair", {"decision": "initiate_scr", "rationale": "Reg. 5"}),
        ("reviewers", "business_manager", {"reviewers": [reviewer]}),
        ("panel_advice", "business_manager", {"outcome": "agrees", "advice": "Content"}),
        ("start_review", "independent_chair", {"rationale": "Panel content"}),
        ("agency_account", "agency_contact", {"agency": "Health", "summary": "Health visitors saw the family weekly"}),
    ]
    for kind, role, decision in steps:
        response = await stack.decide(reference, decision, role=role, kind=kind)
        assert response.status_code == 200, f"{kind}: {response.text}"

    async def account_event(role: str, user: str = "someone") -> dict[str, object]:
        timeline = await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth(role, user))
        assert timeline.status_code == 200, (role, timeline.text)
        (event,) = [e for e in timeline.json() if e["summary"] == "Written account received from Health"]
        return dict(event)

    for role, user in (("sub_group", "sam"), ("independent_chair", "alice"), ("lead_reviewer", LEAD_REVIEWER)):
        assert (await account_event(role, user))["rationale"] == "Health visitors saw the family weekly"
    for role in ("agency_contact", "publisher", "auditor", "national_panel", "local_authority"):
        event = await account_event(role)
        assert event["rationale"] is not None
        assert str(event["rationale"]).startswith("Withheld"), role
        assert event["details"] == {}


async def test_without_an_account_the_reviewer_is_matched_by_a_name_that_is_their_user_id(
    documents_api: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    http, engine = documents_api
    by_name, other_name = await create_case(engine), await create_case(engine)
    for reference, name in ((by_name, LEAD_REVIEWER), (other_name, "Rita Reviewer")):
        await appoint(engine, reference, None, name=name, organisation="O")
    headers = auth("lead_reviewer", LEAD_REVIEWER)
    assert (await http.get(f"/api/v1/cases/{by_name}/documents", headers=headers)).status_code == 200
    assert (await http.get(f"/api/v1/cases/{other_name}/documents", headers=headers)).status_code == 403
