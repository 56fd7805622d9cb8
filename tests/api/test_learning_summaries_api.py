"""The learning summaries through the API: run on demand, list, download; boards and roles respected. Real dev
server, worker, SQLite register (with a year of history) and SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from domain.learning_summary_contract import learning_summary_workflow_id
from domain.learning_summary_messages import LearningSummaryInput
from tests.support.case_harness import Stack, api_stack
from tests.support.learning_harness import populate_year
from tests.support.services import MailBox
from workflows.learning_summary_workflow import LearningSummaryWorkflow

YEAR = 2025
BM = Stack.auth("business_manager", "bob")


def other_board(stack: Stack) -> str:
    """A board this deployment does not serve."""
    return "ZZ" if stack.board != "ZZ" else "YY"


async def finished(client: Client, board: str, year: int) -> None:
    handle = client.get_workflow_handle_for(LearningSummaryWorkflow.run, learning_summary_workflow_id(board, year))
    await asyncio.wait_for(handle.result(), timeout=60)


async def test_staff_run_list_and_download_their_boards_summary(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as stack:
        cases = await populate_year(stack.engine, board=stack.board, year=YEAR)
        ran = await stack.http.post(
            "/api/v1/learning-summaries", json={"board": stack.board.lower(), "year": YEAR}, headers=BM
        )
        assert ran.status_code == 202, ran.text
        html_url = f"/api/v1/learning-summaries/{stack.board}/{YEAR}.html"
        assert ran.headers["Location"] == html_url
        assert ran.json() == {
            "board": stack.board,
            "year": YEAR,
            "status": "started",
            "workflow_id": f"scr-learning-summary-{stack.board}-{YEAR}",
            "html_url": html_url,
            "markdown_url": f"/api/v1/learning-summaries/{stack.board}/{YEAR}.md",
        }
        await finished(stack.client, stack.board, YEAR)

        # Every staff role reads them.
        listed = await stack.http.get("/api/v1/learning-summaries", headers=Stack.auth("agency_contact"))
        assert listed.status_code == 200, listed.text
        [item] = listed.json()
        assert (item["board"], item["year"], item["html_url"]) == (stack.board, YEAR, html_url)

        html = await stack.http.get(html_url, headers=Stack.auth("lead_reviewer"))
        assert html.status_code == 200, html.text
        assert html.headers["content-type"] == "text/html; charset=utf-8"
        assert html.headers["content-security-policy"].startswith("default-src 'none'")
        assert html.headers["etag"] == f'"{item["html_sha256"]}"'
        assert f"Annual learning summary {YEAR}" in html.text
        assert cases.published in html.text
        assert "<svg" in html.text
        # Board codes ignore case, as when opening a case.
        markdown = await stack.http.get(f"/api/v1/learning-summaries/{stack.board.lower()}/{YEAR}.md", headers=BM)
        assert markdown.status_code == 200, markdown.text
        assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
        assert markdown.text.startswith(f"# Annual learning summary {YEAR}")
        assert "Jayden" not in html.text + markdown.text

        # The public version on the site, without signing in: figures and learning, no case named (000).
        public = await stack.http.get(f"/public/learning/{stack.board}/{YEAR}/")
        assert public.status_code == 200, public.text
        assert f"Learning from Serious Case Reviews, {YEAR}" in public.text
        for absent in (cases.published, cases.late, cases.alternative, "Jayden"):
            assert absent not in public.text
        assert f'href="{stack.board}/{YEAR}/"' in (await stack.http.get("/public/learning/")).text

        # A year with no summary, and another board's summary, are not found.
        missing = await stack.http.get(f"/api/v1/learning-summaries/{stack.board}/2024.html", headers=BM)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        elsewhere = {"Authorization": f"Bearer dev:business_manager:eve:{other_board(stack)}"}
        assert (await stack.http.get(html_url, headers=elsewhere)).status_code == 404
        assert (await stack.http.get("/api/v1/learning-summaries", headers=elsewhere)).json() == []


async def test_a_run_under_way_is_not_started_twice(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as stack:
        # A run of the year already under way (here: on a queue no worker polls, so it stays under way).
        workflow_id = learning_summary_workflow_id(stack.board, YEAR)
        running = await stack.client.start_workflow(
            LearningSummaryWorkflow.run,
            LearningSummaryInput(board=stack.board, year=YEAR),
            id=workflow_id,
            task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
        )
        try:
            ran = await stack.http.post(
                "/api/v1/learning-summaries", json={"board": stack.board, "year": YEAR}, headers=BM
            )
            assert ran.status_code == 202, ran.text
            assert ran.json()["status"] == "already_running"
            assert ran.json()["workflow_id"] == workflow_id
        finally:
            with contextlib.suppress(RPCError):
                await running.terminate("test finished")


async def test_who_may_run_a_summary_and_for_which_board_and_year(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> None:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as stack:
        body = {"board": stack.board, "year": YEAR}
        refused = await stack.http.post("/api/v1/learning-summaries", json=body, headers=Stack.auth("lead_reviewer"))
        assert refused.status_code == 403
        assert "learning" in refused.json()["detail"]
        other = other_board(stack)
        own_board_only = {"Authorization": f"Bearer dev:independent_chair:alice:{other}"}
        wrong_board = await stack.http.post("/api/v1/learning-summaries", json=body, headers=own_board_only)
        assert wrong_board.status_code == 403
        unknown = await stack.http.post("/api/v1/learning-summaries", json={"board": other, "year": YEAR}, headers=BM)
        assert unknown.status_code == 422
        future = await stack.http.post(
            "/api/v1/learning-summaries", json={"board": stack.board, "year": 2999}, headers=BM
        )
        assert future.status_code == 422
        assert "has not begun" in future.json()["detail"]
