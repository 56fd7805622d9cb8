"""Section 5: how late reminders and escalations fire after their due time, under load, on the real dev server.

Statutory clocks are days long, so the bench uses Temporal's per-workflow time skipping (experimental in SDK 1.35;
the dev server runs with ``frontend.WorkflowTimeSkippingEnabled=true``): each of ``K`` idle cases waiting at
screening is fast-forwarded by (its next clock instant − T), where T is a wall-clock instant a few seconds ahead.
A case's virtual clock then runs at wall speed with a fixed offset, so every case's clock comes due at the same
wall instant T: a burst of K reminders (then, in a second burst, K escalations), while lifecycle load runs in the
background. Measured per case:

- timer: the workflow waking (``workflow.now()`` of the task that fired the clock, kept as the audit event's
  ``at``, virtual) minus the clock instant (virtual);
- email: the notice's ``sent_at`` (wall clock, written by ``send_notice`` after SMTP accepted it) minus T.

Floors, on the same server under the same load: K bare timers (``bench.floor``, ``workflow.sleep``) due at T, with
real timers and with timers reached by the same fast-forward. From the cases' histories, the lateness is split into
the server firing the timer (``TimerFired`` − due), the worker picking up the task (task started − fired), and the
notice's ``send_notice`` activities: scheduled, and all completed, after due (virtual clock throughout).

The wall-clock email figure assumes each case's virtual clock sits exactly where the bench put it. That holds for
the reminder burst, but during burst 2's fast-forward the case runs its second reminder (register write, notice),
and the virtual clock ends up that much behind plan (``virtual_clock_behind_wall_plan``, measured per case): the
escalation then comes due later in wall time than T, and its wall-clock email figure is inflated by as much. The
history figures are the ones to read for escalations.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from temporalio.client import WorkflowHandle
from temporalio.testing import TimeSkipper

from bench.api_client import StaffApi
from bench.floor import FLOOR_TASK_QUEUE, BenchFloorWorkflow
from bench.histories import kind
from bench.stack import BenchStack
from bench.stats import summary_ms
from bench.throughput import background_lifecycles
from domain import lifecycle
from domain.case_contract import case_workflow_id
from domain.case_file import CaseFile
from domain.uk_time import london_date
from workflows.case_workflow import ScrCaseWorkflow

CLOCK = "chair_decision"  # the clock every case waiting at screening runs on


def _parse(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _floor_burst(stack: BenchStack, count: int, lead: float) -> dict[str, Any]:
    fire_at = datetime.now(UTC) + timedelta(seconds=lead)
    run = uuid.uuid4().hex[:6]
    handles = [
        await stack.client.start_workflow(
            BenchFloorWorkflow.run, fire_at, id=f"bench-timer-{run}-{i}", task_queue=FLOOR_TASK_QUEUE
        )
        for i in range(count)
    ]
    late = [await handle.result() for handle in handles]
    return summary_ms(late)


async def _floor_burst_fast_forwarded(
    stack: BenchStack, skipper: TimeSkipper, count: int, lead: float
) -> dict[str, Any]:
    """Bare timers 10 days out, each fast-forwarded so that it comes due at one wall instant ``lead`` s ahead."""
    fire_at = datetime.now(UTC) + timedelta(days=10)
    run = uuid.uuid4().hex[:6]
    handles = [
        await stack.client.start_workflow(
            BenchFloorWorkflow.run, fire_at, id=f"bench-timer-ff-{run}-{i}", task_queue=FLOOR_TASK_QUEUE
        )
        for i in range(count)
    ]
    wall_due = datetime.now(UTC) + timedelta(seconds=lead)
    began_late, _ = await _fast_forward_all(skipper, list(handles), [fire_at - wall_due] * count, wall_due)
    late = [await handle.result() for handle in handles if handle.id not in began_late]
    return summary_ms(late)


async def _timer_split(
    stack: BenchStack, references: list[str], instants: list[datetime], notices: int
) -> dict[str, Any]:
    """From up to 20 histories: the server firing the clock's timer after its instant, the worker starting the
    workflow task after the timer fired, and the clock's ``notices`` send_notice activities completing (SMTP
    accepted each message) after the instant, split into scheduling them (wake, register write) and sending them
    (since P6 a notice's recipients are sent to at once: the span is the longest send, not their sum). These read
    the history's own (virtual) clock, so they do not depend on how its virtual clock lines up with the wall."""
    fired_late: list[float] = []
    picked_up: list[float] = []
    notices_done: list[float] = []
    notices_scheduled: list[float] = []  # due → the clock's send_notice activities scheduled (wake, register write)
    notice_runs: list[float] = []  # each send_notice, started → completed
    notices_span: list[float] = []  # first scheduled → last completed, per case
    notices_run_sum: list[float] = []  # the runs added up: one after another would take at least this
    for reference, instant in list(zip(references, instants, strict=True))[:20]:
        events = (await stack.client.get_workflow_handle(case_workflow_id(reference)).fetch_history()).events
        for position, event in enumerate(events):
            at = event.event_time.ToDatetime().replace(tzinfo=UTC)
            if kind(event) != "timer_fired" or at < instant - timedelta(seconds=1):
                continue
            fired_late.append((at - instant).total_seconds())
            for later in events[position + 1 :]:
                if kind(later) == "workflow_task_started":
                    picked_up.append((later.event_time.ToDatetime().replace(tzinfo=UTC) - at).total_seconds())
                    break
            scheduled: dict[int, datetime] = {}
            started: dict[int, datetime] = {}
            runs: list[float] = []
            completed: list[datetime] = []
            for later in events[position + 1 :]:
                name = kind(later)
                later_at = later.event_time.ToDatetime().replace(tzinfo=UTC)
                attributes = later.activity_task_scheduled_event_attributes
                if name == "activity_task_scheduled" and attributes.activity_type.name == "send_notice":
                    scheduled[later.event_id] = later_at
                elif name == "activity_task_started":
                    started[later.activity_task_started_event_attributes.scheduled_event_id] = later_at
                elif name == "activity_task_completed":
                    key = later.activity_task_completed_event_attributes.scheduled_event_id
                    if key not in scheduled:
                        continue
                    completed.append(later_at)
                    runs.append((later_at - started.get(key, scheduled[key])).total_seconds())
                    if len(completed) == notices:
                        first = min(scheduled.values())
                        notices_done.append((max(completed) - instant).total_seconds())
                        notices_scheduled.append((first - instant).total_seconds())
                        notices_span.append((max(completed) - first).total_seconds())
                        notices_run_sum.append(sum(runs))
                        notice_runs.extend(runs)
                        break
            break
    return {
        "timer_fired_after_due": summary_ms(fired_late),
        "task_started_after_timer_fired": summary_ms(picked_up),
        "notices_sent_after_due": summary_ms(notices_done),
        "notices_scheduled_after_due": summary_ms(notices_scheduled),
        "notices_span_scheduled_to_last_sent": summary_ms(notices_span),
        "notices_run_sum": summary_ms(notices_run_sum),
        "notice_run": summary_ms(notice_runs),
    }


async def _fast_forward_all(
    skipper: TimeSkipper, handles: list[WorkflowHandle[Any, Any]], deltas: list[timedelta], wall_due: datetime
) -> tuple[set[str], int]:
    """Fast-forward every case by its delta, 8 at a time. Returns the workflow ids whose fast-forward only began
    after ``wall_due`` (their clock passed the due instant inside the skip: not measurable, left out) and how many
    fast-forwards finished after it (harmless: they were waiting on work the skip itself caused)."""
    gate = asyncio.Semaphore(8)
    began_late: set[str] = set()
    finished_late = 0

    async def one(handle: WorkflowHandle[Any, Any], delta: timedelta) -> None:
        nonlocal finished_late
        async with gate:
            if datetime.now(UTC) >= wall_due:
                began_late.add(handle.id)
            await skipper.fast_forward(handle, delta)
            if datetime.now(UTC) > wall_due:
                finished_late += 1

    await asyncio.gather(*(one(h, d) for h, d in zip(handles, deltas, strict=True)))
    return began_late, finished_late


async def _clock_lag(
    skipper: TimeSkipper, handles: list[WorkflowHandle[Any, Any]], intended: list[timedelta]
) -> dict[str, Any]:
    """How far each case's virtual clock is behind the offset the bench meant to give it (virtual − wall), for up
    to 20 cases. A fast-forward during which the workflow runs (the second reminder fires inside burst 2's) can
    leave the clock behind: it then comes due that much later in wall time than the bench's wall instant, and
    the wall-clock email figures grow by as much. The history figures are not affected."""
    lag: list[float] = []
    for handle, offset in list(zip(handles, intended, strict=True))[:20]:
        before = datetime.now(UTC)
        virtual = await skipper.get_current_time(handle)
        wall = before + (datetime.now(UTC) - before) / 2
        lag.append((offset - (virtual - wall)).total_seconds())
    return summary_ms(lag)


async def _wait_for_notices(
    stack: BenchStack, references: list[str], pattern: str, expected: int, seconds: float
) -> list[tuple[str, datetime]]:
    """(case reference, sent_at) of the sent notices of ``references`` whose business key matches ``pattern``."""
    wanted = set(references)
    deadline = time.monotonic() + seconds
    while True:
        async with stack.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT case_reference, sent_at FROM notices WHERE status = 'sent' AND business_key LIKE :p"),
                    {"p": pattern},
                )
            ).all()
        found = [(str(r[0]), _parse(r[1])) for r in rows if r[0] in wanted]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.25)


async def _audit_times(stack: BenchStack, kind: str, references: list[str]) -> dict[str, datetime]:
    async with stack.engine.connect() as connection:
        rows = (
            await connection.execute(text("SELECT case_reference, at FROM audit_events WHERE kind = :k"), {"k": kind})
        ).all()
    wanted = set(references)
    found: dict[str, datetime] = {}
    for reference, at in rows:
        if reference in wanted and reference not in found:
            found[str(reference)] = _parse(at)
    return found


def _email_lateness(rows: list[tuple[str, datetime]], wall_due: datetime) -> dict[str, Any]:
    last_per_case: dict[str, datetime] = {}
    for reference, sent_at in rows:
        last_per_case[reference] = max(sent_at, last_per_case.get(reference, sent_at))
    return summary_ms((sent - wall_due).total_seconds() for sent in last_per_case.values())


async def deadline_accuracy(
    stack: BenchStack, api: StaffApi, references: list[str], *, lead: float, background: int
) -> dict[str, Any]:
    client = stack.client
    skipper = TimeSkipper(client)
    handles: list[WorkflowHandle[Any, Any]] = [client.get_workflow_handle(case_workflow_id(r)) for r in references]
    files: list[CaseFile] = [await h.query(ScrCaseWorkflow.case_file) for h in handles]
    reminder_at = []
    for case in files:
        event = lifecycle.next_clock_event(case)
        if event is None or event.key != CLOCK:
            raise RuntimeError(f"{case.reference}: its next clock is {event}, not the {CLOCK} reminder")
        reminder_at.append(event.at)
    due_at = [case.deadlines[CLOCK].schedule.due_at for case in files]

    stop = asyncio.Event()
    today = london_date(datetime.now(UTC))
    load = asyncio.create_task(background_lifecycles(api, stop, background, today))
    load_started = time.monotonic()
    try:
        floor = await _floor_burst(stack, len(references), lead)
        floor_fast_forwarded = await _floor_burst_fast_forwarded(stack, skipper, len(references), lead)

        # Burst 1: every case's first chair-decision reminder comes due at wall instant t1.
        t1 = datetime.now(UTC) + timedelta(seconds=lead)
        offsets = [r - t1 for r in reminder_at]
        skipped1, late_ff1 = await _fast_forward_all(skipper, handles, offsets, t1)
        lag1 = await _clock_lag(skipper, handles, offsets)
        reminders = await _wait_for_notices(
            stack, references, f"%:deadline_reminder:%:{CLOCK}:%:1", len(references), lead + 120
        )
        woke = await _audit_times(stack, "deadline_reminder", references)

        # Burst 2: the escalation when the deadline passes. The second reminder fires inside each fast-forward
        # (record, notice), so the fast-forwards take longer: twice the lead.
        t2 = datetime.now(UTC) + timedelta(seconds=2 * lead)
        deltas = [(d - t2) - o for d, o in zip(due_at, offsets, strict=True)]
        skipped2, late_ff2 = await _fast_forward_all(skipper, handles, deltas, t2)
        lag2 = await _clock_lag(skipper, handles, [d - t2 for d in due_at])
        escalations = await _wait_for_notices(
            stack, references, f"%:deadline_escalation:%:{CLOCK}:%", 2 * len(references), lead + 120
        )
        breached = await _audit_times(stack, "deadline_breached", references)
    finally:
        stop.set()
        requests, load_errors = await load
    load_seconds = time.monotonic() - load_started

    valid1 = [r for r in references if case_workflow_id(r) not in skipped1]
    valid2 = [r for r in references if case_workflow_id(r) not in skipped2]
    reminder_woke = summary_ms(
        (woke[r] - at).total_seconds()
        for r, at in zip(references, reminder_at, strict=True)
        if r in woke and r in valid1
    )
    breach_woke = summary_ms(
        (breached[r] - at).total_seconds()
        for r, at in zip(references, due_at, strict=True)
        if r in breached and r in valid2
    )
    reminders = [(r, sent) for r, sent in reminders if r in valid1]
    escalations = [(r, sent) for r, sent in escalations if r in valid2]
    return {
        "cases_per_burst": len(references),
        "lead_seconds": lead,
        "background_lifecycle_drivers": background,
        "background_requests_per_second": round(requests / load_seconds, 1) if load_seconds else None,
        "background_request_errors": load_errors,
        "floor_bare_timer_wakeup": floor,
        "floor_bare_timer_wakeup_fast_forwarded": floor_fast_forwarded,
        "reminder": {
            "workflow_woke_after_due": reminder_woke,
            "email_sent_after_due": _email_lateness(reminders, t1),
            "emails_seen": len(reminders),
            "fast_forwards_finished_after_due": late_ff1,
            "virtual_clock_behind_wall_plan": lag1,
            "left_out_fast_forward_began_after_due": len(skipped1),
            "from_histories": await _timer_split(
                stack, valid1, [at for r, at in zip(references, reminder_at, strict=True) if r in valid1], 1
            ),
        },
        "escalation": {
            "workflow_woke_after_due": breach_woke,
            "emails_sent_after_due": _email_lateness(escalations, t2),
            "emails_seen": len(escalations),
            "fast_forwards_finished_after_due": late_ff2,
            "virtual_clock_behind_wall_plan": lag2,
            "left_out_fast_forward_began_after_due": len(skipped2),
            "from_histories": await _timer_split(
                stack, valid2, [at for r, at in zip(references, due_at, strict=True) if r in valid2], 2
            ),
        },
    }
