"""RegisterActivities.record_case_event against real SQLite and PostgreSQL registers."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.register_activities import RegisterActivities
from domain.case_messages import Actor, CaseSnapshot, DeadlineRecord, DeadlineStatus, RecordCaseEventInput
from domain.roles import Role
from store import register
from store.database import session_factory
from store.models import AuditEvent, Case, CaseDeadline
from tests.support.case_harness import register_case as open_case

SYSTEM = Actor(user="system", role=Role.OPERATOR)
ALICE = Actor(user="alice", role=Role.INDEPENDENT_CHAIR)
OPENED_AT = datetime(2016, 3, 24, 10, 30, tzinfo=UTC)

NOTIFY_OFSTED = DeadlineRecord(
    key="notify_ofsted",
    title="Notify Ofsted and the LSCB of the incident",
    due=date(2016, 4, 4),
    status=DeadlineStatus.PENDING,
    rule="5 working days after the local authority became aware of the incident",
    source="NEL SCR procedure (001) §1",
)
CHAIR_DECISION = DeadlineRecord(
    key="chair_decision",
    title="Independent chair decides whether to initiate an SCR",
    due=date(2016, 4, 24),
    status=DeadlineStatus.PENDING,
    rule="1 calendar month after the LSCB was notified of the incident",
    source="NEL SCR procedure (001) §4",
)


def event(
    reference: str,
    version: int,
    kind: str,
    *,
    stage: str,
    deadlines: list[DeadlineRecord],
    overdue: bool = False,
    actor: Actor = SYSTEM,
    at: datetime = OPENED_AT,
    **extra: object,
) -> RecordCaseEventInput:
    pending = [d for d in deadlines if d.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)]
    following = min(pending, key=lambda d: d.due, default=None)
    return RecordCaseEventInput.model_validate(
        {
            "reference": reference,
            "business_key": f"{reference}:{version}:{kind}",
            "kind": kind,
            "actor": actor,
            "at": at,
            "summary": f"{kind} (v{version})",
            "snapshot": CaseSnapshot(
                version=version,
                stage=stage,
                overdue=overdue,
                next_deadline_key=following.key if following else None,
                next_deadline_due=following.due if following else None,
                deadlines=deadlines,
            ),
            **extra,
        }
    )


async def load(engine: AsyncEngine, reference: str) -> tuple[Case, list[CaseDeadline], list[AuditEvent]]:
    async with session_factory(engine)() as session:
        case = await register.find_case(session, reference=reference)
        assert case is not None
        deadlines = await register.case_deadlines(session, reference=reference)
        timeline = await register.case_timeline(session, reference=reference)
        return case, deadlines, timeline


async def test_records_the_event_and_applies_the_snapshot(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    data = event(
        reference,
        1,
        "case_opened",
        stage="awaiting_chair_decision",
        deadlines=[NOTIFY_OFSTED, CHAIR_DECISION],
        actor=ALICE,
        rationale="Notifiable: child seriously harmed, abuse suspected",
        details={"grounds": ["seriously_harmed", "abuse_or_neglect_suspected"]},
        assessment={"notifiable": True, "scr": "mandatory"},
    )

    recorded = await activities.record_case_event(data)

    assert recorded is True
    case, deadlines, timeline = await load(engine, reference)
    assert case.stage == "awaiting_chair_decision"
    assert case.overdue is False
    assert case.next_deadline_key == "notify_ofsted"
    assert case.next_deadline_due == date(2016, 4, 4)
    assert case.snapshot_version == 1
    assert case.assessment == {"notifiable": True, "scr": "mandatory"}
    assert [(d.key, d.due, d.status, d.title, d.rule, d.source) for d in deadlines] == [
        (d.key, d.due, d.status.value, d.title, d.rule, d.source) for d in (NOTIFY_OFSTED, CHAIR_DECISION)
    ]
    [row] = timeline
    assert row.business_key == f"{reference}:1:case_opened"
    assert row.kind == "case_opened"
    assert (row.actor, row.role) == ("alice", "independent_chair")
    assert row.at == OPENED_AT
    assert row.summary == "case_opened (v1)"
    assert row.rationale == "Notifiable: child seriously harmed, abuse suspected"
    assert row.details == {"grounds": ["seriously_harmed", "abuse_or_neglect_suspected"]}


async def test_a_later_snapshot_updates_deadlines_in_place(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    await activities.record_case_event(event(reference, 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED]))
    met_at = datetime(2016, 3, 29, 14, 0, tzinfo=UTC)
    breached_at = datetime(2016, 4, 24, 23, 0, tzinfo=UTC)
    met = NOTIFY_OFSTED.model_copy(update={"status": DeadlineStatus.MET, "met_at": met_at})
    overdue = CHAIR_DECISION.model_copy(update={"status": DeadlineStatus.OVERDUE, "breached_at": breached_at})

    await activities.record_case_event(
        event(
            reference, 2, "deadline_breached", stage="awaiting_chair_decision", deadlines=[met, overdue], overdue=True
        )
    )

    case, deadlines, timeline = await load(engine, reference)
    assert case.overdue is True
    assert (case.next_deadline_key, case.next_deadline_due) == ("chair_decision", date(2016, 4, 24))
    assert [(d.key, d.status, d.met_at, d.breached_at) for d in deadlines] == [
        ("notify_ofsted", "met", met_at, None),
        ("chair_decision", "overdue", None, breached_at),
    ]
    assert [row.kind for row in timeline] == ["case_opened", "deadline_breached"]


async def test_a_retry_records_nothing_more(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    data = event(reference, 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED])
    assert await activities.record_case_event(data) is True
    before, deadlines_before, _ = await load(engine, reference)

    again = await activities.record_case_event(data)

    assert again is False
    after, deadlines_after, timeline = await load(engine, reference)
    assert len(timeline) == 1
    assert len(deadlines_after) == len(deadlines_before) == 1
    assert after.updated_at == before.updated_at


async def test_a_retry_runs_as_a_temporal_activity(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    data = event(reference, 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED])

    results = [await ActivityEnvironment().run(activities.record_case_event, data) for _ in range(2)]

    assert results == [True, False]
    _, _, timeline = await load(engine, reference)
    assert len(timeline) == 1


async def test_an_older_snapshot_arriving_late_does_not_overwrite_a_newer_one(engine: AsyncEngine) -> None:
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    met = NOTIFY_OFSTED.model_copy(
        update={"status": DeadlineStatus.MET, "met_at": datetime(2016, 3, 29, 14, 0, tzinfo=UTC)}
    )
    newer = event(reference, 3, "deadline_met", stage="awaiting_chair_decision", deadlines=[met, CHAIR_DECISION])
    older = event(reference, 2, "stage_changed", stage="notified", deadlines=[NOTIFY_OFSTED], overdue=True)

    assert await activities.record_case_event(newer) is True
    assert await activities.record_case_event(older) is True

    case, deadlines, timeline = await load(engine, reference)
    assert case.snapshot_version == 3
    assert case.stage == "awaiting_chair_decision"
    assert case.overdue is False
    assert case.next_deadline_key == "chair_decision"
    assert [(d.key, d.status) for d in deadlines] == [("notify_ofsted", "met"), ("chair_decision", "pending")]
    # The late event is still evidence of what happened: its audit row is appended.
    assert sorted(row.business_key for row in timeline) == [
        f"{reference}:2:stage_changed",
        f"{reference}:3:deadline_met",
    ]


async def test_an_unknown_case_fails_without_retry_and_writes_nothing(engine: AsyncEngine) -> None:
    activities = RegisterActivities(session_factory(engine))
    data = event("NEL-2016-0999", 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED])

    with pytest.raises(ApplicationError) as raised:
        await activities.record_case_event(data)

    assert raised.value.type == "UnknownCase"
    assert raised.value.non_retryable is True
    assert "NEL-2016-0999" in str(raised.value)
    async with session_factory(engine)() as session:
        assert await register.case_timeline(session, reference="NEL-2016-0999") == []
        assert await register.audit_exists(session, business_key=data.business_key) is False


async def test_a_failure_to_store_is_not_mistaken_for_a_retry(engine: AsyncEngine) -> None:
    """Only a duplicate business key means "recorded already". Any other constraint failure (here a snapshot
    naming one deadline twice) must fail the attempt, not return False while the event is lost."""
    reference = await open_case(engine)
    activities = RegisterActivities(session_factory(engine))
    met = NOTIFY_OFSTED.model_copy(update={"status": DeadlineStatus.MET})
    broken = event(reference, 1, "deadline_met", stage="notified", deadlines=[NOTIFY_OFSTED, met])

    with pytest.raises(IntegrityError):
        await activities.record_case_event(broken)

    _, deadlines, timeline = await load(engine, reference)
    assert (deadlines, timeline) == ([], [])
    # Nothing half-written: the corrected event still records, once.
    fixed = event(reference, 1, "deadline_met", stage="notified", deadlines=[met])
    assert await activities.record_case_event(fixed) is True
    _, deadlines, timeline = await load(engine, reference)
    assert [(d.key, d.status) for d in deadlines] == [("notify_ofsted", "met")]
    assert [row.business_key for row in timeline] == [fixed.business_key]


async def test_attempts_racing_each_other_record_the_event_once(engine: AsyncEngine) -> None:
    """The losers of the race hit the unique business key and report "recorded already", not an error."""
    reference = await open_case(engine)
    data = event(reference, 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED, CHAIR_DECISION])

    results = await asyncio.gather(
        *(RegisterActivities(session_factory(engine)).record_case_event(data) for _ in range(4))
    )

    _, deadlines, timeline = await load(engine, reference)
    assert sorted(results) == [False, False, False, True]
    assert len(timeline) == 1
    assert len(deadlines) == 2


# --- the audit trail is append-only, enforced by the database -----------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET summary = 'rewritten' WHERE business_key = :key",
        "UPDATE audit_events SET case_reference = 'NEL-2016-0002'",
        "DELETE FROM audit_events WHERE business_key = :key",
        "DELETE FROM audit_events",
    ],
)
async def test_the_database_refuses_to_change_or_delete_audit_rows(engine: AsyncEngine, statement: str) -> None:
    reference = await open_case(engine)
    data = event(reference, 1, "case_opened", stage="notified", deadlines=[NOTIFY_OFSTED])
    await RegisterActivities(session_factory(engine)).record_case_event(data)

    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement), {"key": data.business_key})

    _, _, timeline = await load(engine, reference)
    assert [(row.business_key, row.summary) for row in timeline] == [(data.business_key, "case_opened (v1)")]
