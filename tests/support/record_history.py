"""Save case histories for the replay tests: `.venv/bin/python -m tests.support.record_history tests/histories/`.

Record them whenever a release changes the case workflow (name them after the release), so later code is
proven to replay cases that are still running under the old code.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.case_contract import SEARCH_ATTRIBUTES
from domain.criteria import IncidentFacts
from domain.decision_inputs import (
    DecideChairInput,
    RecordOfstedNotifiedInput,
    RecordPanelAdviceInput,
    RecordPanelInformationInput,
    RecordScreeningInput,
    RemoveFromWebsiteInput,
    UpdateFactsInput,
)
from domain.learning_summary_contract import learning_summary_workflow_id
from domain.learning_summary_messages import LearningSummaryInput
from store.database import create_engine
from store.settings import Settings
from tests.support.case_harness import running_worker, settings_for
from tests.support.import_harness import PUBLISHED_A_YEAR_AGO, take_in
from tests.support.learning_harness import populate_year
from tests.support.payload_keys import encrypting_converter
from tests.support.services import MailBox, binary, fresh_database, mailbox, register_search_attributes
from tests.workflows.story import Story, full_case
from tests.workflows.test_replay import record_case_history
from workflows.learning_summary_workflow import LearningSummaryWorkflow


@asynccontextmanager
async def time_skipping_stack() -> AsyncIterator[tuple[WorkflowEnvironment, AsyncEngine, Settings, MailBox]]:
    """The time-skipping server (the tests' payload key), a fresh SQLite register and an SMTP sink."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=encrypting_converter()
    )
    try:
        await register_search_attributes(env.client)
        with tempfile.TemporaryDirectory() as tmp:
            async with fresh_database("sqlite", Path(tmp)) as url, mailbox(Path(tmp) / "mail") as box:
                engine = create_engine(url)
                try:
                    yield env, engine, settings_for(database_url=url, smtp_port=box.port), box
                finally:
                    await engine.dispose()
    finally:
        await env.shutdown()


async def record_full_case(out: Path) -> None:
    """A whole case, notification to closure."""
    async with (
        time_skipping_stack() as (env, engine, settings, box),
        running_worker(env.client, engine, settings, terminate_cases=False),
    ):
        story = Story(env, engine, settings, box)
        await full_case(story)
        history = await story.case.fetch_history()
    out.write_text(history.to_json())


async def record_statutory_notices(out: Path) -> None:
    """Issue 14's decisions: the local authority's own notice to Ofsted, a decision not to initiate scrutinised with
    the panel's request for information, then a fact update that makes the case notifiable and reopens it."""
    async with (
        time_skipping_stack() as (env, engine, settings, box),
        running_worker(env.client, engine, settings, terminate_cases=False),
    ):
        story = Story(env, engine, settings, box)
        await story.open({"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected", "other_lscbs": ["KENT"]})
        today = await story.today()
        await story.by("local_authority", RecordOfstedNotifiedInput(notified_on=today, notified_by="Duty manager"))
        await story.by("sub_group", RecordScreeningInput(recommendation="alternative_review", rationale="r"))
        await story.by("independent_chair", DecideChairInput(decision="alternative_review", rationale="r"))
        await story.by("business_manager", RecordPanelAdviceInput(outcome="requests_information", advice="a"))
        await story.by("business_manager", RecordPanelInformationInput(summary="Chronology sent"))
        died = IncidentFacts(outcome="died", abuse_or_neglect="suspected", other_lscbs=["KENT"])
        await story.by("business_manager", UpdateFactsInput(incident=died, reason="The child died"))
        await story.by("independent_chair", DecideChairInput(decision="initiate_scr", rationale="5(2)(b)(i)"))
        await asyncio.sleep(1)  # the notices the decisions owe go out
        history = await story.case.fetch_history()
    out.write_text(history.to_json())


async def record_imported_review(out: Path) -> None:
    """Issue 17: a review published a year ago taken in at its stage, retained at its anniversary, then removed."""
    async with (
        time_skipping_stack() as (env, engine, settings, box),
        running_worker(env.client, engine, settings, terminate_cases=False),
    ):
        story = Story(env, engine, settings, box)
        published = await story.today() - timedelta(days=360)
        await take_in(story, PUBLISHED_A_YEAR_AGO(published))
        await story.go_to(published + timedelta(days=366))
        await story.by("publisher", RemoveFromWebsiteInput(reason="Twelve months and actions complete"))
        history = await story.case.fetch_history()
    out.write_text(history.to_json())


async def record(out: Path) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=encrypting_converter(),  # the tests' fixed key, so the replay test can decrypt it
        dev_server_extra_args=[a for n, k in SEARCH_ATTRIBUTES.items() for a in ("--search-attribute", f"{n}={k}")],
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with fresh_database("sqlite", Path(tmp)) as url, mailbox(Path(tmp) / "mail") as box:
                history = await record_case_history(env, url, box)
        out.write_text(history.to_json())
    finally:
        await env.shutdown()


async def record_learning_summary(out: Path) -> None:
    """A board's learning summary of a year of cases."""
    async with time_skipping_stack() as (env, engine, settings, _box):
        board = next(iter(settings.board_codes))
        await populate_year(engine, board=board, year=2025)
        async with running_worker(env.client, engine, settings):
            handle = await env.client.start_workflow(
                LearningSummaryWorkflow.run,
                LearningSummaryInput(board=board, year=2025),
                id=learning_summary_workflow_id(board, 2025),
                task_queue=settings.task_queue,
            )
            await handle.result()
            history = await handle.fetch_history()
    out.write_text(history.to_json())


async def main(folder: Path, release: str) -> None:
    await record_statutory_notices(folder / f"{release}-statutory-notices.json")
    await record(folder / f"{release}-case-screened-chair-initiates.json")
    await record_full_case(folder / f"{release}-full-case-to-closure.json")
    await record_learning_summary(folder / f"{release}-learning-summary-of-a-year.json")
    await record_imported_review(folder / f"{release}-imported-review.json")


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "v1"))
