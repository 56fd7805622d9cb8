"""Saved histories of released workflow code must replay on the current code (determinism guard)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from domain.decision_inputs import DecideChairInput
from domain.uk_time import london_date
from store.database import create_engine
from tests.support.case_harness import ALICE, SERIOUS_HARM, decide, open_case, running_worker, screen, settings_for
from tests.support.payload_keys import encrypting_codec, encrypting_converter, payloads_in
from tests.support.services import MailBox
from workflows.case_workflow import ScrCaseWorkflow
from workflows.learning_summary_workflow import LearningSummaryWorkflow

HISTORIES = Path(__file__).parent.parent / "histories"


def _replayer() -> Replayer:
    # The production converter with the tests' key: encrypted histories decrypt, and plaintext payloads
    # (recorded before encryption was turned on) pass through the codec unchanged. Inside the SDK's sandbox, which
    # production workers leave off by default (SCR_WORKER_WORKFLOW_SANDBOX): a clock, network or database read in
    # workflow code fails here.
    return Replayer(
        workflows=[ScrCaseWorkflow, LearningSummaryWorkflow],
        data_converter=encrypting_converter(),
        workflow_runner=SandboxedWorkflowRunner(),
    )


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
async def test_saved_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    await _replayer().replay_workflow(history)


def _with_plaintext_payloads(history: WorkflowHistory, events: slice) -> WorkflowHistory:
    """The history as it would be had those events been recorded before payload encryption was turned on."""
    codec = encrypting_codec()
    copies = []
    for index, event in enumerate(history.events):
        copy = HistoryEvent()
        copy.CopyFrom(event)
        if index in range(len(history.events))[events]:
            for payload in list(payloads_in(copy)):
                payload.CopyFrom(codec.decrypt(payload))
        copies.append(copy)
    return WorkflowHistory(history.workflow_id, copies)


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
@pytest.mark.parametrize("events", [slice(None), slice(None, 12)], ids=["all-plaintext", "plaintext-then-encrypted"])
async def test_histories_from_before_encryption_still_replay(path: Path, events: slice) -> None:
    saved = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
    history = _with_plaintext_payloads(saved, events)
    before = {p.metadata.get("encoding") for e in history.events[events] for p in payloads_in(e)}
    assert before
    assert b"binary/encrypted" not in before
    if events.stop is not None:  # the rest stays encrypted: a case that lived through the switch
        after = {p.metadata.get("encoding") for e in history.events[events.stop :] for p in payloads_in(e)}
        assert after == {b"binary/encrypted"}
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
