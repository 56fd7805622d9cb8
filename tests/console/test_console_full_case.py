"""One full case through the staff console alone, as the README's reader would take it: from the incident to
publication, removal and closure, every step a console page (opening the case, each decision from the link on
the case page through its form and "Check your answers", the identifying details, the uploads), the dev
server's clock fast-forwarded by Temporal's per-workflow time skipping as in tests/integration/
test_full_case_api.py. Nothing here calls the staff API to change the case; it reads the API only to wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.console import forms
from api.console.decisions import DICT_KEYS
from domain.case_contract import case_workflow_id
from domain.lifecycle import BY_KIND
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date
from tests.console.pages import csrf_token, one_h1, sign_in
from tests.console.test_console_pages import browser
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox


@pytest.fixture
async def stack(skipping_dev_server: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(skipping_dev_server.client, sqlite_url, mail.port) as running:
        yield running


def typed(kind: str, answers: dict[str, Any]) -> dict[str, str]:
    """What a person types into the decision's form for these answers: each question the console asks, filled
    as its widget takes it (a date in three boxes, yes or no, one line each)."""
    model = BY_KIND[kind].input_type
    rows = {name: len(answers.get(name) or []) for name in forms.lists_of(model)}
    sent: dict[str, str] = {}
    for q in forms.questions(model, rows=rows, keys=DICT_KEYS.get(kind)) or []:
        value: Any = answers
        for part in q.where:
            value = value[part] if isinstance(part, int) else value.get(part)
            if value is None:
                break
        if value is None:
            continue
        if q.widget == "date":
            day = date.fromisoformat(value)
            sent |= {f"{q.name}-day": str(day.day), f"{q.name}-month": str(day.month), f"{q.name}-year": str(day.year)}
        elif q.widget == "yes_no":
            sent[q.name] = "yes" if value else "no"
        elif q.widget == "lines":
            sent[q.name] = "\n".join(value)
        else:
            sent[q.name] = str(value)
    return sent


class Console:
    """Someone at the console: signs in as a role, follows the case page's link to a decision, fills its form,
    checks the answers and records it."""

    def __init__(self, http: httpx.AsyncClient, board: str, reference: str = "") -> None:
        self.http, self.board, self.reference = http, board, reference

    async def as_(self, role: str, user: str = "sam") -> None:
        signed = await sign_in(self.http, role, user, board=self.board)
        assert signed.status_code == 303, signed.text

    async def token(self, path: str) -> str:
        page = await self.http.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code}"
        return csrf_token(page.text)

    async def decide(self, kind: str, role: str, answers: dict[str, Any], user: str = "sam") -> None:
        await self.as_(role, user)
        case_path = f"/console/cases/{self.reference}"
        form_path = f"{case_path}/decisions/{kind}"
        case = await self.http.get(case_path)
        assert f'href="{form_path}"' in case.text, f"the case page offers {role} no link to {kind}"
        form = await self.http.get(form_path)
        assert "cannot be recorded in the console" not in form.text, kind
        sent = typed(kind, answers) | {"csrf_token": csrf_token(form.text)}
        check = await self.http.post(form_path, data=sent)
        assert one_h1(check.text) == "Check your answers", f"{kind}: {check.text[:3000]}"
        done = await self.http.post(form_path, data=sent | {"step": "confirm"})
        assert done.status_code == 303, f"{kind}: {done.status_code} {done.text[:3000]}"
        assert done.headers["location"] == f"{case_path}?recorded={kind}"


async def test_a_full_case_through_the_console(skipping_dev_server: WorkflowEnvironment, stack: Stack) -> None:
    env = skipping_dev_server
    today = london_date(datetime.now(UTC))  # each workflow's virtual clock starts at the real time
    async with browser(stack) as http:
        console = Console(http, stack.board)
        await console.as_("business_manager", "bob")
        facts = {"incident__outcome": "died", "incident__abuse_or_neglect": "suspected", "board": stack.board}
        for field in ("aware_on", "notified_on"):
            facts |= {
                f"{field}-day": str(today.day),
                f"{field}-month": str(today.month),
                f"{field}-year": str(today.year),
            }
        opening = facts | {"csrf_token": await console.token("/console/cases/new"), "step": "confirm"}
        opened = await http.post("/console/cases/new", data=opening)
        assert opened.status_code == 303, opened.text
        console.reference = reference = opened.headers["location"].removeprefix("/console/cases/").split("?")[0]
        handle = env.client.get_workflow_handle(case_workflow_id(reference))

        await console.decide("screening", "sub_group", {"recommendation": "initiate_scr", "rationale": "Died"})
        await console.decide("chair", "independent_chair", {"decision": "initiate_scr", "rationale": "Reg 5"})
        reviewer = {"name": "R. Reviewer", "organisation": "Independent", "independence_statement": "No prior role"}
        await console.decide("reviewers", "business_manager", {"reviewers": [reviewer | {"account": "rita"}]})
        await console.decide("panel_advice", "business_manager", {"outcome": "agrees", "advice": "Content"})
        await console.decide("start_review", "independent_chair", {"rationale": "Panel content"})
        organisations = [
            {"name": "Police", "representation": "panel member"},
            {"name": "NHS Trust", "representation": "IMR author"},
        ]
        await console.decide("organisations", "business_manager", {"organisations": organisations})
        engagement = {"engaged_on": today.isoformat(), "participation": "met_reviewer", "summary": "Mother met"}
        await console.decide("family_engagement", "lead_reviewer", engagement, user="rita")
        await console.decide("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"}, "rita")
        checks = {rule: {"passed": True, "comment": "Meets the standard"} for rule in QUALITY_RULES}
        await console.decide("quality_assurance", "sub_group", {"checks": checks})
        action = {
            "action_id": "A1",
            "description": "Training",
            "owner_agency": "Police",
            "due_on": (today + timedelta(days=60)).isoformat(),
            "success_criteria": "Staff trained",
        }
        await console.decide("action_plan", "sub_group", {"actions": [action]})

        # The identifying details and the documents to publish, on their console pages.
        await console.as_("business_manager", "bob")
        identifiers_path = f"/console/cases/{reference}/identifiers"
        identifiers = {"names": "Jayden Smith", "postcodes": "DN31 1HU", "schools": "Oakfield Primary"}
        saved = await http.post(
            identifiers_path, data=identifiers | {"csrf_token": await console.token(identifiers_path)}
        )
        assert saved.status_code == 303, saved.text
        upload_path = f"/console/cases/{reference}/documents"
        for kind in ("overview_report", "executive_summary", "board_response"):
            text = f"# {kind}\n\nChild J, aged 4. Agencies did not share information.\n".encode()
            uploaded = await http.post(
                upload_path,
                data={"kind": kind, "csrf_token": await console.token(upload_path)},
                files={"file": (f"{kind}.md", text, "text/markdown")},
            )
            assert uploaded.status_code == 303, uploaded.text
        await console.as_("independent_chair", "alice")
        check = await http.get(f"/console/cases/{reference}/anonymisation")
        assert "Clear" in check.text
        assert "Not clear" not in check.text

        publication_on = today + timedelta(days=30)
        publish = {"decision": "publish", "publication_on": publication_on.isoformat(), "reasons": "Ready"}
        await console.decide("publication", "independent_chair", publish)
        for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
            await console.decide("prepublication", "business_manager", {"item": item, "note": "Done"})

        async def case() -> dict[str, Any]:
            read = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))
            return dict(read.json())

        for _ in range(300):  # met when the copies have reached Ofsted, DfE and the Panel, just after the decision
            if {d["key"]: d["status"] for d in (await case())["deadlines"]}["prepublication_notice"] == "met":
                break
            await asyncio.sleep(0.1)
        assert await env.fast_forward(handle, timedelta(days=31))
        await console.decide("published", "publisher", {})
        assert (await case())["stage"] == "published"
        public = await http.get(f"/public/reviews/{reference}/")
        assert public.status_code == 200
        assert "Jayden" not in public.text

        await console.decide("action_progress", "sub_group", {"action_id": "A1", "progress": "Done", "complete": True})
        anniversary = date.fromisoformat({d["key"]: d["due"] for d in (await case())["deadlines"]}["website_minimum"])
        assert await env.fast_forward(handle, timedelta(days=(anniversary - today).days + 31))
        for _ in range(300):
            if (await case())["stage"] == "retained":
                break
            await asyncio.sleep(0.1)
        await console.decide("removal", "publisher", {"reason": "12 months and all actions complete"})
        assert (await http.get(f"/public/reviews/{reference}/")).status_code == 404
        await console.decide("close", "independent_chair", {"learning_summary": "Information sharing"})
        closed = await case()
        assert closed["stage"] == "closed"
        assert closed["breaches"] == []
