"""Board scoping in the console, on a stack serving two boards: a board member sees their board's cases only
(another board's case is not found), an auditor sees both and can narrow the list to one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.context import AppContext
from store.database import create_engine, session_factory
from tests.console.pages import one_h1, sign_in
from tests.console.test_console_pages import TODAY
from tests.support.case_harness import running_worker, settings_for
from tests.support.services import MailBox


@asynccontextmanager
async def two_board_app(client: Client, database_url: str, smtp_port: int) -> AsyncIterator[httpx.AsyncClient]:
    one = settings_for(database_url=database_url, smtp_port=smtp_port)
    settings = one.model_copy(update={"boards": sorted({one.boards[0], one.boards[0][::-1] + "Q"})})
    engine = create_engine(database_url)
    app = create_app(settings, AppContext(settings=settings, sessions=session_factory(engine), temporal=client))
    app.state.context = AppContext(settings=settings, sessions=session_factory(engine), temporal=client)
    try:
        async with (
            running_worker(client, engine, settings),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scr.test") as http,
        ):
            yield http
    finally:
        await engine.dispose()


@pytest.fixture
async def http(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[httpx.AsyncClient]:
    async with two_board_app(dev_server_env.client, sqlite_url, mail.port) as client:
        yield client


async def test_each_board_sees_its_own_cases_and_an_auditor_narrows_by_board(http: httpx.AsyncClient) -> None:
    boards: list[str] = sorted(http._transport.app.state.context.settings.boards)  # type: ignore[attr-defined]
    references = {}
    for board in boards:
        body = {
            "board": board,
            "aware_on": TODAY.isoformat(),
            "notified_on": TODAY.isoformat(),
            "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        }
        opened = await http.post(
            "/api/v1/cases", json=body, headers={"Authorization": "Bearer dev:business_manager:bob"}
        )
        assert opened.status_code == 201, opened.text
        references[board] = opened.json()["reference"]
    first, second = boards

    await sign_in(http, "business_manager", user="bob", board=first)
    listed = await http.get("/console/cases")
    assert references[first] in listed.text
    assert references[second] not in listed.text
    assert 'name="board"' not in listed.text  # one board: nothing to choose
    other = await http.get(f"/console/cases/{references[second]}")
    assert other.status_code == 404
    assert one_h1(other.text) == "Page not found"

    await sign_in(http, "auditor", user="ann")
    everything = await http.get("/console/cases")
    assert references[first] in everything.text
    assert references[second] in everything.text
    narrowed = await http.get("/console/cases", params={"board": second})
    assert references[second] in narrowed.text
    assert references[first] not in narrowed.text
    widened = await http.get("/console/cases", params={"board": "ZZZ"})  # not theirs: ignored, never widened
    assert "2 cases" in widened.text
