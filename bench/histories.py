"""Reading workflow histories: size, every run of a case, and where the time went (activities by type, workflow
tasks, update round trips), from the event timestamps the server wrote."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client, WorkflowHistory

from bench.stats import median, summary_ms


def _at(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime()


def kind(event: HistoryEvent) -> str:
    """``activity_task_scheduled`` etc. (the name of the event's attributes, without ``_event_attributes``)."""
    return str(event.WhichOneof("attributes") or "").removesuffix("_event_attributes")


def size_bytes(events: Sequence[HistoryEvent]) -> int:
    return int(History(events=events).ByteSize())


async def all_runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow id, oldest first (continue-as-new chains included)."""
    runs = [execution async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
    runs.sort(key=lambda e: e.start_time)
    return [await client.get_workflow_handle(workflow_id, run_id=e.run_id).fetch_history() for e in runs]


@dataclass
class TimeSpent:
    """Seconds per activity type (queue: scheduled → started, run: started → closed) and for workflow tasks."""

    activity_queue: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    activity_run: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
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
            elif name == "workflow_task_scheduled":
                task_scheduled[event.event_id] = _at(event)
            elif name == "workflow_task_started":
                task_started[event.event_id] = _at(event)
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
        return {
            "cases": self.histories,
            "activities": activities,
            "workflow_tasks": {
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
    completion, with the workflow task run time and activity run time inside that span."""
    trips: list[dict[str, float]] = []
    last_task_scheduled: datetime | None = None
    open_updates: dict[str, datetime] = {}
    task_started_at: dict[int, datetime] = {}
    activity_started: dict[int, datetime] = {}
    spans: list[tuple[datetime, datetime, str]] = []  # (start, end, "task"|"activity")
    for event in events:
        name = kind(event)
        if name == "workflow_task_scheduled":
            last_task_scheduled = _at(event)
        elif name == "workflow_task_started":
            task_started_at[event.event_id] = _at(event)
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
                    "tasks": float(sum(1 for *_, what in inside if what == "task")),
                    "activities": float(sum(1 for *_, what in inside if what == "activity")),
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
    }
