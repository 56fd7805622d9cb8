"""Publication through the staff API on the real stack (dev server, worker, database, SMTP): a Word report with
the child's name only in an image's alt text is not clear and is not published; a clean one is published as
the sanitised copy the gate read (no custom properties, no comments), never as the uploaded bytes."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.case_contract import case_workflow_id
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date
from tests.support.case_harness import Stack, api_stack
from tests.support.document_files import DOCX_TYPE
from tests.support.hostile_documents import docx_alt_text, docx_clean_with_extras
from tests.support.services import MailBox


async def _to_publication_decision(stack: Stack, reference: str, today: Any) -> None:
    async def step(kind: str, role: str, body: dict[str, Any]) -> None:
        response = await stack.decide(reference, body, role=role, kind=kind)
        assert response.status_code == 200, f"{kind}: {response.text}"

    await step("screening", "sub_group", {"recommendation": "initiate_scr", "rationale": "Died; abuse suspected"})
    await step("chair", "independent_chair", {"decision": "initiate_scr", "rationale": "Regulation 5(2)(b)(i)"})
    reviewer = {
        "name": "R. Reviewer",
        "organisation": "Independent",
        "independence_statement": "No prior role",
        "account": "alice",  # stack.decide signs in as alice: the lead reviewer's account
    }
    await step("reviewers", "business_manager", {"reviewers": [reviewer]})
    await step("panel_advice", "business_manager", {"outcome": "agrees", "advice": "Content"})
    await step("start_review", "independent_chair", {"rationale": "Panel content"})
    await step("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"})
    checks = {rule: {"passed": True, "comment": "Meets the standard"} for rule in QUALITY_RULES}
    await step("quality_assurance", "sub_group", {"checks": checks})
    action = {
        "action_id": "A1",
        "description": "Training",
        "owner_agency": "Police",
        "due_on": (today + timedelta(days=60)).isoformat(),
        "success_criteria": "Staff trained",
    }
    await step("action_plan", "sub_group", {"actions": [action]})


def _publish_on(today: Any) -> dict[str, Any]:
    publication_on = today + timedelta(days=30)
    return {"decision": "publish", "publication_on": publication_on.isoformat(), "reasons": "Ready"}


async def _upload(stack: Stack, reference: str, kind: str, name: str, data: bytes, content_type: str) -> int:
    uploaded = await stack.http.post(
        f"/api/v1/cases/{reference}/documents",
        data={"kind": kind},
        files={"file": (name, data, content_type)},
        headers=stack.auth("business_manager"),
    )
    assert uploaded.status_code == 201, uploaded.text
    return int(uploaded.json()["id"])


async def test_alt_text_blocks_and_a_clean_report_is_published_as_its_sanitised_copy(
    skipping_dev_server: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    env = skipping_dev_server
    async with api_stack(env.client, sqlite_url, mail.port) as stack:
        today = london_date(datetime.now(UTC))
        opened = await stack.open_case(
            {
                "board": stack.board,
                "aware_on": today.isoformat(),
                "notified_on": today.isoformat(),
                "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
            }
        )
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        handle = env.client.get_workflow_handle(case_workflow_id(reference))
        await _to_publication_decision(stack, reference, today)
        put = await stack.http.put(
            f"/api/v1/cases/{reference}/identifiers",
            json={"names": ["Jayden Smith"]},
            headers=stack.auth("business_manager"),
        )
        assert put.status_code in (200, 204), put.text
        for kind in ("executive_summary", "board_response"):
            text = f"# {kind}\n\nChild J, aged 4. Agencies did not share information.\n".encode()
            await _upload(stack, reference, kind, f"{kind}.md", text, "text/markdown")
        await _upload(stack, reference, "overview_report", "report.docx", docx_alt_text().data, DOCX_TYPE)

        # The name is only in an image's alt text: the check is not clear, and says where.
        check = await stack.http.post(
            f"/api/v1/cases/{reference}/anonymisation-check", headers=stack.auth("business_manager")
        )
        assert check.status_code == 200, check.text
        assert check.json()["clear"] is False
        places = [hit["place_text"] for hit in check.json()["hits"]]
        assert any(place.startswith("image 1 alt text") for place in places), places
        # The copies to Ofsted, DfE and the Panel carry what will be published: the gate refuses the decision.
        refused = await stack.decide(reference, _publish_on(today), role="independent_chair", kind="publication")
        assert refused.status_code == 409, refused.text
        assert "anonymisation gate" in refused.text
        assert (await stack.http.get(f"/public/reviews/{reference}/")).status_code == 404

        # A clean report (still carrying a comment and a custom property) is published as the copy.
        upload = docx_clean_with_extras()
        await _upload(stack, reference, "overview_report", "report.docx", upload, DOCX_TYPE)
        check = await stack.http.post(
            f"/api/v1/cases/{reference}/anonymisation-check", headers=stack.auth("business_manager")
        )
        assert check.json()["clear"] is True, check.text
        [checked_sha] = [d["publishable_sha256"] for d in check.json()["documents"] if d["kind"] == "overview_report"]
        decided = await stack.decide(reference, _publish_on(today), role="independent_chair", kind="publication")
        assert decided.status_code == 200, decided.text
        for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
            done = await stack.decide(
                reference, {"item": item, "note": "Done"}, role="business_manager", kind="prepublication"
            )
            assert done.status_code == 200, done.text
        for _ in range(300):  # the copies reach Ofsted, DfE and the Panel just after the decision
            case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
            if {d["key"]: d["status"] for d in case["deadlines"]}["prepublication_notice"] == "met":
                break
            await asyncio.sleep(0.1)
        assert await env.fast_forward(handle, timedelta(days=31))
        published = await stack.decide(reference, {}, role="publisher", kind="published")
        assert published.status_code == 200, published.text
        served = await stack.http.get(f"/public/reviews/{reference}/overview_report.docx")
        assert served.status_code == 200
        assert served.content != upload
        assert hashlib.sha256(served.content).hexdigest() == checked_sha  # the bytes served are the bytes read
        with zipfile.ZipFile(io.BytesIO(served.content)) as package:
            names = package.namelist()
            document_xml = package.read("word/document.xml").decode()
        assert "docProps/custom.xml" not in names
        assert not [name for name in names if "comments" in name or name.startswith("customXml/")]
        assert "Agencies did not share information." in document_xml
        assert "commentReference" not in document_xml
        with zipfile.ZipFile(io.BytesIO(upload)) as package:  # the upload did carry both
            assert {"docProps/custom.xml", "word/comments.xml"} <= set(package.namelist())
