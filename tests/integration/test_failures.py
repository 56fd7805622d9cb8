"""Failures on this machine, with real processes: a worker killed mid-batch, Temporal restarted mid-case,
SMTP down for a while, the case register briefly unavailable.

Each scenario starts its own Temporal dev server (file-backed, `temporal server start-dev`), `scr worker`
subprocesses (with the test payload key), the product's SMTP sink and a fresh PostgreSQL database; the staff
API runs in-process with no worker of its own. Every process is ended in teardown, whatever happened."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import TimeSkipper, TimeSkippingConfig

from api.errors import PROBLEM_JSON
from domain.case_contract import NEXT_DEADLINE, case_workflow_id
from domain.uk_time import end_of_day, london_date
from store.models import Notice
from tests.integration.failure_harness import (
    DatabaseSwitch,
    DevServer,
    Service,
    SmtpSink,
    UpdateSpy,
    eventually,
    in_process_api,
    notice_key,
    pending_timers,
    service,
    service_settings,
    with_interceptor,
)
from tests.support.services import fresh_database
from workflows.case_options import ACTIVITY_TIMEOUT

# An activity that was running on a worker killed with SIGKILL is retried only when its start-to-close
# timeout expires: the recovery bound of the kill test is that timeout plus some margin.
RECOVERY = ACTIVITY_TIMEOUT.total_seconds() + 60
PER_CASE = {
    ("incident_notification", "ofsted"),
    ("incident_notification", "lscb"),
    ("case_decision", "independent_chair"),  # the screening recommendation, to the chair
    ("chair_decision", "ofsted"),
    ("chair_decision", "national_panel"),
}
SCREENING = {"recommendation": "initiate_scr", "rationale": "Screened at the sub-group"}
CHAIR = {"decision": "initiate_scr", "rationale": "Regulation 5(2)(b)(i)"}


@pytest.fixture(autouse=True)
def plain_error_logs() -> Iterator[None]:
    """The API logs each unhandled error through structlog, whose default console renderer draws a rich
    traceback with every local variable: about ten seconds each on this machine. Plain tracebacks here, and
    the previous configuration afterwards."""
    saved = structlog.get_config()
    renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    structlog.configure(processors=[*saved["processors"][:-1], renderer])
    try:
        yield
    finally:
        structlog.configure(**saved)


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgres", tmp_path) as url:
        yield url


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(tmp_path / "mail")
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    server = DevServer(tmp_path / "temporal", time_skipping=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def case_body(board: str, *, days_ago: int = 1) -> dict[str, Any]:
    today = london_date(datetime.now(UTC))
    return {
        "board": board,
        "aware_on": (today - timedelta(days=days_ago)).isoformat(),
        "notified_on": today.isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }


async def screen(svc: Service, reference: str, seconds: float = 30) -> None:
    await svc.decide_until(
        reference, "screening", "sub_group", SCREENING, stage="awaiting_chair_decision", seconds=seconds
    )


def eml_count(smtp: SmtpSink, count: int) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return len(list(smtp.folder.glob("*.eml"))) >= count

    return probe


def sent_notices(
    svc: Service, expected: dict[str, set[tuple[str, str]]]
) -> Callable[[], Awaitable[list[Notice] | None]]:
    """A probe: the register's notices once every case has exactly the ``expected`` (kind, recipient) sent."""

    async def probe() -> list[Notice] | None:
        notices = await svc.notices()
        sent: dict[str, set[tuple[str, str]]] = {}
        for notice in notices:
            if notice.status == "sent":
                sent.setdefault(notice.case_reference, set()).add((notice.kind, notice.recipient))
        return notices if sent == expected else None

    return probe


async def assert_each_arrived_once(smtp: SmtpSink, notices: list[Notice]) -> Counter[str]:
    """Every notice the register records as sent arrived, and none arrived twice (a late copy would show up
    within the extra second)."""
    expected = {n.business_key for n in notices}
    await smtp.wait_for_keys(expected, seconds=30)
    await asyncio.sleep(1.0)
    arrived = smtp.notice_keys()
    assert set(arrived) == expected, sorted(set(arrived) ^ expected)
    twice = {key: count for key, count in arrived.items() if count > 1}
    assert twice == {}, f"sent more than once: {twice}"
    return arrived


# -- 1. a worker killed with SIGKILL in the middle of a batch ----------------------------------------------


async def test_a_worker_killed_mid_batch_loses_no_case_and_sends_no_notice_twice(
    tmp_path: Path, dev_server: DevServer, smtp: SmtpSink, postgres_url: str
) -> None:
    """Three `scr worker` processes share a staggered batch of 12 cases (open, screening, chair decision); one
    is killed with SIGKILL once about 40% of the batch's notices are out. Every case still reaches reviewer
    appointment, in the workflow and in the register, and every notice arrives. An activity that was running on
    the killed worker is retried only after its start-to-close timeout (ACTIVITY_TIMEOUT, 2 minutes today), so
    this test takes ~20 s when the kill hits no activity and ~130 s when it does."""
    cases = 12
    client = await dev_server.ready()
    async with service(tmp_path, dev_server, client, postgres_url, smtp) as svc:
        victim, *survivors = await svc.start_workers(3)
        started = time.monotonic()

        async def one_case(n: int) -> str:
            await asyncio.sleep(0.25 * n)  # a staggered batch: some cases opening while others are decided
            reference = await svc.open_case(case_body(svc.board), seconds=RECOVERY)
            await screen(svc, reference, seconds=RECOVERY)
            await svc.decide_until(
                reference, "chair", "independent_chair", CHAIR, stage="reviewer_appointment", seconds=RECOVERY
            )
            return reference

        batch = asyncio.gather(*(one_case(n) for n in range(cases)))
        # Mid-batch: once about 40% of the batch's notices have gone out.
        await eventually(eml_count(smtp, cases * len(PER_CASE) * 4 // 10), seconds=60, what="batch under way")
        victim.kill_9()
        killed_at = time.monotonic() - started
        in_flight = await svc.activities_running_on(victim.identity)

        references = await batch
        assert len(set(references)) == cases
        assert all(worker.running() for worker in survivors), [w.log_tail() for w in survivors]

        # Every case reached the chair's decision in the workflow, and then in the register: a register write
        # that was on the killed worker is retried once its start-to-close timeout has passed.
        for reference in references:
            assert (await svc.workflow_state(reference)).stage == "reviewer_appointment"
        await eventually(
            lambda: _all_read_at(svc, references, "reviewer_appointment"), seconds=RECOVERY, what="register caught up"
        )

        # The decision's notices go out after the decision is confirmed: wait until the register has them all.
        notices = await eventually(
            sent_notices(svc, {reference: PER_CASE for reference in references}),
            seconds=RECOVERY,
            what="every case's notices recorded as sent",
        )
        finished_at = time.monotonic() - started
        assert len(notices) == cases * len(PER_CASE)
        context = f"killed at {killed_at:.1f} s with {in_flight} running on it; all done at {finished_at:.1f} s"
        expected = {n.business_key for n in notices}
        await smtp.wait_for_keys(expected, seconds=30)
        await asyncio.sleep(1.0)  # a late copy would show up now
        arrived = smtp.notice_keys()
        assert set(arrived) == expected, sorted(set(arrived) ^ expected)

        # No notice twice, with one exception SMTP cannot avoid: a send the kill cut short after the SMTP
        # server had accepted the message but before the register recorded it as sent goes out again when
        # its activity is retried. That copy carries the same Message-ID, so mail systems drop it; any other
        # second copy is a bug.
        cut_short = Counter(workflow_id for workflow_id, kind in in_flight if kind == "send_notice")
        attempts = {n.business_key: n.attempts for n in notices}
        for key, count in arrived.items():
            if count == 1:
                continue
            workflow_id = case_workflow_id(key.split(":")[0])
            assert count == 2, f"{key} arrived {count} times ({context})"
            assert cut_short[workflow_id] > 0, f"{key} arrived twice, its send not cut short by the kill ({context})"
            cut_short[workflow_id] -= 1
            assert attempts[key] >= 2, key
            copies = [m for m in smtp.messages() if notice_key(m) == key]
            assert len({str(m["Message-ID"]) for m in copies}) == 1, key
        assert finished_at < RECOVERY, context


async def _all_read_at(svc: Service, references: list[str], stage: str) -> bool:
    for reference in references:
        read = await svc.read_case(reference)
        assert read.status_code == 200, read.text
        if read.json()["stage"] != stage:
            return False
    return True


# -- 2. the Temporal dev server restarted mid-case -----------------------------------------------------------


async def test_temporal_restarted_mid_case_keeps_its_clock_and_still_takes_decisions(
    tmp_path: Path, dev_server: DevServer, smtp: SmtpSink, postgres_url: str
) -> None:
    """A case waiting for the chair survives a stop and start of the Temporal dev server on the same database
    file: same run, same pending timer, same ScrNextDeadline; the worker reconnects by itself; fast-forwarded
    past the due date, its reminders and escalations fire; the chair's decision then applies and is notified."""
    client = await dev_server.ready()
    # Each case's clock moves only when the test fast-forwards it (Temporal's per-workflow time skipping).
    skipper = TimeSkipper(client, config=TimeSkippingConfig(enabled=False))
    async with service(tmp_path, dev_server, skipper.client, postgres_url, smtp) as svc:
        (worker,) = await svc.start_workers(1)
        reference = await svc.open_case(case_body(svc.board), seconds=30)
        await screen(svc, reference)
        expected = {
            reference: {
                ("incident_notification", "ofsted"),
                ("incident_notification", "lscb"),
                ("case_decision", "independent_chair"),
            }
        }
        await eventually(sent_notices(svc, expected), seconds=30, what="opening and screening notices sent")
        handle = svc.handle(reference)
        before = await handle.describe()
        chair_due = date.fromisoformat(
            next(d["due"] for d in (await svc.read_case(reference)).json()["deadlines"] if d["key"] == "chair_decision")
        )
        timers = await pending_timers(handle)
        # The case's one durable clock, set for the chair decision's first reminder.
        assert len(timers) == 1, timers
        assert datetime.now(UTC) < next(iter(timers.values())) < end_of_day(chair_due)

        dev_server.stop()
        # While Temporal is down the register still answers.
        read = await svc.read_case(reference)
        assert read.status_code == 200, read.text
        assert read.json()["stage"] == "awaiting_chair_decision"
        dev_server.start()
        await dev_server.ready()

        # Same run, same clock, same deadline, and the worker reconnected by itself.
        after = await handle.describe()
        assert after.run_id == before.run_id
        assert after.status == WorkflowExecutionStatus.RUNNING
        assert after.typed_search_attributes.get(NEXT_DEADLINE) == before.typed_search_attributes.get(NEXT_DEADLINE)
        assert after.typed_search_attributes.get(NEXT_DEADLINE) == end_of_day(chair_due)
        assert await pending_timers(handle) == timers
        assert worker.running(), worker.log_tail()
        await worker.ready(seconds=30)

        # The clock still fires: past the chair decision's due date, its two reminders go to the chair and
        # its breach is escalated to the business manager and the sub-group.
        today = london_date(datetime.now(UTC))
        assert await skipper.fast_forward(handle, timedelta(days=(chair_due - today).days + 2))
        expected[reference] |= {
            ("deadline_reminder", "independent_chair"),
            ("deadline_escalation", "business_manager"),
            ("deadline_escalation", "sub_group"),
        }
        notices = await eventually(sent_notices(svc, expected), seconds=30, what="reminders and escalation sent")
        reminders = [n for n in notices if n.kind == "deadline_reminder"]
        assert len(reminders) == 2, [n.business_key for n in reminders]
        case = await eventually(
            lambda: _case_once(svc, reference, lambda c: "chair_decision" in c["breaches"]),
            seconds=30,
            what="breach in the register",
        )
        assert case["overdue"] is True

        # And a decision taken after the restart applies, with its notices.
        decided = await svc.decide(reference, "chair", "independent_chair", CHAIR)
        assert decided.status_code == 200, decided.text
        assert decided.json()["stage"] == "reviewer_appointment"
        chair = {d["key"]: d for d in decided.json()["deadlines"]}["chair_decision"]
        assert chair["status"] == "met_late"
        expected[reference] |= {("chair_decision", "ofsted"), ("chair_decision", "national_panel")}
        notices = await eventually(sent_notices(svc, expected), seconds=30, what="chair decision notices sent")
        await assert_each_arrived_once(smtp, notices)
        assert (await svc.read_case(reference)).json()["stage"] == "reviewer_appointment"


async def _case_once(
    svc: Service, reference: str, condition: Callable[[dict[str, Any]], bool]
) -> dict[str, Any] | None:
    response = await svc.read_case(reference)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body if condition(body) else None


# -- 3. SMTP down for a while ---------------------------------------------------------------------------------


async def test_notices_wait_while_smtp_is_down_and_go_out_once_when_it_returns(
    tmp_path: Path, dev_server: DevServer, smtp: SmtpSink, postgres_url: str
) -> None:
    """With the SMTP server down a case still opens and is screened; its notices fail and are retried (the
    register row stays "sending" and counts attempts); once SMTP is back on the same port each arrives once
    and the register and timeline record each as sent, none as failed."""
    client = await dev_server.ready()
    async with service(tmp_path, dev_server, client, postgres_url, smtp) as svc:
        await svc.start_workers(1)
        smtp.stop()
        down = time.monotonic()
        # The case opens and takes decisions while its notices cannot go out.
        reference = await svc.open_case(case_body(svc.board), seconds=30)
        await screen(svc, reference)
        # The incident notice (to Ofsted and the LSCB at once) fails on the refused connection and is retried:
        # the register's row for each recipient counts the attempts and stays "sending"; nothing has arrived.
        waiting = await eventually(
            lambda: _notices_tried(svc, reference, 2, count=2), seconds=30, what="both incident notices tried twice"
        )
        assert sorted((n.kind, n.recipient, n.status) for n in waiting) == [
            ("incident_notification", "lscb", "sending"),
            ("incident_notification", "ofsted", "sending"),
        ]
        pending = await svc.pending_activity(reference, "send_notice")
        assert pending is not None
        assert pending.attempt >= 2
        assert pending.HasField("last_failure")
        assert smtp.messages() == []

        await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - down)))
        smtp.start()
        expected = {
            reference: {
                ("incident_notification", "ofsted"),
                ("incident_notification", "lscb"),
                ("case_decision", "independent_chair"),
            }
        }
        notices = await eventually(sent_notices(svc, expected), seconds=45, what="notices sent after SMTP returned")
        await assert_each_arrived_once(smtp, notices)
        assert max(n.attempts for n in notices) >= 2
        sent_audit = [e for e in await svc.audit(reference) if e.kind == "notice_sent"]
        assert sorted(e.details["notice"] for e in sent_audit) == sorted(n.business_key for n in notices)
        timeline = (await svc.http.get(f"/api/v1/cases/{reference}/timeline", headers=svc.auth("auditor"))).json()
        assert sum(1 for e in timeline if e["kind"] == "notice_sent") == 3
        assert not [e for e in timeline if e["kind"] == "notice_failed"]
        state = await svc.workflow_state(reference)
        deadlines = {d.key: d for d in state.deadlines}
        assert deadlines["notify_ofsted"].status == "met"


async def _notices_tried(svc: Service, reference: str, attempts: int, count: int) -> list[Notice] | None:
    notices = await svc.notices(reference)
    return notices if len(notices) >= count and all(n.attempts >= attempts for n in notices) else None


# -- 4. the case register (PostgreSQL) briefly unavailable -----------------------------------------------------


async def test_a_register_outage_does_not_hold_a_decision_and_loses_nothing(
    tmp_path: Path, dev_server: DevServer, smtp: SmtpSink, postgres_url: str
) -> None:
    """A chair decision taken while the case register (PostgreSQL) refuses connections is answered from the
    workflow (200, the new state); its register write waits, retried and shown as a pending activity with its
    failure; reads fail without internals; once the database is back the register catches up, the decision
    is recorded once and its notices go out once."""
    client = await dev_server.ready()
    spy = UpdateSpy()
    async with service(tmp_path, dev_server, with_interceptor(client, spy), postgres_url, smtp) as svc:
        (worker,) = await svc.start_workers(1)
        reference = await svc.open_case(case_body(svc.board), seconds=30)
        await screen(svc, reference)
        expected = {
            reference: {
                ("incident_notification", "ofsted"),
                ("incident_notification", "lscb"),
                ("case_decision", "independent_chair"),
            }
        }
        await eventually(sent_notices(svc, expected), seconds=30, what="opening and screening notices sent")

        # A decision in flight when the register goes down: the API has checked the case and sent the update
        # to Temporal; the worker (held still meanwhile) runs it only once the database is gone.
        worker.freeze()
        spy.sent.clear()
        decision = asyncio.create_task(svc.decide(reference, "chair", "independent_chair", CHAIR))
        database = DatabaseSwitch(postgres_url)
        try:
            await asyncio.wait_for(spy.sent.wait(), timeout=15)
            await database.take_down()
            down = time.monotonic()
            worker.thaw()
            # The workflow takes the decision and answers: the register is not in the decision's path.
            decided = await asyncio.wait_for(decision, timeout=20)
            assert decided.status_code == 200, decided.text
            assert decided.json()["stage"] == "reviewer_appointment"
            # Its register write fails and is retried; operators see it pending, with the failure.
            await eventually(lambda: _register_write_failed(svc, reference), seconds=15, what="register write retried")
            # Reads cannot be answered meanwhile: an error, without internals.
            read = await svc.read_case(reference)
            assert read.status_code >= 500, read.text
            assert read.headers["content-type"] == PROBLEM_JSON
            assert "scr_test_" not in read.text
            await asyncio.sleep(max(0.0, 5.0 - (time.monotonic() - down)))
        finally:
            worker.thaw()
            await database.bring_back()

        # The register caught up with the workflow, and nothing was lost or doubled.
        state = await svc.workflow_state(reference)
        assert state.stage == "reviewer_appointment"
        await eventually(
            lambda: _registered_version(svc, reference, state.snapshot_version), seconds=30, what="register caught up"
        )
        case = (await svc.read_case(reference)).json()
        assert case["stage"] == state.stage
        assert {d["key"]: d["status"] for d in case["deadlines"]} == {d.key: d.status.value for d in state.deadlines}
        chair_decisions = [
            e for e in await svc.audit(reference) if e.kind == "decision" and e.details["decision_kind"] == "chair"
        ]
        assert len(chair_decisions) == 1
        expected[reference] |= {("chair_decision", "ofsted"), ("chair_decision", "national_panel")}
        notices = await eventually(sent_notices(svc, expected), seconds=30, what="chair decision notices sent")
        await assert_each_arrived_once(smtp, notices)


async def _register_write_failed(svc: Service, reference: str) -> bool:
    """The case's register write is pending after a failed attempt, as the Web UI shows it."""
    pending = await svc.pending_activity(reference, "record_case_event")
    return pending is not None and pending.attempt >= 2 and pending.HasField("last_failure")


async def _registered_version(svc: Service, reference: str, version: int) -> bool:
    return (await svc.registered_case(reference)).snapshot_version == version


async def test_the_api_answers_503_with_retry_after_while_the_register_is_unavailable(
    tmp_path: Path, postgres_url: str
) -> None:
    # The register is all these requests need before they fail: a Temporal client that never connects will do.
    client = await Client.connect("127.0.0.1:1", lazy=True)
    settings = service_settings(postgres_url, smtp_port=1)
    reference = f"{next(iter(settings.board_codes))}-2026-0001"
    async with in_process_api(client, settings) as (http, _engine):
        headers = {"Authorization": "Bearer dev:auditor:audrey"}
        chair = {"Authorization": "Bearer dev:independent_chair:alice"}
        assert (await http.get(f"/api/v1/cases/{reference}", headers=headers)).status_code == 404
        database = DatabaseSwitch(postgres_url)
        await database.take_down()
        try:
            responses = [
                await http.get(f"/api/v1/cases/{reference}", headers=headers),
                await http.get("/api/v1/cases", headers=headers),
                await http.post(f"/api/v1/cases/{reference}/decisions/chair", json=CHAIR, headers=chair),
            ]
        finally:
            await database.bring_back()
        assert (await http.get(f"/api/v1/cases/{reference}", headers=headers)).status_code == 404
    for response in responses:
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON
        assert int(response.headers["Retry-After"]) > 0
