"""A case's version travels with it: every case answer carries it as ``ETag: W/"<version>"``; a read may ask for at
least a version (``min_version``), which any API process honours; a decision retried with the same
``Idempotency-Key`` is applied once; and a read of one case never waits for another case's register write."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from api.register_fence import RegisterFence
from domain.uk_time import london_date
from store.database import session_factory
from tests.api.test_read_your_writes import register_writes_held
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
SCREENING = {"recommendation": "initiate_scr", "rationale": "Screened at the sub-group"}


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        yield running


@asynccontextmanager
async def another_api_process(stack: Stack, *, wait: float = 5.0) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process over the same register and Temporal: it answered none of the stack's decisions."""
    context = AppContext(
        settings=stack.settings,
        sessions=session_factory(stack.engine),
        temporal=stack.client,
        fence=RegisterFence(wait=wait),
    )
    app = create_app(stack.settings, context)
    app.state.context = context  # httpx's ASGI transport does not run the lifespan
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http:
        yield http


def version(response: httpx.Response) -> int:
    match = re.fullmatch(r'W/"(\d+)"', response.headers.get("etag", ""))
    assert match, f"no case version in ETag: {response.headers.get('etag')!r}"
    return int(match.group(1))


async def opened_and_screenable(stack: Stack) -> str:
    """A case whose opening has finished (its last register write moves it to screening), so that a register
    write held back later cannot hold up the workflow task a decision needs."""
    body = {
        "board": stack.board,
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": {"outcome": "seriously_harmed", "abuse_or_neglect": "suspected", "inter_agency_concern": "no"},
    }
    opened = await stack.open_case(body)
    assert opened.status_code == 201, opened.text
    version(opened)
    reference: str = opened.json()["reference"]
    for _ in range(150):
        read = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))
        if read.json()["stage"] == "screening":
            return reference
        await asyncio.sleep(0.1)
    pytest.fail("the case did not reach screening within 15 s")


async def test_every_case_answer_carries_its_version_and_it_increases(stack: Stack) -> None:
    reference = await opened_and_screenable(stack)
    auditor = stack.auth("auditor")
    before = await stack.http.get(f"/api/v1/cases/{reference}", headers=auditor)
    timeline = await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=auditor)
    assert version(before) >= 1
    assert version(timeline) == version(before)

    decided = await stack.screen(reference)
    assert decided.status_code == 200, decided.text
    assert version(decided) > version(before)

    after = await stack.http.get(f"/api/v1/cases/{reference}", headers=auditor)
    assert after.json()["stage"] == "awaiting_chair_decision"
    assert version(after) >= version(decided)
    assert version(await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=auditor)) >= version(decided)


async def test_min_version_makes_any_api_process_wait_for_the_decision(stack: Stack, sqlite_url: str) -> None:
    reference = await opened_and_screenable(stack)
    auditor = stack.auth("auditor")
    async with another_api_process(stack) as other:
        async with register_writes_held(sqlite_url):
            decided = await asyncio.wait_for(stack.screen(reference), timeout=15)
            assert decided.status_code == 200, decided.text
            wanted = version(decided)
            # Without min_version the other process answers at once, with the version the register has.
            stale = await asyncio.wait_for(other.get(f"/api/v1/cases/{reference}", headers=auditor), timeout=5)
            assert stale.json()["stage"] == "screening"
            assert version(stale) < wanted
            read = asyncio.create_task(other.get(f"/api/v1/cases/{reference}?min_version={wanted}", headers=auditor))
            timeline = asyncio.create_task(
                other.get(f"/api/v1/cases/{reference}/timeline?min_version={wanted}", headers=auditor)
            )
            await asyncio.sleep(0.5)
            assert not read.done()  # it waits for the register to hold the decision, rather than show the old stage
            assert not timeline.done()
        case = await asyncio.wait_for(read, timeout=15)
        assert case.status_code == 200, case.text
        assert case.json()["stage"] == "awaiting_chair_decision"
        assert version(case) >= wanted
        events = (await asyncio.wait_for(timeline, timeout=15)).json()
        assert [e["details"].get("decision_kind") for e in events if e["kind"] == "decision"] == ["screening"]


async def test_a_version_the_register_has_not_reached_yet_is_503_not_an_older_version(
    stack: Stack, sqlite_url: str
) -> None:
    reference = await opened_and_screenable(stack)
    async with another_api_process(stack, wait=0.3) as other, register_writes_held(sqlite_url):
        decided = await asyncio.wait_for(stack.screen(reference), timeout=15)
        wanted = version(decided)
        behind = await other.get(f"/api/v1/cases/{reference}?min_version={wanted}", headers=stack.auth("auditor"))
    assert behind.status_code == 503, behind.text
    assert behind.headers["content-type"] == "application/problem+json"
    assert behind.headers["retry-after"] == "1"
    assert f"version {wanted}" in behind.json()["detail"]


async def test_a_version_the_case_never_reached_is_a_client_error(stack: Stack) -> None:
    """Retrying cannot help: the workflow itself is behind the version asked for."""
    reference = await opened_and_screenable(stack)
    held = version(await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor")))
    ahead = await stack.http.get(f"/api/v1/cases/{reference}?min_version={held + 50}", headers=stack.auth("auditor"))
    assert ahead.status_code == 422, ahead.text
    assert f"no version {held + 50}: it is at version {held}" in ahead.json()["detail"]
    assert (
        await stack.http.get(f"/api/v1/cases/{reference}?min_version=-1", headers=stack.auth("auditor"))
    ).status_code == 422


async def test_a_decision_retried_with_the_same_idempotency_key_is_applied_once(stack: Stack) -> None:
    reference = await opened_and_screenable(stack)
    headers = stack.auth("sub_group", "sam") | {"Idempotency-Key": "screening-2026-03-01.a"}
    path = f"/api/v1/cases/{reference}/decisions/screening"
    first = await stack.http.post(path, json=SCREENING, headers=headers)
    assert first.status_code == 200, first.text
    retried = await stack.http.post(path, json=SCREENING, headers=headers)
    assert retried.status_code == 200, retried.text  # not 409: the retry answers as the first request did
    assert version(retried) == version(first)
    assert retried.json()["stage"] == first.json()["stage"] == "awaiting_chair_decision"
    without_key = await stack.http.post(path, json=SCREENING, headers=stack.auth("sub_group", "sam"))
    assert without_key.status_code == 409  # a new decision: screened already

    timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
    assert [e["details"].get("decision_kind") for e in timeline if e["kind"] == "decision"] == ["screening"]


async def test_a_bad_idempotency_key_is_refused(stack: Stack) -> None:
    reference = await opened_and_screenable(stack)
    for key in ["", "has space", "semi;colon", "slash/key", "-leading-dash", "k" * 129]:
        response = await stack.http.post(
            f"/api/v1/cases/{reference}/decisions/screening",
            json=SCREENING,
            headers=stack.auth("sub_group") | {"Idempotency-Key": key},
        )
        assert response.status_code == 422, f"{key!r}: {response.text}"
        assert response.headers["content-type"] == "application/problem+json"
        assert "idempotency-key" in response.json()["detail"]
    accepted = await stack.http.post(
        f"/api/v1/cases/{reference}/decisions/screening",
        json=SCREENING,
        headers=stack.auth("sub_group") | {"Idempotency-Key": "k" * 128},
    )
    assert accepted.status_code == 200, accepted.text


async def test_a_read_of_one_case_does_not_wait_for_another_cases_write(stack: Stack, sqlite_url: str) -> None:
    a = await opened_and_screenable(stack)
    b = await opened_and_screenable(stack)
    auditor = stack.auth("auditor")
    async with register_writes_held(sqlite_url):
        decided = await asyncio.wait_for(stack.screen(b), timeout=15)  # answered; its register write waits
        assert decided.status_code == 200, decided.text
        started = time.monotonic()
        read_a = await asyncio.wait_for(stack.http.get(f"/api/v1/cases/{a}", headers=auditor), timeout=5)
        assert time.monotonic() - started < 1.0
        assert read_a.status_code == 200
        assert read_a.json()["stage"] == "screening"
        read_b = asyncio.create_task(stack.http.get(f"/api/v1/cases/{b}", headers=auditor))
        await asyncio.sleep(0.5)
        assert not read_b.done()  # this process answered b's decision: its read waits for the register
    assert (await asyncio.wait_for(read_b, timeout=15)).json()["stage"] == "awaiting_chair_decision"
