"""Helpers to open a case the way the API does (register row, then workflow) and run a real worker."""

from __future__ import annotations

import contextlib
import random
import string
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.worker import Worker

from api.app import create_app
from api.context import AppContext
from domain.case_contract import case_workflow_id
from domain.case_file import CaseWorkflowInput
from domain.case_messages import Actor, CaseState, DecisionRequest, OpenCaseInput
from domain.criteria import IncidentFacts
from domain.decision_inputs import DecisionInput, RecordScreeningInput
from domain.roles import Role
from domain.rule_pack import SCR_2015
from store import register
from store.database import create_engine, create_reads, session_factory
from store.settings import Settings
from workers.case_worker import build_worker, deadline_calculation
from workflows.case_workflow import ScrCaseWorkflow

BOB = Actor(user="bob", role=Role.BUSINESS_MANAGER)
ALICE = Actor(user="alice", role=Role.INDEPENDENT_CHAIR)
SUB_GROUP = Actor(user="sam", role=Role.SUB_GROUP)


def actor(role: Role | str, user: str = "staff") -> Actor:
    return Actor(user=user, role=Role(role))


async def decide(handle: WorkflowHandle[ScrCaseWorkflow, None], who: Actor, decision: DecisionInput) -> CaseState:
    return await handle.execute_update(ScrCaseWorkflow.decide, DecisionRequest(actor=who, decision=decision))


async def screen(handle: WorkflowHandle[ScrCaseWorkflow, None], recommendation: str = "initiate_scr") -> CaseState:
    """The sub-group's screening, which every case needs before the chair decides."""
    return await decide(
        handle,
        SUB_GROUP,
        RecordScreeningInput(recommendation=recommendation, rationale="Screened at the sub-group"),
    )


SERIOUS_HARM = {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "unknown"}
DEATH = {"outcome": "died", "abuse_or_neglect": "known"}
NOT_NOTIFIABLE = {"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"}


def settings_for(*, database_url: str, smtp_port: int) -> Settings:
    # Tests share one Temporal server but each has a fresh register, so each gets a board code of its own:
    # references, and so workflow ids, never collide with another test's cases.
    board = "".join(random.choices(string.ascii_uppercase, k=6))
    return Settings(
        database_url=database_url,
        smtp_port=smtp_port,
        task_queue=f"scr-test-{uuid.uuid4().hex[:8]}",
        boards=board,
        var_dir=Path(tempfile.mkdtemp(prefix="scr-test-var-")),  # documents and the public site
    )


# Workflow ids started per task queue (the Java test server cannot list workflows).
_STARTED: dict[str, list[str]] = {}


@asynccontextmanager
async def running_worker(
    client: Client, engine: AsyncEngine, settings: Settings, *, terminate_cases: bool = True
) -> AsyncIterator[Worker]:
    """A real worker; on exit, the cases it ran are terminated, because a case left waiting on the
    time-skipping server with no worker would stop time skipping for every later test."""
    worker = build_worker(client, engine, settings)
    async with worker:
        try:
            yield worker
        finally:
            for workflow_id in _STARTED.pop(settings.task_queue, []) if terminate_cases else []:
                with contextlib.suppress(RPCError):  # already finished
                    await client.get_workflow_handle(workflow_id).terminate("test finished")


async def open_case(
    client: Client,
    engine: AsyncEngine,
    settings: Settings,
    *,
    incident: dict[str, Any],
    aware_on: date,
    notified_on: date | None = None,
) -> WorkflowHandle[ScrCaseWorkflow, None]:
    """Open a case the way the API does. Pass dates from the server's clock: the time-skipping server
    runs ahead of the wall clock once a test has skipped time."""
    notified_on = notified_on or aware_on
    facts = IncidentFacts.model_validate(incident)
    board = min(settings.board_codes)  # the worker's notice directory serves only these boards
    async with session_factory(engine).begin() as session:
        case = await register.create_case(
            session,
            board=board,
            year=aware_on.year,
            idempotency_key=None,
            request_fingerprint="test",
            stage="notified",
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            aware_on=aware_on,
            notified_on=notified_on,
            incident=facts.model_dump(mode="json"),
            created_by=BOB.user,
            workflow_id_for=lambda ref: f"{case_workflow_id(ref)}-{uuid.uuid4().hex[:6]}",
        )
    _STARTED.setdefault(settings.task_queue, []).append(case.workflow_id)
    return await client.start_workflow(
        ScrCaseWorkflow.run,
        CaseWorkflowInput(
            opening=OpenCaseInput(
                reference=case.reference,
                board=board,
                aware_on=aware_on,
                notified_on=notified_on,
                incident=facts,
                rule_pack=SCR_2015.name,
                rule_pack_version=SCR_2015.version,
                opened_by=BOB,
            )
        ),
        id=case.workflow_id,
        task_queue=settings.task_queue,
    )


class Stack:
    """The API in-process (over httpx) with a real worker, Temporal server, database and SMTP server."""

    def __init__(
        self, http: httpx.AsyncClient, client: Client, engine: AsyncEngine, settings: Settings, app: Any = None
    ) -> None:
        self.http = http
        self.app = app  # the ASGI app, for a test that serves it over a real socket
        self.client = client
        self.engine = engine
        self.settings = settings
        self.board = next(iter(settings.board_codes))

    @staticmethod
    def auth(role: str, user: str = "someone") -> dict[str, str]:
        return {"Authorization": f"Bearer dev:{role}:{user}"}

    async def open_case(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.http.post("/api/v1/cases", json=body, headers=self.auth("business_manager", "bob") | headers)

    async def decide(
        self, reference: str, body: dict[str, Any], role: str = "independent_chair", kind: str = "chair"
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=self.auth(role, "alice")
        )

    async def screen(self, reference: str, recommendation: str = "initiate_scr") -> httpx.Response:
        body = {"recommendation": recommendation, "rationale": "Screened at the sub-group"}
        return await self.decide(reference, body, role="sub_group", kind="screening")


@asynccontextmanager
async def api_stack(
    client: Client,
    database_url: str,
    smtp_port: int,
    *,
    notice_directory: Callable[[str], str] | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """``notice_directory``: the TOML of a notice directory for the stack's board code (else the SCR_MAIL_* ones).
    ``overrides``: settings to change from ``settings_for``'s (``boards`` may name the stack's board as ``{}``)."""
    settings = settings_for(database_url=database_url, smtp_port=smtp_port)
    if overrides:
        board = settings.boards[0]
        if isinstance(overrides.get("boards"), list):
            overrides["boards"] = [code.format(board) for code in overrides["boards"]]
        if isinstance(overrides.get("board_procedures"), dict):
            overrides["board_procedures"] = {k.format(board): v for k, v in overrides["board_procedures"].items()}
        settings = settings.model_copy(update=overrides)
    if notice_directory is not None:
        path = settings.var_dir / "notice-directory.toml"
        path.write_text(notice_directory(next(iter(settings.board_codes))), encoding="utf-8")
        settings = settings.model_copy(update={"notice_directory": path})
    engine = create_engine(database_url)
    reads = create_reads(database_url)  # as the app's lifespan makes them
    deadlines = deadline_calculation(settings).compute_case_deadlines
    context = AppContext(
        settings=settings,
        sessions=session_factory(engine),
        temporal=client,
        deadline_schedule=deadlines,
        reads=reads,
    )
    app = create_app(settings, context)
    # httpx's ASGI transport does not run the lifespan; with a context given, it would only set this.
    app.state.context = context
    try:
        async with (
            running_worker(client, engine, settings),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http,
        ):
            yield Stack(http, client, engine, settings, app)
    finally:
        await engine.dispose()
        await reads.dispose()


async def register_case(
    engine: AsyncEngine,
    *,
    board: str = "NEL",
    stage: str = "notified",
    incident: dict[str, Any] | None = None,
) -> str:
    """A case row in the register only (no workflow): what activity and API tests need to record against."""
    async with session_factory(engine).begin() as session:
        case = await register.create_case(
            session,
            board=board,
            year=2016,
            idempotency_key=None,
            request_fingerprint="test",
            stage=stage,
            rule_pack="SCR 2015",
            rule_pack_version="1",
            aware_on=date(2016, 3, 24),
            notified_on=date(2016, 3, 24),
            incident=incident or {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected"},
            created_by="bob",
            workflow_id_for=lambda reference: f"scr-case-{reference}",
        )
        return case.reference
