"""Section 4: history size — events and bytes per full case, and the continue-as-new runs of a 3-year case.

Both cases run through the staff API on the same dev server, their clocks moved by per-workflow fast-forward
(``TimeSkipper``), so every reminder, escalation and monthly review fires as it would over the years:

- the *full case* of ``tests/integration/test_full_case_api.py`` (opened → … → published → 12 months on the
  website → removed → closed, about 14 months);
- a *3-year case*: four information requests, the review overrunning its 6 months (reminders, breach, delay
  recorded), a failed quality assurance, three actions over 2½ years, publication, retention with monthly reviews
  while actions stay open, removal and closure at about 36 months.

Event times in a fast-forwarded history are virtual, so events are also counted per 30 days of the case's life.
Since P1 the register writes and deadline resolutions are local activities: one ``MarkerRecorded`` event each
(``core_local_activity``) instead of three activity events and, usually, a second workflow task; ``workflow.patched``
adds one ``core_patch`` marker per patch. ``markers`` counts them by activity type and patch id.
Temporal's defaults (server 1.32 dynamic config): continue-as-new suggested at 4,096 events or 4 MiB; warnings at
10,240 events / 10 MiB; the run is terminated at 51,200 events / 50 MiB.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.testing import TimeSkipper

from bench.api_client import LIFECYCLE, PUBLICATION_DOCUMENTS, StaffApi
from bench.histories import all_runs, kind, marker_counts, size_bytes
from bench.stack import BenchStack
from domain.case_contract import case_workflow_id
from domain.quality import QUALITY_RULES
from domain.uk_time import london_date

SUGGEST_CONTINUE_AS_NEW_EVENTS = 4096
SUGGEST_CONTINUE_AS_NEW_BYTES = 4 * 2**20
LIMIT_EVENTS = 51_200
LIMIT_BYTES = 50 * 2**20


class Story:
    """One case through the API, with its own virtual clock."""

    def __init__(self, stack: BenchStack, api: StaffApi, skipper: TimeSkipper, reference: str) -> None:
        self.api = api
        self.skipper = skipper
        self.reference = reference
        self.handle: WorkflowHandle[Any, Any] = stack.client.get_workflow_handle(case_workflow_id(reference))

    async def today(self) -> date:
        return london_date(await self.skipper.get_current_time(self.handle))

    async def do(self, kind: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
        state, _ = await self.api.decide(self.reference, kind, role, body)
        return state

    async def forward(self, days: float) -> None:
        await asyncio.sleep(0.3)  # let notices of the last decision go out before the clock jumps
        await self.skipper.fast_forward(self.handle, timedelta(days=days))

    async def through_review_start(self, today: date) -> None:
        for step in LIFECYCLE[:5]:  # screening, chair, reviewers, panel advice, start review
            await self.do(step.kind, step.role, step.body(today))

    async def prepare_publication(self) -> None:
        """What the anonymisation gate and the pre-publication copies need before the publication decision: the
        family's identifiers and the three documents."""
        await self.api.record_identifiers(self.reference)
        for document_kind in PUBLICATION_DOCUMENTS:
            await self.api.upload(self.reference, document_kind)

    async def publish(self) -> None:
        await self.do("published", "publisher", {})

    async def publish_a_month_after(self, day: date) -> None:
        """Decide to publish 30 days after ``day``, take the pre-publication steps, and publish on the date."""
        publication_on = day + timedelta(days=30)
        await self.prepare_publication()  # the pre-publication copies carry the documents: first
        await self.do(
            "publication",
            "independent_chair",
            {"decision": "publish", "publication_on": publication_on.isoformat(), "reasons": "Ready"},
        )
        await self.prepublication()
        await self.forward(31)
        await self.publish()

    async def prepublication(self) -> None:
        for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
            await self.do("prepublication", "business_manager", {"item": item, "note": "Done"})


def _checks(failing: str | None = None) -> dict[str, Any]:
    return {
        rule: {"passed": rule != failing, "comment": "Needs rework" if rule == failing else "Meets the standard"}
        for rule in QUALITY_RULES
    }


def _action(action_id: str, due_on: date) -> dict[str, str]:
    return {
        "action_id": action_id,
        "description": "Improve information sharing",
        "owner_agency": "Police",
        "due_on": due_on.isoformat(),
        "success_criteria": "Audit shows improvement",
    }


async def full_case(story: Story, today: date) -> None:
    await story.through_review_start(today)
    await story.do("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"})
    await story.do("quality_assurance", "sub_group", {"checks": _checks()})
    await story.do("action_plan", "sub_group", {"actions": [_action("A1", today + timedelta(days=60))]})
    await story.publish_a_month_after(today)
    await story.do("action_progress", "sub_group", {"action_id": "A1", "progress": "Done", "complete": True})
    await story.forward(370)
    await story.do("removal", "publisher", {"reason": "12 months and all actions complete"})
    await story.do("close", "independent_chair", {"learning_summary": "Information sharing"})


async def three_year_case(story: Story, today: date) -> None:
    await story.through_review_start(today)
    for number in range(1, 5):
        day = await story.today()
        await story.do(
            "information_request",
            "lead_reviewer",
            {
                "request_id": f"IR{number}",
                "agency": "Police",
                "information": "Records of contact",
                "necessity": "Needed to understand the agency's involvement",
                "proportionality": "Limited to the review period",
                "due_on": (day + timedelta(days=14)).isoformat(),
            },
        )
        await story.forward(7)
        await story.do("information_response", "agency_contact", {"request_id": f"IR{number}", "summary": "Provided"})
        await story.do("agency_account", "agency_contact", {"agency": f"Agency {number}", "summary": "Account"})
        await story.forward(7)
    await story.forward(130)  # past the 6-month review deadline: reminders, then the breach
    await story.do(
        "review_delay",
        "lead_reviewer",
        {"reason": "Parallel proceedings", "interim_learning": "Shared", "corrective_actions": "Agreed"},
    )
    await story.forward(14)
    await story.do("final_report", "lead_reviewer", {"document": "overview-1", "summary": "Report"})
    await story.do("quality_assurance", "sub_group", {"checks": _checks(failing=next(iter(QUALITY_RULES)))})
    await story.forward(10)
    await story.do("final_report", "lead_reviewer", {"document": "overview-2", "summary": "Revised report"})
    await story.do("quality_assurance", "sub_group", {"checks": _checks()})
    day = await story.today()
    actions = [
        _action("A1", day + timedelta(days=300)),
        _action("A2", day + timedelta(days=620)),
        _action("A3", day + timedelta(days=900)),
    ]
    await story.do("action_plan", "sub_group", {"actions": actions})
    await story.publish_a_month_after(day)
    await story.forward(250)
    await story.do("action_progress", "sub_group", {"action_id": "A1", "progress": "Done", "complete": True})
    await story.forward(130)  # 12 months on the website: retained, monthly reviews while actions are open
    await story.forward(180)
    await story.do("action_progress", "sub_group", {"action_id": "A2", "progress": "Done", "complete": True})
    await story.forward(270)
    await story.do("action_progress", "sub_group", {"action_id": "A3", "progress": "Done", "complete": True})
    await story.do("removal", "publisher", {"reason": "All actions complete"})
    await story.do("close", "independent_chair", {"learning_summary": "Information sharing and supervision"})


async def _measure(stack: BenchStack, story: Story) -> dict[str, Any]:
    runs = []
    for _ in range(40):  # visibility catches up with the closed run
        runs = await all_runs(stack.client, story.handle.id)
        if runs and kind(runs[-1].events[-1]) == "workflow_execution_completed":
            break
        await asyncio.sleep(0.25)
    events = [event for run in runs for event in run.events]
    first = events[0].event_time.ToDatetime().replace(tzinfo=UTC)
    last = events[-1].event_time.ToDatetime().replace(tzinfo=UTC)
    months = (last - first).total_seconds() / (30 * 86400)
    per_month = Counter(int((e.event_time.ToDatetime().replace(tzinfo=UTC) - first).days // 30) for e in events)
    run_sizes = [{"events": len(run.events), "bytes": size_bytes(list(run.events))} for run in runs]
    total_bytes = sum(r["bytes"] for r in run_sizes)
    largest_event = max(e.ByteSize() for e in events)
    avg_per_month = len(events) / months if months else None
    return {
        "months": round(months, 1),
        "runs": len(runs),
        "continue_as_new": len(runs) - 1,
        "events": len(events),
        "bytes": total_bytes,
        "largest_run": max(run_sizes, key=lambda r: r["events"]),
        "largest_event_bytes": largest_event,
        "events_per_month_mean": round(avg_per_month, 1) if avg_per_month else None,
        "events_per_30_days": [per_month.get(i, 0) for i in range(int(months) + 1)],
        "bytes_per_event_mean": round(total_bytes / len(events), 1),
        "event_types": dict(Counter(kind(e) for e in events).most_common()),
        "markers": marker_counts(events),
        "activity_tasks": sum(1 for e in events if kind(e) == "activity_task_scheduled"),
        "workflow_tasks": sum(1 for e in events if kind(e) == "workflow_task_completed"),
        "share_of_continue_as_new_suggestion": {
            "events": round(max(r["events"] for r in run_sizes) / SUGGEST_CONTINUE_AS_NEW_EVENTS, 3),
            "bytes": round(max(r["bytes"] for r in run_sizes) / SUGGEST_CONTINUE_AS_NEW_BYTES, 3),
        },
        "share_of_hard_limit": {
            "events": round(max(r["events"] for r in run_sizes) / LIMIT_EVENTS, 4),
            "bytes": round(max(r["bytes"] for r in run_sizes) / LIMIT_BYTES, 4),
        },
    }


async def history_sizes(stack: BenchStack, api: StaffApi) -> dict[str, Any]:
    skipper = TimeSkipper(stack.client)
    results: dict[str, Any] = {
        "limits": {
            "suggest_continue_as_new_events": SUGGEST_CONTINUE_AS_NEW_EVENTS,
            "suggest_continue_as_new_bytes": SUGGEST_CONTINUE_AS_NEW_BYTES,
            "terminate_events": LIMIT_EVENTS,
            "terminate_bytes": LIMIT_BYTES,
        }
    }
    for name, drive in (("full_case", full_case), ("three_year_case", three_year_case)):
        today = london_date(datetime.now(UTC))
        reference, _ = await api.open_case(today)
        story = Story(stack, api, skipper, reference)
        try:
            await drive(story, today)
            results[name] = await _measure(stack, story)
        except Exception as error:  # report, and go on with the other measurements
            results[name] = {"error": repr(error)[:500]}
    three = results.get("three_year_case", {})
    if three.get("events_per_month_mean"):
        results["projection"] = {
            "months_to_continue_as_new_suggestion": round(
                SUGGEST_CONTINUE_AS_NEW_EVENTS / three["events_per_month_mean"], 1
            ),
            "years_to_hard_event_limit_without_continue_as_new": round(
                LIMIT_EVENTS / three["events_per_month_mean"] / 12, 1
            ),
        }
    return results
