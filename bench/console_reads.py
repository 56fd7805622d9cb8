"""The staff console's pages a board feels most (issue 16 point 4), read over HTTP as a signed-in browser would.

Each role signs in once through the dev sign-in form (the session cookie and its CSRF token, as in
tests/console/pages.py), then each page is read one at a time with the stack quiet: My tasks (first and last
page, with its overdue banner), the case list (first page, last page, stage filter, sort by next deadline) and one
case's page. Timed with the HTML read in full; the count of pages rendered is checked by status 200 only.
"""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from api.console.pages import PAGE_SIZE as CONSOLE_PAGE
from bench.stack import BOARD
from bench.stats import summary_ms

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleReader:
    def __init__(self, base_url: str) -> None:
        self._base_url = base_url
        self._clients: dict[str, httpx.AsyncClient] = {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def _signed_in(self, role: str) -> httpx.AsyncClient:
        client = self._clients.get(role)
        if client is None:
            client = httpx.AsyncClient(base_url=self._base_url, timeout=60)
            page = await client.get("/console/sign-in")
            found = CSRF.search(page.text)
            if page.status_code != 200 or found is None:
                raise RuntimeError(f"console sign-in page: {page.status_code}")
            form = {"csrf_token": found.group(1), "role": role, "user": "bench", "board": BOARD}
            answer = await client.post("/console/sign-in", data=form)
            if answer.status_code not in (200, 303):
                raise RuntimeError(f"console sign-in as {role}: {answer.status_code} {answer.text[:200]}")
            self._clients[role] = client
        return client

    async def get(self, path: str, role: str) -> tuple[int, float]:
        client = await self._signed_in(role)
        start = time.perf_counter()
        response = await client.get(path)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} as {role}: {response.status_code} {response.text[:200]}")
        return len(response.content), elapsed


def console_paths(cases: int, sub_group_tasks: int, reference: str) -> list[tuple[str, str, str]]:
    last_cases = max(1, -(-cases // CONSOLE_PAGE))
    last_tasks = max(1, -(-sub_group_tasks // CONSOLE_PAGE))
    return [
        ("console: my tasks, sub_group", "/console/tasks", "sub_group"),
        ("console: my tasks, sub_group, last page", f"/console/tasks?page={last_tasks}", "sub_group"),
        ("console: cases, first page", "/console/cases", "business_manager"),
        ("console: cases, last page", f"/console/cases?page={last_cases}", "business_manager"),
        ("console: cases, stage=screening", "/console/cases?stage=screening", "business_manager"),
        ("console: cases, next deadline soonest", "/console/cases?sort=next_deadline", "business_manager"),
        ("console: case page", f"/console/cases/{reference}", "business_manager"),
    ]


async def console_reads(
    reader: ConsoleReader, *, cases: int, sub_group_tasks: int, reference: str, samples: int
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for label, path, role in console_paths(cases, sub_group_tasks, reference):
        for _ in range(2):  # warm-up
            await reader.get(path, role)
        times, size = [], 0
        for _ in range(samples):
            size, elapsed = await reader.get(path, role)
            times.append(elapsed)
        results[label] = {**summary_ms(times), "response_bytes": size}
    return results
