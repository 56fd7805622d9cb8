"""The pre-publication copies through the staff API on the real stack (Temporal dev server with per-workflow time
skipping, a real worker, SQLite, an aiosmtpd server that can refuse recipients): Ofsted, DfE and the National Panel
receive the documents as attachments, the statutory notice is met on delivery, a refused copy blocks publishing,
the site publishes exactly the delivered versions, a document changed afterwards needs new copies and a date at
least 7 working days after them, and a hold is told to everyone who holds the date."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import case_workflow_id
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date
from store.database import session_factory
from store.models import Publication
from store.publishable_copy import sanitise
from tests.support.case_harness import Stack, api_stack
from tests.support.document_files import make_pdf
from tests.support.services import RecordingHandler, plain_text, recording_server

OFSTED, DFE, PANEL = "enquiries@ofsted.example", "scr-notifications@dfe.example", "national-panel@dfe.example"
REPORT = make_pdf([["Overview report", "Child J, aged 4. Agencies did not share information."]])
SUMMARY = b"# Executive summary\n\nChild J, aged 4. Agencies did not share information.\n"
RESPONSE = b"The board's response\n\nActions taken: training for 300 staff.\n"
IDENTIFIERS = {"names": ["Jayden Smith"], "postcodes": ["DN31 1HU"], "schools": ["Oakfield Primary"]}


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, seconds: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while not (found := await probe()):
        assert asyncio.get_running_loop().time() < deadline, f"not within {seconds:.0f} s: {what}"
        await asyncio.sleep(0.1)
    return found


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Copies:
    """One case through the API, and the mail the recording server received."""

    def __init__(self, env: WorkflowEnvironment, stack: Stack, handler: RecordingHandler) -> None:
        self.env = env
        self.stack = stack
        self.handler = handler
        self.reference = ""
        self.skipped_days = 0  # how far the case's clock has been fast-forwarded

    async def decide(self, kind: str, role: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = await self.stack.decide(self.reference, body, role=role, kind=kind)
        assert response.status_code == status, f"{kind}: {response.status_code} {response.text}"
        return dict(response.json())

    async def upload(self, kind: str, data: bytes, filename: str, content_type: str) -> None:
        uploaded = await self.stack.http.post(
            f"/api/v1/cases/{self.reference}/documents",
            data={"kind": kind},
            files={"file": (filename, data, content_type)},
            headers=self.stack.auth("business_manager"),
        )
        assert uploaded.status_code == 201, uploaded.text

    async def case(self) -> dict[str, Any]:
        response = await self.stack.http.get(f"/api/v1/cases/{self.reference}", headers=self.stack.auth("auditor"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def notice_status(self) -> str:
        return str({d["key"]: d["status"] for d in (await self.case())["deadlines"]}["prepublication_notice"])

    def mails(self, subject: str) -> list[tuple[list[str], EmailMessage]]:
        return [(to, m) for to, m in self.handler.delivered if subject in str(m["Subject"])]

    async def wait_for(self, subject: str, to: set[str]) -> dict[str, EmailMessage]:
        async def probe() -> dict[str, EmailMessage] | None:
            found = {address: m for addresses, m in self.mails(subject) for address in addresses}
            return found if to <= set(found) else None

        found: dict[str, EmailMessage] = await eventually(probe, f"'{subject}' to {sorted(to)}")
        return found

    async def fast_forward(self, until: date) -> None:
        days = (until - london_date(datetime.now(UTC))).days + 1 - self.skipped_days
        self.skipped_days += days
        handle = self.env.client.get_workflow_handle(case_workflow_id(self.reference))
        assert await self.env.fast_forward(handle, timedelta(days=days))

    async def to_publication_decision(self) -> date:
        today = london_date(datetime.now(UTC))  # each workflow's virtual clock starts at the real time
        opened = await self.stack.open_case(
            {
                "board": self.stack.board,
                "aware_on": today.isoformat(),
                "notified_on": today.isoformat(),
                "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
            }
        )
        assert opened.status_code == 201, opened.text
        self.reference = opened.json()["reference"]
        reviewer = {
            "name": "R. Reviewer",
            "organisation": "Independent",
            "independence_statement": "No prior role",
            "account": "alice",  # stack.decide signs in as alice
        }
        action = {
            "action_id": "A1",
            "description": "Training",
            "owner_agency": "Police",
            "due_on": (today + timedelta(days=90)).isoformat(),
            "success_criteria": "Staff trained",
        }
        checks = {rule: {"passed": True, "comment": "Meets the standard"} for rule in QUALITY_RULES}
        for kind, role, body in (
            ("screening", "sub_group", {"recommendation": "initiate_scr", "rationale": "Died; abuse suspected"}),
            ("chair", "independent_chair", {"decision": "initiate_scr", "rationale": "Regulation 5(2)(b)(i)"}),
            ("reviewers", "business_manager", {"reviewers": [reviewer]}),
            ("panel_advice", "business_manager", {"outcome": "agrees", "advice": "Content"}),
            ("start_review", "independent_chair", {"rationale": "Panel content"}),
            ("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"}),
            ("quality_assurance", "sub_group", {"checks": checks}),
            ("action_plan", "sub_group", {"actions": [action]}),
        ):
            await self.decide(kind, role, body)
        put = await self.stack.http.put(
            f"/api/v1/cases/{self.reference}/identifiers", json=IDENTIFIERS, headers=self.stack.auth("business_manager")
        )
        assert put.status_code in (200, 204), put.text
        await self.upload("overview_report", REPORT, "Jayden Smith report.pdf", "application/pdf")
        await self.upload("executive_summary", SUMMARY, "summary.md", "text/markdown")
        await self.upload("board_response", RESPONSE, "response.txt", "text/plain")
        return today

    async def plan(self, on: date) -> None:
        body = {"decision": "publish", "publication_on": on.isoformat(), "reasons": "Ready"}
        case = await self.decide("publication", "independent_chair", body)
        assert case["stage"] == "pre_publication"

    async def record_steps(
        self, items: tuple[str, ...] = ("professionals_informed", "family_supported", "media_strategy_ready")
    ) -> None:
        for item in items:
            await self.decide("prepublication", "business_manager", {"item": item, "note": "Done"})

    async def published_documents(self) -> list[dict[str, Any]]:
        async with session_factory(self.stack.engine)() as session:
            publication = await session.scalar(select(Publication).where(Publication.case_reference == self.reference))
        assert publication is not None
        return list(publication.documents)


@pytest.fixture
async def refusing() -> set[str]:
    return set()


@pytest.fixture
async def copies(
    skipping_dev_server: WorkflowEnvironment, sqlite_url: str, refusing: set[str]
) -> AsyncIterator[Copies]:
    handler = RecordingHandler(refuse=frozenset(refusing))
    with recording_server(handler) as port:
        async with api_stack(skipping_dev_server.client, sqlite_url, port) as stack:
            yield Copies(skipping_dev_server, stack, handler)


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_filename())] = payload
    return found


async def test_the_copies_arrive_with_the_documents_and_exactly_those_are_published(copies: Copies) -> None:
    today = await copies.to_publication_decision()
    publication_on = today + timedelta(days=30)
    await copies.plan(publication_on)

    received = await copies.wait_for("Pre-publication copy", {OFSTED, DFE, PANEL})
    for message in received.values():
        attached = attachments(message)
        # The sanitised copies the gate read (store/publishable_copy.py): what will be published, never the upload.
        assert attached == {
            "overview_report.pdf": sanitise("application/pdf", REPORT)[1],
            "executive_summary.txt": sanitise("text/markdown", SUMMARY)[1],
            "board_response.txt": sanitise("text/plain", RESPONSE)[1],
        }
        body = plain_text(message)
        assert copies.reference in body
        assert "Jayden" not in message.as_string().split("Content-Disposition")[0]  # never in headers or body
        assert "attached" in body
    await eventually(lambda: _is(copies.notice_status(), "met"), "prepublication_notice met on delivery")

    await copies.record_steps()
    await copies.fast_forward(publication_on)
    case = await copies.decide("published", "publisher", {})
    assert case["stage"] == "published"

    sent = {name.split(".")[0]: sha(data) for name, data in attachments(received[OFSTED]).items()}
    assert {d["kind"]: d["sha256"] for d in await copies.published_documents()} == sent
    pdf = await copies.stack.http.get(f"/public/reviews/{copies.reference}/overview_report.pdf")
    assert pdf.status_code == 200
    assert sha(pdf.content) == sent["overview_report"]


@pytest.mark.parametrize("refusing", [{DFE}])
async def test_a_refused_copy_keeps_the_notice_open_and_publishing_is_refused(copies: Copies) -> None:
    today = await copies.to_publication_decision()
    publication_on = today + timedelta(days=30)
    await copies.plan(publication_on)
    await copies.wait_for("Pre-publication copy", {OFSTED, PANEL})
    await copies.wait_for("Notice not delivered", {"business-manager@lscb.example"})  # escalated

    timeline = await copies.stack.http.get(
        f"/api/v1/cases/{copies.reference}/timeline", headers=copies.stack.auth("auditor")
    )
    assert "copies_refused" in [e["kind"] for e in timeline.json()]
    assert await copies.notice_status() == "pending"
    assert all(DFE not in to for to, _ in copies.mails("Pre-publication copy"))

    await copies.record_steps()
    await copies.fast_forward(publication_on)
    refused = await copies.decide("published", "publisher", {}, status=409)
    assert "not been delivered to DfE (refused by the mail server" in str(refused)
    assert (await copies.case())["stage"] == "pre_publication"
    assert (await copies.stack.http.get(f"/public/reviews/{copies.reference}/")).status_code == 404


async def test_a_document_changed_after_the_copies_blocks_publishing_until_sent_again_seven_days_ahead(
    copies: Copies,
) -> None:
    today = await copies.to_publication_decision()
    publication_on = today + timedelta(days=30)
    await copies.plan(publication_on)
    await copies.wait_for("Pre-publication copy", {OFSTED, DFE, PANEL})
    await eventually(lambda: _is(copies.notice_status(), "met"), "copies delivered")
    corrected = b"# Executive summary\n\nChild J, aged 4. Agencies did not share information in time.\n"
    await copies.upload("executive_summary", corrected, "summary-v2.md", "text/markdown")
    await copies.record_steps()

    await copies.fast_forward(publication_on)
    changed = await copies.decide("published", "publisher", {}, status=409)
    assert "executive summary changed after the pre-publication copies" in str(changed)
    too_late = await copies.decide("prepublication_copies", "business_manager", {}, status=409)
    assert "move the publication date instead" in str(too_late)

    later = publication_on + timedelta(days=14)
    await copies.decide("publication_date", "independent_chair", {"publication_on": later.isoformat(), "reason": "New"})
    await eventually(lambda: _count(copies, "publication planned for " + later.isoformat(), 3), "new copies")
    await eventually(lambda: _is(copies.notice_status(), "met"), "new copies delivered")
    await copies.record_steps()  # the steps are recorded again for the new date
    await copies.fast_forward(later)
    assert (await copies.decide("published", "publisher", {}))["stage"] == "published"
    published = {d["kind"]: d["sha256"] for d in await copies.published_documents()}
    assert published["executive_summary"] == sha(corrected)


async def test_a_hold_tells_ofsted_dfe_and_the_panel(copies: Copies) -> None:
    today = await copies.to_publication_decision()
    await copies.plan(today + timedelta(days=30))
    await copies.wait_for("Pre-publication copy", {OFSTED, DFE, PANEL})
    body = {"proceeding_id": "T1", "proceeding": "criminal_trial", "status": "started"}
    case = await copies.decide("proceedings", "business_manager", body)
    assert case["stage"] == "publication_on_hold"
    held = await copies.wait_for("Publication on hold", {OFSTED, DFE, PANEL})
    assert all("criminal trial" in plain_text(m) for m in held.values())


async def _is(value: Awaitable[str], expected: str) -> bool:
    return await value == expected


async def _count(copies: Copies, subject: str, count: int) -> bool:
    return len(copies.mails(subject)) >= count


async def test_a_case_waiting_for_its_publication_decision_is_reminded_then_escalated(copies: Copies) -> None:
    await copies.to_publication_decision()
    asap = {d["key"]: d for d in (await copies.case())["deadlines"]}["publication_decision"]
    assert asap["status"] == "pending"
    assert asap["rule"].startswith("local practice: a reminder every 10 working days")
    assert "003" in asap["source"]
    assert "SCR_PUBLICATION_DECISION_INTERVAL_DAYS" in asap["source"]

    await copies.fast_forward(date.fromisoformat(asap["due"]))
    await copies.wait_for("Reminder: Publication decision", {"independent-chair@lscb.example"})
    await copies.wait_for(
        "Deadline missed: Publication decision", {"business-manager@lscb.example", "scr-sub-group@lscb.example"}
    )
    await copies.plan(london_date(datetime.now(UTC)) + timedelta(days=30 + copies.skipped_days))
    met = {d["key"]: d["status"] for d in (await copies.case())["deadlines"]}["publication_decision"]
    assert met == "met_late"


async def test_a_new_date_tells_everyone_who_holds_it_and_the_steps_are_recorded_again(copies: Copies) -> None:
    today = await copies.to_publication_decision()
    first = today + timedelta(days=30)
    await copies.plan(first)
    await copies.wait_for("Pre-publication copy", {OFSTED, DFE, PANEL})
    await copies.record_steps()
    later = first + timedelta(days=14)
    body = {"publication_on": later.isoformat(), "reason": "The family asked for more time"}
    case = await copies.decide("publication_date", "independent_chair", body)
    awaited = [a["description"] for a in case["awaiting"] if a["kind"] == "prepublication"]
    assert "Record: professionals informed" in awaited
    assert "Record: family supported" in awaited
    again = await copies.wait_for(f"publication planned for {later.isoformat()}", {OFSTED, DFE, PANEL})
    for message in again.values():
        assert f"replaces the date given before ({first.isoformat()})" in plain_text(message)
        assert len(attachments(message)) == 3
        assert "family asked" not in message.as_string()
