"""Section "replicas": two API processes on one register, as production runs them (issue 16 point 3).

A decision answers from the workflow before its register write lands; the API process that answered waits for
that write before its own next read of the case (api/register_fence.py), but another replica does not know of the
decision. A client that read its own write on another replica passes the version it was answered with,
``?min_version=<version>`` (the ETag), and that replica waits for the register to hold it.

For each case (waiting at screening, untouched), after the stack has settled:
1. the screening decision through one replica (alternating which), timed;
2. at once, a plain read of the case on the *other* replica: whether it still showed the previous version (stale);
3. at once, a read on the other replica with ``min_version``: timed, and checked to show at least that version
   (a 503 counts as a failure; it never answers an older version).
A same-replica read right after a decision (the fence's wait) is timed for comparison.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from temporalio.client import Client

from bench.api_client import auth
from bench.latency import SCREENING_BODY
from bench.settle import SettleLog, settle
from bench.stack import BenchStack, Proc
from bench.stats import summary_ms
from domain.case_contract import case_workflow_id


def _version(response: httpx.Response) -> int:
    return int(response.headers["ETag"].removeprefix('W/"').removesuffix('"'))


async def across_replicas(stack: BenchStack, references: list[str], warmup: int) -> dict[str, Any]:
    if len(stack.api_urls) < 2:
        return {"error": "needs two API replicas (--api-replicas 2)"}
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in stack.api_urls[:2]]
    procs: list[Proc] = list(stack.procs.values())
    client: Client = stack.client
    settled = SettleLog()
    decision: list[float] = []
    fenced_same: list[float] = []
    other_min_version: list[float] = []
    stale_plain, failures, older = 0, 0, 0
    try:
        for i, reference in enumerate(references):
            first, other = clients[i % 2], clients[(i + 1) % 2]
            case_path = f"/api/v1/cases/{reference}"
            await settle(client, [case_workflow_id(reference)], procs, settled)
            start = time.perf_counter()
            answer = await first.post(
                f"{case_path}/decisions/screening", json=SCREENING_BODY, headers=auth("sub_group")
            )
            decided = time.perf_counter() - start
            if answer.status_code != 200:
                raise RuntimeError(f"screening on {reference}: {answer.status_code} {answer.text[:200]}")
            version = _version(answer)
            plain = await other.get(case_path, headers=auth("sub_group"))
            start = time.perf_counter()
            waited = await other.get(case_path, params={"min_version": version}, headers=auth("sub_group"))
            other_elapsed = time.perf_counter() - start
            start = time.perf_counter()
            same = await first.get(case_path, headers=auth("sub_group"))
            same_elapsed = time.perf_counter() - start
            if i < warmup:
                continue
            decision.append(decided)
            stale_plain += _version(plain) < version
            if waited.status_code != 200:
                failures += 1
            else:
                older += _version(waited) < version
                other_min_version.append(other_elapsed)
            if same.status_code == 200:
                fenced_same.append(same_elapsed)
                older += _version(same) < version
    finally:
        for http in clients:
            await http.aclose()
    measured = len(decision)
    return {
        "replicas": len(stack.api_urls),
        "decisions": measured,
        "settling": settled.as_dict(),
        "decision_alternating_replicas": summary_ms(decision),
        "read_other_replica_with_min_version": summary_ms(other_min_version),
        "read_same_replica_after_decision": summary_ms(fenced_same),
        "plain_read_other_replica_stale": stale_plain,
        "plain_read_other_replica_stale_share": round(stale_plain / measured, 3) if measured else None,
        "min_version_reads_failed": failures,
        "reads_older_than_answered": older,  # must be 0: read-your-writes across replicas
    }
