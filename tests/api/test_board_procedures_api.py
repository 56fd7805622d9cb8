"""Each case's deadlines cite its own board's procedure (issue 19, point 8): a deployment serving two boards, one
with its procedure configured (SCR_BOARD_PROCEDURES) and one without; neither's cases cite NEL's. Real Temporal
dev server, worker (which computes the deadlines), SQLite and PostgreSQL registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from store.database import session_factory
from store.models import Case, CaseDeadline
from tests.support.case_harness import Stack, api_stack
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
KENT = "Kent Safeguarding Children Board SCR procedure"


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(
        dev_server_env.client,
        database_url,
        mail.port,
        boards=["{}", "{}Q"],  # the stack's own board, with its procedure configured, and a second without one
        board_procedures={"{}": KENT},
    ) as running:
        yield running


def sources(case: dict[str, Any]) -> list[str]:
    return [deadline["source"] for deadline in case["deadlines"]]


async def test_every_deadline_cites_the_cases_own_boards_procedure(stack: Stack) -> None:
    configured, unconfigured = stack.settings.boards
    body = {
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
    }
    expected = {configured: KENT, unconfigured: f"{unconfigured} SCR procedure"}
    for board, procedure in expected.items():
        opened = await stack.open_case(body | {"board": board})
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        screened = await stack.screen(reference)  # answered from the workflow's own state
        chair = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Reg. 5(2)(b)(i)"})
        assert chair.status_code == 200, chair.text
        read = await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("auditor"))  # the register's
        for case in (opened.json(), screened.json(), chair.json(), read.json()):
            assert case["deadlines"], case
            for source in sources(case):
                assert "NEL" not in source, source
                assert source.split("; ")[0] == procedure, source

    # The worker computed them so: the register itself holds each board's citation, not only what the API shows.
    async with session_factory(stack.engine)() as session:
        stored = list(await session.execute(select(Case.board, CaseDeadline.source).join(Case)))
    assert {board for board, _ in stored} == set(expected)
    for board, source in stored:
        assert source.split("; ")[0] == expected[board], source

    calendar = await stack.http.get("/api/v1/calendar.ics", headers=stack.auth("auditor"))
    unfolded = calendar.text.replace("\r\n ", "")
    assert f"({KENT})" in unfolded
    assert f"({unconfigured} SCR procedure)" in unfolded
    assert "NEL SCR procedure" not in unfolded
