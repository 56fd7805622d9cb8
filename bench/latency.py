"""Section 1: decision round trip through the staff API, next to the floor measured in the same run.

Headline: ``POST /api/v1/cases/{ref}/decisions/screening`` (one decision per case, each on a different case) →
200 with the new state, against a bare ``execute_update`` on a trivial workflow (``bench.floor``) on the same
server through the same kind of client (Python SDK, same data converter and payload codec), interleaved one to
one so that background work (notices the decisions send) weighs on both alike.

Diagnostics (fewer samples, also interleaved) split the gap:
- floor + started activity: a trivial update that starts one no-op activity and answers without awaiting it (the
  structure of a decision since P8: its register write starts in the workflow task that answers);
- floor + local activity: a trivial update that awaits one no-op *local* activity (a decision from P1 to P8, which
  answered once the register had it; openings and clocks still write that way);
- floor + activity: the same with an ordinary activity (what the register write cost before P1);
- direct ``decide``: the product's update from a Python client, without HTTP and the API's register reads;
- ``chair`` over HTTP: a decision that also resolves deadlines (a local activity before it answers);
- the headline's decision through httpx: the HTTP decisions above go through a thin client of the bench's own
  (``bench.http_client``, which says why); this series shows what httpx's own time adds.

The server-side split comes from the histories (see ``bench.histories``): since P8 a decision completes in the
workflow task that received it, and its register write is an activity scheduled in that task.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.api_client import StaffApi
from bench.bare_floor import BareFloor
from bench.decision_cpu import cpu_per_decision
from bench.floor import FLOOR_TASK_QUEUE, BenchFloorWorkflow
from bench.histories import summarise_trips, update_round_trips
from bench.settle import SettleLog, settle
from bench.stack import BenchStack
from bench.stats import median, ratio, summary_ms
from domain.case_contract import case_workflow_id
from domain.case_messages import Actor, DecisionRequest
from domain.decision_inputs import RecordScreeningInput
from domain.roles import Role
from workflows.case_workflow import ScrCaseWorkflow

SCREENING_BODY = {"recommendation": "initiate_scr", "rationale": "Criteria met"}
CHAIR_BODY = {"decision": "initiate_scr", "rationale": "Regulation 5(2)(b)(i)"}
SUB_GROUP = Actor(user="bench", role=Role.SUB_GROUP)


def _screening_request() -> DecisionRequest:
    return DecisionRequest(
        actor=SUB_GROUP, decision=RecordScreeningInput(recommendation="initiate_scr", rationale="Criteria met")
    )


async def _start_floor(client: Client, count: int) -> list[WorkflowHandle[BenchFloorWorkflow, float]]:
    run = uuid.uuid4().hex[:6]
    handles = [
        await client.start_workflow(
            BenchFloorWorkflow.run, None, id=f"bench-floor-{run}-{i}", task_queue=FLOOR_TASK_QUEUE
        )
        for i in range(count)
    ]
    for handle in handles[:1]:
        await handle.execute_update(BenchFloorWorkflow.ping, 0)
    return handles


async def cases_waiting(api: StaffApi, idle: list[str], count: int, today: date) -> list[str]:
    """``count`` cases waiting at screening: taken from ``idle`` (opened earlier, untouched), the rest opened now."""
    taken = [idle.pop(0) for _ in range(min(count, len(idle)))]
    opened, _ = await api.open_many(count - len(taken), today)
    return taken + opened


async def decision_round_trip(
    stack: BenchStack,
    api: StaffApi,
    *,
    decisions: int,
    diagnostics: int,
    warmup: int,
    today: date,
    idle: list[str],
) -> dict[str, Any]:
    client = stack.client
    every = max(1, decisions // max(diagnostics, 1))  # a diagnostic round after every `every` headline pairs
    diagnostic_warmup = -(-warmup // every)
    http_refs = await cases_waiting(api, idle, warmup + decisions, today)
    direct_refs = await cases_waiting(api, idle, diagnostic_warmup + diagnostics, today)
    httpx_refs = await cases_waiting(api, idle, diagnostic_warmup + diagnostics, today)
    floors = await _start_floor(client, warmup + decisions)
    bare_server = BareFloor(stack)
    await bare_server.start()
    bare_floors = await bare_server.workflows(warmup + decisions)
    await stack.wait_quiet()
    procs = [*stack.procs.values(), *bare_server.procs]
    settled = SettleLog()

    async def timed(workflow_ids: list[str], call: Callable[[], Awaitable[Any]]) -> float:
        """One sample, taken once the work earlier samples deferred is done (``bench.settle``)."""
        await settle(client, workflow_ids, procs, settled)
        start = time.perf_counter()
        await call()
        return time.perf_counter() - start

    http_screening: list[float] = []
    floor_ping: list[float] = []
    bare_ping: list[float] = []
    direct: list[float] = []
    floor_activity: list[float] = []
    floor_local: list[float] = []
    floor_started: list[float] = []
    http_chair: list[float] = []
    httpx_screening: list[float] = []
    done = 0  # diagnostic rounds done

    async def diagnostic_round(keep: bool) -> None:
        nonlocal done
        case_id = case_workflow_id(direct_refs[done])
        handle = client.get_workflow_handle_for(ScrCaseWorkflow.run, case_id)
        floor, previous = floors[done], [case_id, floors[done].id, case_workflow_id(http_refs[done])]
        samples = (
            await timed(previous, lambda: handle.execute_update(ScrCaseWorkflow.decide, _screening_request())),
            await timed(previous, lambda: floor.execute_update(BenchFloorWorkflow.ping_local_activity, done)),
            await timed(previous, lambda: floor.execute_update(BenchFloorWorkflow.ping_activity, done)),
            # screened already in the headline loop
            await timed(previous, lambda: api.decide_thin(http_refs[done], "chair", "independent_chair", CHAIR_BODY)),
            await timed(previous, lambda: floor.execute_update(BenchFloorWorkflow.ping_start_activity, done)),
            await timed(previous, lambda: api.decide(httpx_refs[done], "screening", "sub_group", SCREENING_BODY)),
        )
        if keep:
            series_of = (direct, floor_local, floor_activity, http_chair, floor_started, httpx_screening)
            for kept, sample in zip(series_of, samples, strict=True):
                kept.append(sample)
        done += 1

    for i, (reference, floor, bare_floor) in enumerate(zip(http_refs, floors, bare_floors, strict=True)):
        touched = [case_workflow_id(reference), floor.id]
        trio: list[tuple[list[float], Callable[[], Awaitable[Any]]]] = [
            (http_screening, partial(api.decide_thin, reference, "screening", "sub_group", SCREENING_BODY)),
            (floor_ping, partial(floor.execute_update, BenchFloorWorkflow.ping, i)),
            (bare_ping, partial(bare_floor.execute_update, BenchFloorWorkflow.ping, i)),
        ]
        # Rotate which goes first, so that no series always runs first or last in its round.
        for kept, call in trio[i % 3 :] + trio[: i % 3]:
            elapsed = await timed(touched, call)
            if i >= warmup:
                kept.append(elapsed)
        if i % every == 0 and done < len(direct_refs):
            await diagnostic_round(keep=i >= warmup)
    while done < len(direct_refs):
        await diagnostic_round(keep=True)
    await stack.wait_quiet()
    for handle in bare_floors:
        await handle.signal(BenchFloorWorkflow.finish)
    await bare_server.close()

    # Opened only now: opened with the others, they pushed the section's cases past the worker's cache (2,000 in full
    # mode), and the headline's cases, the least recently used, were evicted one by one as the loop reached them:
    # every headline decision replayed its history first (see BENCHMARKS.md, the full run of 2026-12-07).
    cpu_refs = await cases_waiting(api, idle, decisions // 2, today)
    cpu = await cpu_per_decision(stack, api, cpu_refs)

    # Where the time goes inside the server, from the histories of a sample of the cases decided above.
    sample = http_refs[warmup : warmup + min(40, decisions)]
    screening_trips, chair_trips = [], []
    for reference in sample:
        trips = update_round_trips(
            (await client.get_workflow_handle(case_workflow_id(reference)).fetch_history()).events
        )
        if len(trips) >= 3:  # registered, screening, chair
            screening_trips.append(trips[1])
        if len(trips) >= 3 and warmup + sample.index(reference) < done:
            chair_trips.append(trips[2])
    floor_trips, floor_local_trips, floor_activity_trips, floor_started_trips = [], [], [], []
    for i, floor in enumerate(floors[warmup : warmup + 40]):
        trips = update_round_trips((await floor.fetch_history()).events)
        floor_trips.extend(trips[:1])  # ping (headline)
        if warmup + i < done:  # the diagnostic round's updates, in the order sent
            floor_local_trips.extend(trips[1:2])  # ping_local_activity
            floor_activity_trips.extend(trips[2:3])  # ping_activity
            floor_started_trips.extend(trips[3:4])  # ping_start_activity

    for handle in floors:
        await handle.signal(BenchFloorWorkflow.finish)

    series = {
        "http_screening": summary_ms(http_screening),
        "floor_update": summary_ms(floor_ping),
        "bare_server_floor_update": summary_ms(bare_ping),
        "http_chair": summary_ms(http_chair),
        "http_screening_httpx": summary_ms(httpx_screening),
        "direct_decide": summary_ms(direct),
        "floor_update_with_local_activity": summary_ms(floor_local),
        "floor_update_with_activity": summary_ms(floor_activity),
        "floor_update_starting_activity": summary_ms(floor_started),
    }
    ours, bare = series["http_screening"], series["floor_update"]
    p50 = {name: values.get("p50_ms") for name, values in series.items()}
    api_overhead = median(http_screening) - median(direct) if direct else None
    return {
        "decisions": decisions,
        "diagnostic_decisions": len(direct),
        "warmup_discarded": warmup,
        # The headline's and the chair's decisions go through bench.http_client (httpx spends ~2 ms a request of
        # its own); http_screening_httpx times the same decision through httpx, for comparison.
        "http_client": "bench.http_client.ThinHttp",
        "series": series,
        "settling": settled.as_dict(),
        "cpu_per_decision": cpu,
        "ratio": {**_ratios(ours, bare), "target": 1.5},
        # Against the same update on a dev server that runs nothing else: what the shared server adds shows here.
        "ratio_to_bare_server_floor": _ratios(ours, series["bare_server_floor_update"]),
        "floor_over_bare_server_floor": _ratios(bare, series["bare_server_floor_update"]),
        "ratio_chair": {
            "p50": ratio(series["http_chair"], bare, "p50_ms"),
            "p99": ratio(series["http_chair"], bare, "p99_ms"),
        },
        # The least an update costs that starts a write the way a decision does since P8: the same ratio against it.
        "ratio_to_floor_starting_activity": _ratios(ours, series["floor_update_starting_activity"]),
        # The least a read-your-writes update costs with a local register write (a decision from P1 to P8).
        "ratio_to_floor_with_local_activity": _ratios(ours, series["floor_update_with_local_activity"]),
        "decomposition_p50_ms": {
            "floor_update": p50["floor_update"],
            "one_activity_started": _diff(p50["floor_update_starting_activity"], p50["floor_update"]),
            "product_update_over_floor_starting_activity": _diff(
                p50["direct_decide"], p50["floor_update_starting_activity"]
            ),
            "for_comparison_one_local_activity": _diff(p50["floor_update_with_local_activity"], p50["floor_update"]),
            "api_http_and_register_reads": round(api_overhead * 1000, 1) if api_overhead is not None else None,
            "httpx_client_over_thin_client": _diff(p50["http_screening_httpx"], p50["http_screening"]),
            "http_screening": p50["http_screening"],
            "for_comparison_one_activity_round_trip": _diff(p50["floor_update_with_activity"], p50["floor_update"]),
        },
        "server_side_from_histories": {
            "screening_update": summarise_trips(screening_trips),
            "chair_update": summarise_trips(chair_trips),
            "floor_update": summarise_trips(floor_trips),
            "floor_update_with_local_activity": summarise_trips(floor_local_trips),
            "floor_update_with_activity": summarise_trips(floor_activity_trips),
            "floor_update_starting_activity": summarise_trips(floor_started_trips),
        },
    }


def _ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    return {p: ratio(ours, base, f"{p}_ms") for p in ("p50", "p95", "p99")}


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 1)
