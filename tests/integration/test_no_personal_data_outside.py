"""No personal data outside the case register and the encrypted payloads (issue 6.5): a case run through the staff API
of a real `scr api` process, with a real `scr worker` process, carries a family's name in every free-text field
(identifiers, decision rationales, a document, a refused decision, an invalid request, a public request), from
notification through publication to closure. The name and the calendar feed token then appear in none of what
operators and mail recipients see: either process's logs, the worker's Prometheus metrics, workflow ids, search
attributes, static summaries and details, current details, timer and activity summaries, and the emails sent.

(tests/integration/test_encryption.py shows that Temporal's history holds only ciphertext.)"""

from __future__ import annotations

import asyncio
import json
import random
import string
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client
from temporalio.testing import TimeSkipper, TimeSkippingConfig

from domain.case_contract import case_workflow_id
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from tests.integration.failure_harness import DevServer, WorkerProcess, eventually, service_env
from tests.support.payload_keys import TEST_PAYLOAD_KEYS
from tests.support.services import MailBox, binary, free_port, fresh_database, mailbox

SURNAME = "Quillfeather"
CHILD = f"Tobias {SURNAME}"
MOTHER = f"Marjorie {SURNAME}"
SCHOOL = "Oakhollow Primary"
FAMILY_EMAIL = "marjorie.quillfeather@family.example"
# Looked for case-insensitively, and also as JSON would escape them.
NEEDLES = [SURNAME, "Tobias", "Marjorie", "Oakhollow", FAMILY_EMAIL]


class ApiProcess(WorkerProcess):
    """`scr api` as deployed: its own process, its logs in a file."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        super().__init__("api", folder, env)
        self.port = free_port()
        self.env = env | {"SCR_API_HOST": "127.0.0.1", "SCR_API_PORT": str(self.port)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [binary("scr"), "api"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    async def ready(self, seconds: float = 60.0) -> None:
        async def healthy() -> bool:
            if not self.running():
                raise AssertionError(f"scr api exited with {self.exit_code()}:\n{self.log_tail()}")
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"{self.url}/healthz")).status_code == 200

        await eventually(healthy, seconds=seconds, what="scr api ready")


@dataclass
class Stack:
    http: httpx.AsyncClient
    skipper: TimeSkipper
    client: Client
    board: str
    task_queue: str
    api: ApiProcess
    worker: WorkerProcess
    metrics_url: str
    mail: MailBox


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    server = DevServer(tmp_path / "temporal", time_skipping=True)
    server.start()
    try:
        client = await server.ready()
        async with fresh_database("sqlite", tmp_path) as database_url, mailbox(tmp_path / "mail") as mail:
            board = "".join(random.choices(string.ascii_uppercase, k=6))
            metrics_port = free_port()
            env = service_env(
                SCR_DATABASE_URL=database_url,
                TEMPORAL_ADDRESS=server.address,
                SCR_TASK_QUEUE=f"scr-pii-{board.lower()}",
                SCR_BOARDS=board,
                SCR_PAYLOAD_KEYS=TEST_PAYLOAD_KEYS,
                SCR_SMTP_PORT=str(mail.port),
                SCR_VAR_DIR=str(tmp_path / "var"),
                # The deployed shape: one folder for documents and one for the site, shared by both processes.
                SCR_DOCUMENT_DIR=str(tmp_path / "shared" / "documents"),
                SCR_SITE_DIR=str(tmp_path / "shared" / "site"),
                SCR_METRICS_BIND=f"127.0.0.1:{metrics_port}",
            )
            worker = WorkerProcess("worker", tmp_path / "logs", env)
            api = ApiProcess(tmp_path / "logs", env)
            worker.start()
            api.start()
            try:
                await worker.ready()
                await api.ready()
                async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
                    yield Stack(
                        http=http,
                        skipper=TimeSkipper(client, config=TimeSkippingConfig(enabled=False)),
                        client=client,
                        board=board,
                        task_queue=env["SCR_TASK_QUEUE"],
                        api=api,
                        worker=worker,
                        metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
                        mail=mail,
                    )
            finally:
                api.stop(30)
                worker.stop(30)
    finally:
        server.stop()


def auth(role: str, user: str = "staff") -> dict[str, str]:
    return {"Authorization": f"Bearer dev:{role}:{user}"}


async def test_a_familys_name_reaches_no_log_metric_summary_or_email(stack: Stack) -> None:
    http = stack.http
    today = london_date(datetime.now(UTC))
    opened = await http.post(
        "/api/v1/cases",
        json={
            "board": stack.board,
            "aware_on": today.isoformat(),
            "notified_on": today.isoformat(),
            "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        },
        headers=auth("business_manager", "bob"),
    )
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    handle = stack.client.get_workflow_handle(case_workflow_id(reference))

    async def step(kind: str, role: str, body: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        response = await http.post(f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=auth(role))
        assert response.status_code == expect, f"{kind}: {response.text}"
        return dict(response.json())

    await step("screening", "sub_group", {"recommendation": "initiate_scr", "rationale": f"{CHILD} died at home"})
    # Refused with the name in the body: wrong role (403), and against the rules (409).
    await step("chair", "publisher", {"decision": "initiate_scr", "rationale": f"{MOTHER} asked"}, expect=403)
    await step("chair", "independent_chair", {"decision": "do_not_initiate", "rationale": CHILD}, expect=409)
    await step("chair", "independent_chair", {"decision": "initiate_scr", "rationale": f"{CHILD}: reg. 5(2)(b)(i)"})
    reviewer = {
        "name": "R. Reviewer",
        "organisation": "Independent",
        "independence_statement": "No prior role",
        "account": "staff",  # the lead reviewer below signs in as `staff`
    }
    await step("reviewers", "business_manager", {"reviewers": [reviewer]})
    await step("panel_advice", "business_manager", {"outcome": "agrees", "advice": f"Content ({MOTHER})"})
    await step("start_review", "independent_chair", {"rationale": f"Learning from the death of {CHILD}"})
    await step("final_report", "lead_reviewer", {"document": "overview-1", "summary": f"{CHILD} at {SCHOOL}"})
    checks = {rule: {"passed": True, "comment": f"Nothing of {SURNAME} left"} for rule in QUALITY_RULES}
    await step("quality_assurance", "sub_group", {"checks": checks})
    action = {
        "action_id": "A1",
        "description": f"Training after {CHILD}",
        "owner_agency": "Police",
        "due_on": (today + timedelta(days=60)).isoformat(),
        "success_criteria": "Staff trained",
    }
    await step("action_plan", "sub_group", {"actions": [action]})
    # The identifying details, one refused as invalid, and documents to publish: the report still names the child.
    identifiers_url = f"/api/v1/cases/{reference}/identifiers"
    invalid = await http.put(identifiers_url, json={"postcodes": [SURNAME]}, headers=auth("business_manager"))
    assert invalid.status_code == 422
    identifiers = {"names": [CHILD, MOTHER], "schools": [SCHOOL], "other": [FAMILY_EMAIL]}
    assert (await http.put(identifiers_url, json=identifiers, headers=auth("business_manager"))).status_code == 200
    for kind, text in (
        ("overview_report", f"# Overview\n\n{CHILD} attended {SCHOOL}.\n"),
        ("executive_summary", "# Summary\n\nChild T, aged 4.\n"),
        ("board_response", "# Response\n\nThe board accepts the findings.\n"),
    ):
        await _upload(http, reference, kind, text)
    check = await http.post(f"/api/v1/cases/{reference}/anonymisation-check", headers=auth("publisher"))
    assert check.status_code == 200, check.text
    assert not check.json()["clear"]

    # The pre-publication copies carry what will be published: the gate (in the worker) refuses the report that
    # names the child, then the copies take the corrected one.
    publication_on = today + timedelta(days=30)
    # Free text naming the recorded family is refused before the workflow (issue 19); board members write around it.
    decision = {"decision": "publish", "publication_on": publication_on.isoformat(), "reasons": "The family agrees"}
    await step("publication", "independent_chair", {**decision, "reasons": f"{MOTHER} agrees"}, expect=422)
    refused = await step("publication", "independent_chair", decision, expect=409)
    assert "anonymisation gate" in refused["detail"]
    await _upload(http, reference, "overview_report", "# Overview\n\nChild T attended a local school.\n")
    await step("publication", "independent_chair", decision)
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
        await step("prepublication", "business_manager", {"item": item, "note": "Told the family"})
    for _ in range(300):  # the copies reach Ofsted, DfE and the Panel just after the decision
        case = (await http.get(f"/api/v1/cases/{reference}", headers=auth("auditor"))).json()
        if {d["key"]: d["status"] for d in case["deadlines"]}["prepublication_notice"] == "met":
            break
        await asyncio.sleep(0.1)

    feed = await http.post("/api/v1/calendar/feed", headers=auth("independent_chair", "alice"))
    assert feed.status_code == 200, feed.text
    feed_token = urlsplit(feed.json()["url"]).query.removeprefix("token=")
    calendar = await http.get("/api/v1/calendar.ics", params={"token": feed_token})
    assert calendar.status_code == 200
    assert reference in calendar.text

    # Publication day: exactly what the copies carried goes up.
    assert await stack.skipper.fast_forward(handle, timedelta(days=31))
    assert (await step("published", "publisher", {}))["stage"] == "published"
    # Once the family's details are recorded, free text naming them is refused before the workflow (issue 19).
    named = {"action_id": "A1", "progress": f"Done ({SURNAME})", "complete": True}
    await step("action_progress", "sub_group", named, expect=422)
    await step("action_progress", "sub_group", {**named, "progress": "Done"})
    details_while_open = await _current_details(handle)

    # A year on: removed; a member of the family asks for it; the board answers; the case closes.
    assert await stack.skipper.fast_forward(handle, timedelta(days=370))
    await step("removal", "publisher", {"reason": f"12 months; {MOTHER} asked"}, expect=422)
    await step("removal", "publisher", {"reason": "12 months; the family asked"})
    asked = await http.post(
        "/api/v1/public/requests",
        json={"reference": reference, "email": FAMILY_EMAIL, "purpose": f"I am {MOTHER}, the mother"},
    )
    assert asked.status_code == 202, asked.text
    (request,) = (await http.get("/api/v1/requests", headers=auth("business_manager"))).json()
    answer = {"outcome": "provided", "note": f"Sent to {MOTHER}"}
    answered = await http.post(
        f"/api/v1/requests/{request['id']}/answer", json=answer, headers=auth("business_manager")
    )
    assert answered.status_code == 200, answered.text
    await step("close", "independent_chair", {"learning_summary": f"{CHILD}: share"}, expect=422)
    assert (await step("close", "independent_chair", {"learning_summary": "Share early"}))["stage"] == "closed"

    # The text went through the whole system: the register has it (the place for it).
    timeline = (await http.get(f"/api/v1/cases/{reference}/timeline", headers=auth("auditor"))).json()
    assert sum(CHILD in (event.get("rationale") or "") for event in timeline) >= 3

    # What operators see in Temporal.
    seen_in_temporal = await _what_temporal_shows(stack, details_while_open)
    assert reference in seen_in_temporal  # the workflow id: the reference, never a name
    # The worker's metrics.
    async with httpx.AsyncClient(timeout=10) as metrics_http:
        metrics = (await metrics_http.get(stack.metrics_url)).text
    assert "scr_notices_sent" in metrics
    # The emails.
    messages = stack.mail.messages()
    assert len(messages) >= 5
    emails = "\n".join(message.as_string() for message in messages)
    assert reference in emails

    # The logs, once both processes have stopped (SIGTERM: they finish their work and flush).
    stack.api.stop(30)
    stack.worker.stop(30)
    assert stack.worker.exit_code() == 0, stack.worker.log_tail()
    api_log = stack.api.log_file.read_text()
    worker_log = stack.worker.log_file.read_text()
    assert '"event": "worker stopped"' in worker_log
    assert "Finished server process" in api_log
    assert f"POST /api/v1/cases/{reference}/decisions/published HTTP/1.1" in api_log  # the access log is on
    assert "GET /api/v1/calendar.ics HTTP/1.1" in api_log
    for line in api_log.splitlines():
        assert isinstance(json.loads(line), dict), f"the API logs JSON lines: {line!r}"

    for name, text in {
        "API log": api_log,
        "worker log": worker_log,
        "worker metrics": metrics,
        "Temporal (ids, search attributes, summaries, details)": seen_in_temporal,
        "emails": emails,
    }.items():
        _assert_absent(name, text, [*NEEDLES, feed_token])


async def _upload(http: httpx.AsyncClient, reference: str, kind: str, text: str) -> None:
    uploaded = await http.post(
        f"/api/v1/cases/{reference}/documents",
        data={"kind": kind},
        files={"file": (f"{kind}.md", text.encode(), "text/markdown")},
        headers=auth("business_manager"),
    )
    assert uploaded.status_code == 201, uploaded.text


async def _current_details(handle: Any) -> str:
    metadata: WorkflowMetadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert metadata.current_details, "the case shows its current details"
    return str(metadata.current_details)


async def _what_temporal_shows(stack: Stack, details_while_open: str) -> str:
    """Every workflow of the test's task queue: ids, search attributes, static summary and details, current details,
    and the summaries of its timers and activities (decoded with the payload key, as the Web UI shows them)."""
    converter = stack.client.data_converter
    shown = [details_while_open]
    workflows = [w async for w in stack.client.list_workflows(f'TaskQueue = "{stack.task_queue}"')]
    assert workflows
    for execution in workflows:
        handle = stack.client.get_workflow_handle(execution.id, run_id=execution.run_id)
        description = await handle.describe()
        shown += [execution.id, repr(execution.typed_search_attributes)]
        shown += [str(await description.static_summary()), str(await description.static_details())]
        summaries = 0
        async for event in handle.fetch_history_events():
            if event.HasField("user_metadata") and event.user_metadata.HasField("summary"):
                [summary] = await converter.decode([event.user_metadata.summary])
                shown.append(str(summary))
                summaries += 1
        if execution.id.startswith("scr-case-"):
            assert summaries, f"{execution.id}: its timers and activities have summaries"
    return "\n".join(shown)


def _assert_absent(where: str, text: str, needles: list[str]) -> None:
    lowered = text.lower()
    for needle in needles:
        for form in {needle, json.dumps(needle)[1:-1]}:
            assert form.lower() not in lowered, f"{needle!r} appears in the {where}: {_context(text, form)}"


def _context(text: str, needle: str) -> str:
    at = text.lower().find(needle.lower())
    return text[max(0, at - 200) : at + 200]


async def test_a_database_error_does_not_repeat_the_statements_values(engine: AsyncEngine) -> None:
    """Error messages reach the logs (tracebacks of unhandled errors, failed activities): the engine keeps the
    statement's values, which may be rationales or identifiers, out of them."""
    row = {
        "business_key": "same-key",
        "case_reference": "-",
        "kind": "test",
        "actor": "bob",
        "role": "business_manager",
        "summary": f"About {CHILD}",
        "rationale": FAMILY_EMAIL,
        "details": {},
    }
    async with session_factory(engine)() as session:
        session.add(AuditEvent(at=datetime.now(UTC), **row))
        await session.flush()
        session.add(AuditEvent(at=datetime.now(UTC), **row))
        with pytest.raises(IntegrityError) as failed:
            await session.flush()
        await session.rollback()
    message = str(failed.value)
    assert "audit_events" in message  # the statement is still there for operators
    _assert_absent("database error", message, NEEDLES)
