"""One full case through the staff API on the real dev server, its clock fast-forwarded by Temporal's
(experimental) per-workflow time skipping: from the incident notification to closure."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.case_contract import case_workflow_id
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date
from tests.support.case_harness import api_stack
from tests.support.services import MailBox


async def test_a_full_case_through_the_api(
    skipping_dev_server: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    env = skipping_dev_server
    async with api_stack(env.client, sqlite_url, mail.port) as stack:
        today = london_date(datetime.now(UTC))  # each workflow's virtual clock starts at the real time
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

        async def step(kind: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await stack.decide(reference, body, role=role, kind=kind)
            assert response.status_code == 200, f"{kind}: {response.text}"
            return dict(response.json())

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
        # Who takes part (001 §9, §13): the organisations, the family, a parallel Domestic Homicide Review.
        organisations = [
            {"name": "Police", "representation": "panel member"},
            {"name": "NHS Trust", "representation": "IMR author"},
        ]
        await step("organisations", "business_manager", {"organisations": organisations})
        engagement = {
            "engaged_on": today.isoformat(),
            "participation": "met_reviewer",
            "summary": "Mother met the reviewer",
        }
        await step("family_engagement", "lead_reviewer", engagement)
        dhr = {
            "review_type": "domestic_homicide_review",
            "reference": "DHR-2026-03",
            "coordination": "Shared chronology",
        }
        await step("parallel_review", "sub_group", dhr)
        again = await stack.decide(reference, dhr, role="sub_group", kind="parallel_review")
        assert again.status_code == 409, again.text
        assert "DHR-2026-03 is already linked" in again.json()["detail"]
        await step("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"})
        checks = {rule: {"passed": True, "comment": "Meets the standard"} for rule in QUALITY_RULES}
        await step("quality_assurance", "sub_group", {"checks": checks})
        await step(
            "action_plan",
            "sub_group",
            {
                "actions": [
                    {
                        "action_id": "A1",
                        "description": "Training",
                        "owner_agency": "Police",
                        "due_on": (today + timedelta(days=60)).isoformat(),
                        "success_criteria": "Staff trained",
                    }
                ]
            },
        )
        # The operators' saved search "awaiting a role" (README) finds the case waiting for the chair.
        awaiting_chair = f'ScrAwaitingRoles = "independent_chair" AND WorkflowId = "{case_workflow_id(reference)}"'
        for _ in range(100):
            if [w async for w in env.client.list_workflows(awaiting_chair)]:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no case found by {awaiting_chair}")
        # What the anonymisation gate needs, and the copies to Ofsted, DfE and the Panel carry: the family's
        # details, and the documents to publish.
        identifiers = {"names": ["Jayden Smith"], "postcodes": ["DN31 1HU"], "schools": ["Oakfield Primary"]}
        put = await stack.http.put(
            f"/api/v1/cases/{reference}/identifiers", json=identifiers, headers=stack.auth("business_manager")
        )
        assert put.status_code in (200, 204), put.text
        for kind in ("overview_report", "executive_summary", "board_response"):
            text = f"# {kind}\n\nChild J, aged 4. Agencies did not share information.\n".encode()
            uploaded = await stack.http.post(
                f"/api/v1/cases/{reference}/documents",
                data={"kind": kind},
                files={"file": (f"{kind}.md", text, "text/markdown")},
                headers=stack.auth("business_manager"),
            )
            assert uploaded.status_code == 201, uploaded.text

        publication_on = today + timedelta(days=30)
        case = await step(
            "publication",
            "independent_chair",
            {"decision": "publish", "publication_on": publication_on.isoformat(), "reasons": "Ready"},
        )
        assert case["stage"] == "pre_publication"
        for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
            await step("prepublication", "business_manager", {"item": item, "note": "Done"})
        # The chair's consent is local practice, off by default: the publication decision is the consent.
        consent = await stack.http.post(
            f"/api/v1/cases/{reference}/decisions/prepublication",
            json={"item": "chair_consent", "note": "Consent"},
            headers=stack.auth("independent_chair"),
        )
        assert consent.status_code == 409, consent.text
        assert "SCR_CHAIR_CONSENT_STEP" in consent.json()["detail"]

        async def notice_met() -> bool:
            case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
            return bool({d["key"]: d["status"] for d in case["deadlines"]}["prepublication_notice"] == "met")

        for _ in range(300):  # met when the copies have reached Ofsted, DfE and the Panel, just after the decision
            if await notice_met():
                break
            await asyncio.sleep(0.1)
        assert await notice_met()
        assert await env.fast_forward(handle, timedelta(days=31))
        case = await step("published", "publisher", {})
        assert case["stage"] == "published"
        await step("action_progress", "sub_group", {"action_id": "A1", "progress": "Done", "complete": True})
        refused = await stack.decide(reference, {"reason": "Early"}, role="publisher", kind="removal")
        assert refused.status_code == 409
        anniversary = date.fromisoformat({d["key"]: d["due"] for d in case["deadlines"]}["website_minimum"])
        assert f"may come down from {anniversary.isoformat()}" in refused.json()["detail"]

        # The anniversary itself completes the 12 months (published 4 May 2016: down from 4 May 2017).
        timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
        published_at = next(e["at"] for e in timeline if e["details"].get("decision_kind") == "published")
        published_on = london_date(datetime.fromisoformat(published_at))
        assert await env.fast_forward(handle, timedelta(days=(anniversary - published_on).days))
        case = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))).json()
        assert case["stage"] == "retained"
        page = await stack.http.get(f"/public/reviews/{reference}/")
        assert page.status_code == 200
        assert reference in page.text
        assert "Jayden" not in page.text
        await step("removal", "publisher", {"reason": "12 months and all actions complete"})
        assert (await stack.http.get(f"/public/reviews/{reference}/")).status_code == 404
        case = await step("close", "independent_chair", {"learning_summary": "Information sharing"})
        assert case["stage"] == "closed"
        assert case["breaches"] == []
        timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
        kinds = [e["details"].get("decision_kind") for e in timeline if e["kind"] == "decision"]
        assert kinds[0] == "screening"
        assert kinds[-1] == "close"
        assert {"organisations", "family_engagement", "parallel_review"} <= set(kinds)
        # Operators see each decision's update named by its kind in the Web UI (issue 20).
        history = await handle.fetch_history()
        update_ids = [
            e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
            for e in history.events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert {"screening", "chair", "published", "close"} <= {u.split(":", 1)[0] for u in update_ids}
        linked = next(e for e in timeline if e["details"].get("decision_kind") == "parallel_review")
        assert linked["summary"] == "Parallel review linked: domestic homicide review DHR-2026-03"
