"""The learning summary workflow end to end on the time-skipping server, with the real worker (every activity
real), a SQLite register holding a year of history, the document store and an SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.learning_summary_contract import learning_summary_workflow_id
from domain.learning_summary_messages import LearningSummaryInput, LearningSummaryResult, learning_summary_reference
from domain.uk_time import london_date
from store import learning_register
from store.database import create_engine, session_factory
from store.document_store import FilesystemDocumentStore
from store.settings import Settings
from tests.support.case_harness import running_worker, settings_for
from tests.support.learning_harness import Year, populate_year
from tests.support.publication_harness import record_identifiers
from tests.support.services import MailBox
from workflows.learning_summary_workflow import LearningSummaryWorkflow


@pytest.fixture
async def sqlite_engine(sqlite_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(sqlite_url)
    yield engine
    await engine.dispose()


async def finish(handle: WorkflowHandle[LearningSummaryWorkflow, LearningSummaryResult]) -> LearningSummaryResult:
    """The run's result; a run that does not end is terminated, so it cannot hold up later tests' time skipping."""
    try:
        return await asyncio.wait_for(handle.result(), timeout=60)
    except BaseException:
        with contextlib.suppress(RPCError):
            await handle.terminate("test failed")
        raise


async def summarise(
    env: WorkflowEnvironment, settings: Settings, data: LearningSummaryInput, workflow_id: str
) -> LearningSummaryResult:
    handle = await env.client.start_workflow(
        LearningSummaryWorkflow.run, data, id=workflow_id, task_queue=settings.task_queue
    )
    return await finish(handle)


async def test_a_years_summary_is_stored_recorded_and_sent_to_the_partners_once_per_content(
    time_skipping_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    board = next(iter(settings.board_codes))
    cases: Year = await populate_year(sqlite_engine, board=board, year=2025)
    workflow_id = learning_summary_workflow_id(board, 2025)
    request = LearningSummaryInput(board=board, year=2025)
    async with running_worker(time_skipping_env.client, sqlite_engine, settings):
        result = await summarise(time_skipping_env, settings, request, workflow_id)

        assert result.stored is not None
        assert result.partners_notified
        assert result.html_url == f"{settings.public_base_url}/api/v1/learning-summaries/{board}/2025.html"
        async with session_factory(sqlite_engine)() as session:
            row = await learning_register.find_summary(session, board=board, year=2025)
        assert row is not None
        assert (row.html_sha256, row.markdown_sha256) == (result.stored.html_sha256, result.stored.markdown_sha256)
        assert row.workflow_id == workflow_id
        store = FilesystemDocumentStore(settings.document_dir)
        html = (await store.get(row.html_sha256)).decode()
        markdown = (await store.get(row.markdown_sha256)).decode()
        assert "<h1>Annual learning summary 2025</h1>" in html
        assert markdown.startswith("# Annual learning summary 2025")
        assert cases.late in html
        assert "Jayden" not in html + markdown

        # The partners are told once, with the link and nothing about any child.
        [message] = await mail.wait_for(1)
        assert message["To"] == settings.mail.partners
        assert message["X-SCR-Reference"] == learning_summary_reference(board, 2025)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        assert result.html_url in body.get_content()

        # Run again on demand, nothing changed: the same summary, so no second email.
        again = await summarise(time_skipping_env, settings, request, workflow_id)
        assert again.stored == result.stored
        await asyncio.sleep(0.5)
        assert len(mail.messages()) == 1

        # Identifiers recorded since on the alternative review let its learning in: a new summary, a new email.
        await record_identifiers(sqlite_engine, cases.alternative)
        changed = await summarise(time_skipping_env, settings, request, workflow_id)
        assert changed.stored is not None
        assert changed.stored.html_sha256 != result.stored.html_sha256
        await mail.wait_for(2)
        async with session_factory(sqlite_engine)() as session:
            rows = await learning_register.list_summaries(session, boards=[board])
        assert [(r.year, r.html_sha256) for r in rows] == [(2025, changed.stored.html_sha256)]


async def test_a_run_without_a_year_hands_the_year_before_to_that_years_run(
    time_skipping_env: WorkflowEnvironment, sqlite_url: str, sqlite_engine: AsyncEngine, mail: MailBox
) -> None:
    settings = settings_for(database_url=sqlite_url, smtp_port=mail.port)
    board = next(iter(settings.board_codes))
    year = london_date(await time_skipping_env.get_current_time()).year - 1
    await populate_year(sqlite_engine, board=board, year=year)
    async with running_worker(time_skipping_env.client, sqlite_engine, settings):
        result = await summarise(
            time_skipping_env, settings, LearningSummaryInput(board=board), f"scheduled-{uuid.uuid4().hex[:8]}"
        )
    assert (result.year, result.workflow_id) == (year, learning_summary_workflow_id(board, year))
    assert result.stored is not None
    async with session_factory(sqlite_engine)() as session:
        row = await learning_register.find_summary(session, board=board, year=year)
    assert row is not None
    assert row.workflow_id == learning_summary_workflow_id(board, year)
