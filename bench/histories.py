"""Reading workflow histories: size, every run of a case, and where the time went (activities by type, workflow
tasks, update round trips), from the event timestamps the server wrote.

Local activities (the case workflow's register write and deadline resolution since P1) leave no activity events:
the worker runs them inside a workflow task and the SDK records one ``MarkerRecorded`` event each
(``core_local_activity``) when that task completes. Its ``data`` detail is plain JSON written by the SDK core:
``activity_type``, ``attempt``, ``original_schedule_time`` (the worker's wall clock when the workflow code scheduled
it) and ``complete_time``, which the core computes as *workflow time when the activity was scheduled* (the start of
the workflow task, as the server stamped it) + the activity's run time in the worker (dispatch to result). So a
local activity's run time is ``complete_time`` minus the ``WorkflowTaskStarted`` time of the task that ran it (not
minus ``original_schedule_time``: that mixes the two clocks and drops the workflow code run before it, which can
make it negative). It is part of that workflow task's run time, not beside it. ``workflow.patched`` leaves a
``core_patch`` marker (``patch-data``: ``{"id": ...}``) in the first task that reaches each patch.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client, WorkflowHistory

from bench.stats import median, summary_ms


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime()


def kind(event: HistoryEvent) -> str:
    """``activity_task_scheduled`` etc. (the name of the event's attributes, without ``_event_attributes``)."""
    return str(event.WhichOneof("attributes") or "").removesuffix("_event_attributes")


LOCAL_ACTIVITY_MARKER = "core_local_activity"
PATCH_MARKER = "core_patch"


@dataclass(frozen=True)
class LocalActivity:
    """What a ``core_local_activity`` marker says (times naive UTC, like ``_at``)."""

    activity_type: str
    attempt: int
    scheduled: datetime | None  # the worker's wall clock
    completed: datetime | None  # workflow time of its workflow task's start + run time in the worker

    def run_s(self, task_started: datetime | None) -> float | None:
        """Run time in the worker, given the ``WorkflowTaskStarted`` time of the workflow task that ran it."""
        if self.completed is None or task_started is None:
            return None
        return max((self.completed - task_started).total_seconds(), 0.0)


def _marker_json(event: HistoryEvent, key: str) -> dict[str, Any] | None:
    """The JSON of a marker detail written by the SDK core (plain JSON; None if absent or not readable)."""
    details = event.marker_recorded_event_attributes.details
    if key not in details or not details[key].payloads:
        return None
    payload = details[key].payloads[0]
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        data = json.loads(payload.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _timestamp(value: Any) -> datetime | None:
    """A protobuf timestamp as serialised in marker data: ``{"seconds", "nanos"}`` or an RFC 3339 string."""
    if isinstance(value, dict) and "seconds" in value:
        moment = datetime.fromtimestamp(int(value["seconds"]) + int(value.get("nanos", 0)) / 1e9, UTC)
        return moment.replace(tzinfo=None)
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
    return None


def marker_name(event: HistoryEvent) -> str | None:
    return event.marker_recorded_event_attributes.marker_name if kind(event) == "marker_recorded" else None


def local_activity(event: HistoryEvent) -> LocalActivity | None:
    """The local activity a ``core_local_activity`` marker records; None for any other event."""
    if marker_name(event) != LOCAL_ACTIVITY_MARKER:
        return None
    data = _marker_json(event, "data") or {}
    return LocalActivity(
        activity_type=str(data.get("activity_type") or "?"),
        attempt=int(data.get("attempt") or 1),
        scheduled=_timestamp(data.get("original_schedule_time")),
        completed=_timestamp(data.get("complete_time")),
    )


def patch_id(event: HistoryEvent) -> str | None:
    """The patch id of a ``core_patch`` marker; None for any other event."""
    if marker_name(event) != PATCH_MARKER:
        return None
    data = _marker_json(event, "patch-data") or {}
    return str(data.get("id") or "?")


def marker_counts(events: Sequence[HistoryEvent]) -> dict[str, Any]:
    """Markers of a history: local activities by type, patches by id, other markers by name."""
    local: Counter[str] = Counter()
    patches: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for event in events:
        if (done := local_activity(event)) is not None:
            local[done.activity_type] += 1
        elif (patch := patch_id(event)) is not None:
            patches[patch] += 1
        elif (name := marker_name(event)) is not None:
            other[name] += 1
    return {"local_activities": dict(local), "patches": dict(patches), "other": dict(other)}


def size_bytes(events: Sequence[HistoryEvent]) -> int:
    return int(History(events=events).ByteSize())


async def all_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow id, oldest first (continue-as-new chains included)."""
    runs = [execution async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    runs.sort(key=lambda e: e.start_time)
    return [await client.get_workflow_handle(workflow_id, run_id=e.run_id).fetch_history() for e in runs]


@dataclass
class TimeSpent:
    """Seconds per activity type (queue: scheduled → started, run: started → closed), per local activity type
    (run in the worker, from its marker; inside a workflow task's run) and for workflow tasks."""

    activity_queue: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    activity_run: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    local_run: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    local_count: Counter[str] = field(default_factory=Counter)
    local_attempts: Counter[str] = field(default_factory=Counter)
    patches: Counter[str] = field(default_factory=Counter)
    task_queue: list[float] = field(default_factory=list)
    task_run: list[float] = field(default_factory=list)
    event_types: Counter[str] = field(default_factory=Counter)
    histories: int = 0

    def add(self, events: Sequence[HistoryEvent]) -> None:
        self.histories += 1
        activity_type: dict[int, str] = {}
        scheduled: dict[int, datetime] = {}
        started: dict[int, datetime] = {}
        task_scheduled: dict[int, datetime] = {}
        task_started: dict[int, datetime] = {}
        last_task_started: datetime | None = None
        for event in events:
            name = kind(event)
            self.event_types[name] += 1
            if name == "activity_task_scheduled":
                activity_type[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
                scheduled[event.event_id] = _at(event)
            elif name == "activity_task_started":
                started[event.activity_task_started_event_attributes.scheduled_event_id] = _at(event)
            elif name in ("activity_task_completed", "activity_task_failed", "activity_task_timed_out"):
                attributes = getattr(event, f"{name}_event_attributes")
                key = attributes.scheduled_event_id
                if key in started and key in scheduled:
                    type_name = activity_type[key]
                    self.activity_queue[type_name].append((started[key] - scheduled[key]).total_seconds())
                    self.activity_run[type_name].append((_at(event) - started[key]).total_seconds())
            elif name == "marker_recorded":
                if (done := local_activity(event)) is not None:
                    self.local_count[done.activity_type] += 1
                    self.local_attempts[done.activity_type] += done.attempt
                    run = done.run_s(last_task_started)
                    if run is not None:
                        self.local_run[done.activity_type].append(run)
                elif (patch := patch_id(event)) is not None:
                    self.patches[patch] += 1
            elif name == "workflow_task_scheduled":
                task_scheduled[event.event_id] = _at(event)
            elif name == "workflow_task_started":
                task_started[event.event_id] = last_task_started = _at(event)
                key = event.workflow_task_started_event_attributes.scheduled_event_id
                if key in task_scheduled:
                    self.task_queue.append((_at(event) - task_scheduled[key]).total_seconds())
            elif name == "workflow_task_completed":
                key = event.workflow_task_completed_event_attributes.started_event_id
                if key in task_started:
                    self.task_run.append((_at(event) - task_started[key]).total_seconds())

    def per_history(self) -> dict[str, Any]:
        """Sums per history (per case), in ms, and the median of each step."""
        n = max(self.histories, 1)
        activities = {
            name: {
                "count_per_case": round(len(runs) / n, 2),
                "run_ms_per_case": round(sum(runs) * 1000 / n, 1),
                "queue_ms_per_case": round(sum(self.activity_queue[name]) * 1000 / n, 1),
                "run_median_ms": round(median(runs) * 1000, 1),
            }
            for name, runs in sorted(self.activity_run.items())
        }
        local_activities = {
            name: {
                "count_per_case": round(count / n, 2),
                "attempts_per_case": round(self.local_attempts[name] / n, 2),
                "run_ms_per_case": round(sum(self.local_run[name]) * 1000 / n, 1),
                "run_median_ms": round(median(self.local_run[name]) * 1000, 1) if self.local_run[name] else None,
            }
            for name, count in sorted(self.local_count.items())
        }
        return {
            "cases": self.histories,
            "activities": activities,
            "local_activities": local_activities,
            "patch_markers_per_case": {name: round(count / n, 2) for name, count in sorted(self.patches.items())},
            "workflow_tasks": {  # run time includes the local activities run inside the tasks
                "count_per_case": round(len(self.task_run) / n, 2),
                "run_ms_per_case": round(sum(self.task_run) * 1000 / n, 1),
                "queue_ms_per_case": round(sum(self.task_queue) * 1000 / n, 1),
                "run_median_ms": round(median(self.task_run) * 1000, 1),
                "queue_median_ms": round(median(self.task_queue) * 1000, 1),
            },
            "events_per_case": round(sum(self.event_types.values()) / n, 1),
        }


def update_round_trips(events: Sequence[HistoryEvent]) -> list[dict[str, float]]:
    """For each accepted update: seconds from the workflow task that carried it being scheduled to the update's
    completion, with the workflow task run time, activity run time and local activity run time (part of the task
    run time: it runs inside the task) inside that span."""
    trips: list[dict[str, float]] = []
    last_task_scheduled: datetime | None = None
    open_updates: dict[str, datetime] = {}
    task_started_at: dict[int, datetime] = {}
    last_task_started: datetime | None = None
    activity_started: dict[int, datetime] = {}
    spans: list[tuple[datetime, datetime, str]] = []  # (start, end, "task"|"activity"|"local")
    for event in events:
        name = kind(event)
        if name == "workflow_task_scheduled":
            last_task_scheduled = _at(event)
        elif name == "workflow_task_started":
            task_started_at[event.event_id] = last_task_started = _at(event)
        elif name == "workflow_task_completed":
            started = task_started_at.get(event.workflow_task_completed_event_attributes.started_event_id)
            if started is not None:
                spans.append((started, _at(event), "task"))
        elif name == "activity_task_started":
            activity_started[event.activity_task_started_event_attributes.scheduled_event_id] = _at(event)
        elif name == "activity_task_completed":
            started = activity_started.get(event.activity_task_completed_event_attributes.scheduled_event_id)
            if started is not None:
                spans.append((started, _at(event), "activity"))
        elif name == "marker_recorded":
            done = local_activity(event)
            run = done.run_s(last_task_started) if done is not None else None
            if done is not None and run is not None:
                # From when the workflow code scheduled it (worker clock; same machine as the server here).
                start = done.scheduled or last_task_started
                assert start is not None
                spans.append((start, start + timedelta(seconds=run), "local"))
        elif name == "workflow_execution_update_accepted" and last_task_scheduled is not None:
            open_updates[event.workflow_execution_update_accepted_event_attributes.protocol_instance_id] = (
                last_task_scheduled
            )
        elif name == "workflow_execution_update_completed":
            update_id = event.workflow_execution_update_completed_event_attributes.meta.update_id
            begin = open_updates.pop(update_id, None)
            if begin is None:
                continue
            end = _at(event)
            inside = [(s, e, what) for s, e, what in spans if s >= begin and e <= end]
            trips.append(
                {
                    "server_s": (end - begin).total_seconds(),
                    "task_run_s": sum((e - s).total_seconds() for s, e, what in inside if what == "task"),
                    "activity_run_s": sum((e - s).total_seconds() for s, e, what in inside if what == "activity"),
                    "local_activity_run_s": sum((e - s).total_seconds() for s, e, what in inside if what == "local"),
                    "tasks": float(sum(1 for *_, what in inside if what == "task")),
                    "activities": float(sum(1 for *_, what in inside if what == "activity")),
                    "local_activities": float(sum(1 for *_, what in inside if what == "local")),
                }
            )
    return trips


def summarise_trips(trips: list[dict[str, float]]) -> dict[str, Any]:
    if not trips:
        return {"n": 0}
    return {
        "n": len(trips),
        "server_side": summary_ms(t["server_s"] for t in trips),
        "workflow_task_run_median_ms": round(median([t["task_run_s"] for t in trips]) * 1000, 1),
        "activity_run_median_ms": round(median([t["activity_run_s"] for t in trips]) * 1000, 1),
        "workflow_tasks_median": median([t["tasks"] for t in trips]),
        "activities_median": median([t["activities"] for t in trips]),
        "local_activity_run_median_ms": round(median([t["local_activity_run_s"] for t in trips]) * 1000, 1),
        "local_activities_median": median([t["local_activities"] for t in trips]),
    }
