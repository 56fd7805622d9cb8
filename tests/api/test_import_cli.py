"""`scr import FILE` as staff run it: the command in a process of its own, over HTTP to the API served on a real
socket, with the real worker, Temporal, SQLite and SMTP sink behind it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from tests.support.case_harness import Stack, api_stack
from tests.support.dev_stack import SCR
from tests.support.import_rows import bad_rows, review_rows, to_csv
from tests.support.services import MailBox, free_port

TODAY = london_date(datetime.now(UTC))


@pytest.fixture
async def served(
    dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox
) -> AsyncIterator[tuple[Stack, str]]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as stack:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="warning"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), task
            await asyncio.sleep(0.05)
        try:
            yield stack, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


async def scr_import(url: str, path: Path, *options: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        SCR,
        "import",
        str(path),
        "--api-url",
        url,
        "--token",
        "dev:business_manager:bob",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_scr_import_checks_imports_and_imports_nothing_twice(served: tuple[Stack, str], tmp_path: Path) -> None:
    stack, url = served
    rows = [row for row in review_rows(stack.board, TODAY) if row["stage"] in ("in_review", "closed")]
    bad, column, _ = bad_rows(stack.board, TODAY)[0]
    with_bad = tmp_path / "with-bad.csv"
    with_bad.write_bytes(to_csv([*rows, bad]))
    code, out, err = await scr_import(url, with_bad, "--dry-run")
    assert code == 1, out + err
    assert f"row {len(rows) + 2}, column {column}: 2016-13-40 is not a date" in out + err

    good = tmp_path / "legacy.csv"
    good.write_bytes(to_csv(rows))
    code, out, err = await scr_import(url, good, "--dry-run")
    assert code == 0, err
    assert out.startswith(f"legacy.csv: would import {len(rows)} review(s), 0 created now")
    listed = await stack.http.get("/api/v1/cases", headers=Stack.auth("auditor"))
    assert listed.json()["total"] == 0

    code, out, err = await scr_import(url, good)
    assert code == 0, err
    assert out.startswith(f"legacy.csv: imported {len(rows)} review(s), {len(rows)} created now")
    first = next(line for line in out.splitlines() if line.startswith("row 2 "))
    assert first.split()[-2:] == ["in_review", "created"], first
    code, out, err = await scr_import(url, good)
    assert code == 0, err
    assert out.startswith(f"legacy.csv: imported {len(rows)} review(s), 0 created now")
    assert "already imported" in out
    listed = await stack.http.get("/api/v1/cases", headers=Stack.auth("auditor"))
    assert listed.json()["total"] == len(rows)
