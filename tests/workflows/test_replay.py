"""Saved histories of released workflow code must replay on the current code (determinism guard)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.decision_inputs import DecideChairInput
from domain.uk_time import london_date
from store.database import create_engine
from tests.case_harness import ALICE, SERIOUS_HARM, decide, open_case, running_worker, screen, settings_for
from tests.payload_keys import encrypting_converter
from tests.services import MailBox
from workflows.case_workflow import ScrCaseWorkflow

HISTORIES = Path(__file__).parent.parent / "histories"


def _replayer() -> Replayer:
    # The production converter with the tests' key: encrypted histories decrypt, and the saved plaintext ones
    # (recorded before encryption) pass through the codec unchanged.
    return Replayer(workflows=[ScrCaseWorkflow], data_converter=encrypting_converter())


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_saved_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    await _replayer().replay_workflow(history)


def test_there_are_saved_histories_to_replay() -> None:
    assert list(HISTORIES.glob("*.json")), "tests/histories/ must hold at least one released case history"


async def record_case_history(env: WorkflowEnvironment, database_url: str, mail: MailBox) -> WorkflowHistory:
    """A case opened, notified and decided on the real dev server; its full history."""
    engine = create_engine(database_url)
    settings = settings_for(database_url=database_url, smtp_port=mail.port)
    try:
        async with running_worker(env.client, engine, settings):
            today = london_date(await env.get_current_time())
            handle = await open_case(env.client, engine, settings, incident=SERIOUS_HARM, aware_on=today)
            await handle.execute_update(ScrCaseWorkflow.registered)
            await mail.wait_for(2)
            await screen(handle)
            await decide(handle, ALICE, DecideChairInput(decision="initiate_scr", rationale="Concern presumed"))
            await mail.wait_for(5)
            return await handle.fetch_history()
    finally:
        await engine.dispose()


async def test_a_fresh_history_replays(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> None:
    history = await record_case_history(dev_server_env, sqlite_url, mail)
    assert any(e.HasField("workflow_execution_update_completed_event_attributes") for e in history.events)
    await _replayer().replay_workflow(history)
