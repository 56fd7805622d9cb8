"""Helpers to open a case the way the API does (register row, then workflow) and run a real worker."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.worker import Worker

from domain.case_messages import Actor, OpenCaseInput
from domain.criteria import IncidentFacts
from domain.roles import Role
from domain.rule_pack import SCR_2015
from store import register
from store.database import session_factory
from store.settings import Settings
from workers.case_worker import build_worker
from workflows.case_workflow import ScrCaseWorkflow
from workflows.temporal_client import case_workflow_id

BOB = Actor(user="bob", role=Role.BUSINESS_MANAGER)
ALICE = Actor(user="alice", role=Role.INDEPENDENT_CHAIR)

SERIOUS_HARM = {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "unknown"}
DEATH = {"outcome": "died", "abuse_or_neglect": "known"}
NOT_NOTIFIABLE = {"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"}


def settings_for(*, database_url: str, smtp_port: int) -> Settings:
    return Settings(database_url=database_url, smtp_port=smtp_port, task_queue=f"scr-test-{uuid.uuid4().hex[:8]}")


# Workflow ids started per task queue (the Java test server cannot list workflows).
_STARTED: dict[str, list[str]] = {}


@asynccontextmanager
async def running_worker(client: Client, engine: AsyncEngine, settings: Settings) -> AsyncIterator[Worker]:
    """A real worker; on exit, the cases it ran are terminated, because a case left waiting on the
    time-skipping server with no worker would stop time skipping for every later test."""
    worker = build_worker(client, engine, settings)
    async with worker:
        try:
            yield worker
        finally:
            for workflow_id in _STARTED.pop(settings.task_queue, []):
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
    async with session_factory(engine).begin() as session:
        case = await register.create_case(
            session,
            board="NEL",
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
        OpenCaseInput(
            reference=case.reference,
            board="NEL",
            aware_on=aware_on,
            notified_on=notified_on,
            incident=facts,
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            opened_by=BOB,
        ),
        id=case.workflow_id,
        task_queue=settings.task_queue,
    )
