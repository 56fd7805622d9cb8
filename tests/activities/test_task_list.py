"""The staff task list in the register (``case_tasks``): kept by ``record_case_event``, read a page at a time, and
filled for existing cases by migration 0004. Against real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.register_activities import RegisterActivities
from domain.case_messages import AwaitedDecision, CaseSnapshot, RecordCaseEventInput
from domain.lifecycle import SYSTEM, TERMINAL
from store import register
from store.database import session_factory
from store.migrate import alembic_config
from store.models import Case
from tests.support.case_harness import register_case

CHAIR = AwaitedDecision(kind="chair", roles=["independent_chair"], description="Decide", due=date(2016, 4, 24))
CONSENT = AwaitedDecision(kind="prepublication", roles=["business_manager"], description="Record: family informed")
MEDIA = AwaitedDecision(kind="prepublication", roles=["business_manager"], description="Record: media strategy")
PEER = AwaitedDecision(kind="peer_response", roles=["independent_chair"], description="Respond", due=date(2016, 4, 1))


def snapshot_event(reference: str, version: int, stage: str, awaiting: list[AwaitedDecision]) -> RecordCaseEventInput:
    return RecordCaseEventInput(
        reference=reference,
        business_key=f"{reference}:{version}:{stage}",
        kind="test",
        actor=SYSTEM,
        at=datetime(2016, 3, 24, 10, tzinfo=UTC),
        summary="test",
        snapshot=CaseSnapshot(
            version=version,
            stage=stage,
            overdue=False,
            next_deadline_key=None,
            next_deadline_due=None,
            deadlines=[],
            awaiting=awaiting,
        ),
    )


async def tasks(engine: AsyncEngine, role: str, *, limit: int = 50, offset: int = 0) -> tuple[list[str], int]:
    async with session_factory(engine)() as session:
        rows, total = await register.tasks_for(session, role=role, boards=["NEL"], limit=limit, offset=offset)
    return [f"{row.case_reference}:{row.kind}:{row.description}" for row in rows], total


async def test_each_snapshot_rewrites_the_cases_tasks_and_a_closed_case_has_none(engine: AsyncEngine) -> None:
    reference = await register_case(engine)
    record = RegisterActivities(session_factory(engine)).record_case_event

    await record(snapshot_event(reference, 1, "awaiting_chair_decision", [CHAIR, PEER]))
    assert await tasks(engine, "independent_chair") == (
        [f"{reference}:peer_response:Respond", f"{reference}:chair:Decide"],
        2,
    )
    assert await tasks(engine, "business_manager") == ([], 0)

    # The same kind twice (two pre-publication steps) gives two tasks; the chair's are gone.
    await record(snapshot_event(reference, 2, "pre_publication", [CONSENT, MEDIA]))
    assert await tasks(engine, "independent_chair") == ([], 0)
    assert await tasks(engine, "business_manager") == (
        [f"{reference}:prepublication:Record: family informed", f"{reference}:prepublication:Record: media strategy"],
        2,
    )

    await record(snapshot_event(reference, 3, "closed", [CONSENT]))
    assert await tasks(engine, "business_manager") == ([], 0)


async def test_tasks_come_soonest_first_a_page_at_a_time_and_only_from_the_callers_boards(engine: AsyncEngine) -> None:
    record = RegisterActivities(session_factory(engine)).record_case_event
    references = [await register_case(engine) for _ in range(3)]
    for day, reference in zip((20, 5, 12), references, strict=True):
        due = CHAIR.model_copy(update={"due": date(2016, 4, day)})
        await record(snapshot_event(reference, 1, "awaiting_chair_decision", [due]))
    undated = await register_case(engine)
    await record(snapshot_event(undated, 1, "awaiting_chair_decision", [CHAIR.model_copy(update={"due": None})]))

    soonest_first = [references[1], references[2], references[0], undated]
    assert await tasks(engine, "independent_chair", limit=2) == ([f"{r}:chair:Decide" for r in soonest_first[:2]], 4)
    assert await tasks(engine, "independent_chair", limit=2, offset=2) == (
        [f"{r}:chair:Decide" for r in soonest_first[2:]],
        4,
    )
    async with session_factory(engine)() as session:
        assert await register.tasks_for(session, role="independent_chair", boards=["SOM"], limit=50, offset=0) == (
            [],
            0,
        )


async def test_migration_0004_fills_the_task_list_of_existing_open_cases(engine: AsyncEngine) -> None:
    open_reference, closed_reference = await register_case(engine), await register_case(engine)
    async with session_factory(engine).begin() as session:
        for reference, stage in ((open_reference, "pre_publication"), (closed_reference, "closed")):
            awaiting = [item.model_dump(mode="json") for item in (CONSENT, MEDIA, CHAIR)]
            await session.execute(
                update(Case).where(Case.reference == reference).values(stage=stage, awaiting=awaiting)
            )
    url = engine.url.render_as_string(hide_password=False)
    await engine.dispose()  # the migration needs the tables to itself (PostgreSQL DDL locks)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0003")
    await asyncio.to_thread(command.upgrade, alembic_config(url), "head")

    assert await tasks(engine, "business_manager") == (
        [
            f"{open_reference}:prepublication:Record: family informed",
            f"{open_reference}:prepublication:Record: media strategy",
        ],
        2,
    )
    assert await tasks(engine, "independent_chair") == ([f"{open_reference}:chair:Decide"], 1)


def test_the_register_treats_as_closed_exactly_the_stages_the_rules_end_in() -> None:
    assert set(register.CLOSED_STAGES) == {stage.value for stage in TERMINAL}


async def test_snapshots_written_at_once_leave_the_newest_whole(engine: AsyncEngine) -> None:
    """The workflow's main loop and a decision can write two snapshots of one case at the same moment: whichever
    commits last, the register shows the newer one entirely (stage, awaited decisions and task rows together)."""
    record = RegisterActivities(session_factory(engine)).record_case_event
    for _ in range(5):
        reference = await register_case(engine)
        await record(snapshot_event(reference, 1, "awaiting_chair_decision", [CHAIR]))
        older = snapshot_event(reference, 2, "awaiting_chair_decision", [CHAIR, PEER])
        newer = snapshot_event(reference, 3, "pre_publication", [CONSENT, MEDIA])
        await asyncio.gather(record(newer), record(older))
        async with session_factory(engine)() as session:
            case = await register.find_case(session, reference=reference)
        assert case is not None
        assert (case.snapshot_version, case.stage) == (3, "pre_publication")
        assert [item["description"] for item in case.awaiting] == ["Record: family informed", "Record: media strategy"]
        assert await tasks(engine, "independent_chair") == ([], 0)


async def test_overdue_tasks_are_counted_by_their_due_date_in_one_query(engine: AsyncEngine) -> None:
    """The console's banner: the caller's tasks due before today, undated ones never."""
    first, second = await register_case(engine), await register_case(engine)
    record = RegisterActivities(session_factory(engine)).record_case_event
    await record(snapshot_event(first, 1, "awaiting_chair_decision", [CHAIR, PEER]))  # due 24 April, 1 April
    await record(snapshot_event(second, 1, "pre_publication", [CONSENT]))  # undated

    async def overdue(role: str, today: date) -> int:
        async with session_factory(engine)() as session:
            return await register.overdue_task_count(session, role=role, boards=["NEL"], today=today)

    assert await overdue("independent_chair", date(2016, 4, 1)) == 0  # due today is not overdue
    assert await overdue("independent_chair", date(2016, 4, 2)) == 1
    assert await overdue("independent_chair", date(2016, 4, 25)) == 2
    assert await overdue("business_manager", date(2030, 1, 1)) == 0  # undated: never overdue
    async with session_factory(engine)() as session:
        count = await register.overdue_task_count(
            session, role="independent_chair", boards=["NEL"], today=date(2016, 4, 25), references={first}
        )
    assert count == 2  # a lead reviewer's own cases only: both are the first case's
