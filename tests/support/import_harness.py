"""Importing one row straight into a case workflow, as the API does (its register row, then the workflow with
the row): for the workflow tests and the recorded replay history of an imported case."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from domain.case_contract import case_workflow_id
from domain.case_file import CaseWorkflowInput
from domain.case_messages import OpenCaseInput
from domain.imports.columns import ImportRow, parse_row
from domain.imports.messages import ImportedCase, ImportSource
from domain.rule_pack import SCR_2015
from store import register
from store.database import session_factory
from tests.support.case_harness import _STARTED, BOB
from tests.workflows.story import Story
from workflows.case_workflow import ScrCaseWorkflow

SOURCE = ImportSource(file_name="legacy.csv", sha256="a" * 64)


def PUBLISHED_A_YEAR_AGO(published: date) -> dict[str, Any]:
    """A review published on ``published``, with every earlier step dated (the report six months late)."""

    def back(days: int) -> str:
        return (published - timedelta(days=days)).isoformat()

    return {
        "stage": "published",
        "outcome": "died",
        "abuse_or_neglect": "known",
        "aware_on": back(500),
        "notified_on": back(498),
        "ofsted_notified_on": back(499),
        "screening_recommendation": "initiate_scr",
        "chair_decision": "initiate_scr",
        "chair_decision_on": back(480),
        "final_report_on": back(200),
        "publication_decision": "publish",
        "publication_decision_on": back(60),
        "copies_sent_on": back(10),
        "publication_on": back(0),
        "published_on": back(0),
    }


async def take_in(story: Story, cells: dict[str, Any]) -> None:
    """Import one row as the API does: its register row, then its workflow with the row."""
    board = min(story.settings.board_codes)
    row = parse_row(2, {"board_case_id": "LEG-1", "board": board, **cells}, await story.today())
    assert isinstance(row, ImportRow), row
    async with session_factory(story.engine).begin() as session:
        case = await register.create_case(
            session,
            board=board,
            year=row.notified_on.year,
            idempotency_key="import:LEG-1",
            request_fingerprint="test",
            stage="notified",
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            aware_on=row.aware_on,
            notified_on=row.notified_on,
            incident=row.incident.model_dump(mode="json"),
            created_by=BOB.user,
            workflow_id_for=lambda ref: f"{case_workflow_id(ref)}-{uuid.uuid4().hex[:6]}",
        )
    _STARTED.setdefault(story.settings.task_queue, []).append(case.workflow_id)
    opening = OpenCaseInput(
        reference=case.reference,
        board=board,
        aware_on=row.aware_on,
        notified_on=row.notified_on,
        incident=row.incident,
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        opened_by=BOB,
    )
    story.handle = await story.env.client.start_workflow(
        ScrCaseWorkflow.run,
        CaseWorkflowInput(opening=opening, imported=ImportedCase(row=row, source=SOURCE)),
        id=case.workflow_id,
        task_queue=story.settings.task_queue,
    )
    await story.case.execute_update(ScrCaseWorkflow.registered)
