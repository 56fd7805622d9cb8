"""Drives the staff API over real HTTP: opening cases, decisions, the no-waiting part of a lifecycle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from bench.http_client import ThinHttp
from bench.stack import BOARD
from domain.quality import QUALITY_RULES


def auth(role: str, user: str = "bench") -> dict[str, str]:
    return {"Authorization": f"Bearer dev:{role}:{user}"}


class ApiError(RuntimeError):
    pass


@dataclass(frozen=True)
class Step:
    kind: str
    role: str
    body: Callable[[date], dict[str, Any]]


# Named with the bench's sign-in (auth's user): a lead reviewer acts only on the cases that name their account.
REVIEWER = {
    "name": "R. Reviewer",
    "organisation": "Independent",
    "independence_statement": "No prior role",
    "account": "bench",
}

# The pre-publication copies carry these documents, so they are uploaded before the publication decision (001 §11).
PUBLICATION_DOCUMENTS = ("overview_report", "executive_summary", "board_response")
# What the anonymisation gate checks the documents against: it refuses to run on a case with none recorded.
IDENTIFIERS = {"names": ["Jayden Smith"], "postcodes": ["DN31 1HU"], "schools": ["Oakfield Primary"]}

# open → screening → chair → reviewers → panel advice → start review → final report → QA → action plan →
# publication decision: every step of a case that needs no waiting on dates.
LIFECYCLE: tuple[Step, ...] = (
    Step("screening", "sub_group", lambda _: {"recommendation": "initiate_scr", "rationale": "Criteria met"}),
    Step("chair", "independent_chair", lambda _: {"decision": "initiate_scr", "rationale": "Regulation 5(2)(b)(i)"}),
    Step("reviewers", "business_manager", lambda _: {"reviewers": [REVIEWER]}),
    Step("panel_advice", "business_manager", lambda _: {"outcome": "agrees", "advice": "Content with reviewer"}),
    Step("start_review", "independent_chair", lambda _: {"rationale": "Panel content"}),
    Step("final_report", "lead_reviewer", lambda _: {"document": "overview-1", "summary": "Final report"}),
    Step(
        "quality_assurance",
        "sub_group",
        lambda _: {"checks": {rule: {"passed": True, "comment": "Meets the standard"} for rule in QUALITY_RULES}},
    ),
    Step(
        "action_plan",
        "sub_group",
        lambda today: {
            "actions": [
                {
                    "action_id": "A1",
                    "description": "Improve information sharing",
                    "owner_agency": "Children's Services",
                    "due_on": (today + timedelta(days=90)).isoformat(),
                    "success_criteria": "Audit shows improvement",
                }
            ]
        },
    ),
    Step(
        "publication",
        "independent_chair",
        lambda today: {
            "decision": "publish",
            "publication_on": (today + timedelta(days=30)).isoformat(),
            "reasons": "Ready",
        },
    ),
)


class StaffApi:
    def __init__(self, base_url: str) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits)
        self.thin = ThinHttp(base_url)  # for the timed decisions only (bench/http_client.py says why)
        self.open_attempts = 0
        self.open_failures = 0  # 500s from concurrent openings (reference allocation race on SQLite)

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.thin.aclose()

    async def open_case(self, today: date, *, incident: dict[str, str] | None = None) -> tuple[str, float]:
        body = {
            "board": BOARD,
            "aware_on": today.isoformat(),
            "notified_on": today.isoformat(),
            "incident": incident or {"outcome": "died", "abuse_or_neglect": "suspected"},
        }
        detail = ""
        for _ in range(20):
            self.open_attempts += 1
            start = time.perf_counter()
            try:
                response = await self.http.post("/api/v1/cases", json=body, headers=auth("business_manager"))
            except httpx.TransportError as error:
                # uvicorn closes the connection after an unhandled error; a pooled keep-alive may be the one.
                self.open_failures += 1
                detail = repr(error)
                continue
            elapsed = time.perf_counter() - start
            if response.status_code == 201:
                return str(response.json()["reference"]), elapsed
            detail = f"{response.status_code} {response.text[:300]}"
            if response.status_code != 500:
                break
            # The register transaction rolled back (two openings took the same reference): safe to resend.
            self.open_failures += 1
            await asyncio.sleep(0.01)
        raise ApiError(f"open case: {detail}")

    async def decide(self, reference: str, kind: str, role: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        start = time.perf_counter()
        response = await self.http.post(f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=auth(role))
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise ApiError(f"{kind} on {reference}: {response.status_code} {response.text[:300]}")
        return dict(response.json()), elapsed

    async def decide_thin(self, reference: str, kind: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
        """``decide`` through the thin client: what the service takes, without httpx's own ~2 ms."""
        status, answer = await self.thin.post_json(f"/api/v1/cases/{reference}/decisions/{kind}", body, auth(role))
        if status != 200:
            raise ApiError(f"{kind} on {reference}: {status} {str(answer)[:300]}")
        return dict(answer)

    async def record_identifiers(self, reference: str) -> float:
        start = time.perf_counter()
        response = await self.http.put(
            f"/api/v1/cases/{reference}/identifiers", json=IDENTIFIERS, headers=auth("business_manager")
        )
        elapsed = time.perf_counter() - start
        if response.status_code not in (200, 204):
            raise ApiError(f"identifiers on {reference}: {response.status_code} {response.text[:300]}")
        return elapsed

    async def upload(self, reference: str, kind: str) -> float:
        """Upload a short Markdown document of ``kind`` (no identifying detail in it) as the business manager."""
        text = f"# {kind}\n\nChild J, aged 4. Agencies did not share information.\n".encode()
        start = time.perf_counter()
        response = await self.http.post(
            f"/api/v1/cases/{reference}/documents",
            data={"kind": kind},
            files={"file": (f"{kind}.md", text, "text/markdown")},
            headers=auth("business_manager"),
        )
        elapsed = time.perf_counter() - start
        if response.status_code != 201:
            raise ApiError(f"{kind} on {reference}: {response.status_code} {response.text[:300]}")
        return elapsed

    async def step(self, reference: str, step: Step, today: date) -> tuple[dict[str, Any], float]:
        return await self.decide(reference, step.kind, step.role, step.body(today))

    async def get(self, path: str, role: str) -> tuple[int, float, Any]:
        """Bytes, seconds and parsed body of one GET; the body is read in full (its size is part of the cost)."""
        start = time.perf_counter()
        response = await self.http.get(path, headers=auth(role))
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise ApiError(f"GET {path}: {response.status_code} {response.text[:300]}")
        return len(response.content), elapsed, response.json()

    async def tasks(self, role: str, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        """One page of ``GET /api/v1/tasks`` (``{items, total, limit, offset}`` since P4): the items and the total."""
        _, _, body = await self.get(f"/api/v1/tasks?limit={limit}&offset={offset}", role)
        return list(body["items"]), int(body["total"])

    async def open_many(self, count: int, today: date, concurrency: int = 8) -> tuple[list[str], list[float]]:
        """Open ``count`` cases with ``concurrency`` requests in flight; references in opening order."""
        references: list[str] = []
        times: list[float] = []
        queue = iter(range(count))

        async def opener() -> None:
            for _ in queue:
                reference, elapsed = await self.open_case(today)
                references.append(reference)
                times.append(elapsed)

        await asyncio.gather(*(opener() for _ in range(min(concurrency, count))))
        return references, times
