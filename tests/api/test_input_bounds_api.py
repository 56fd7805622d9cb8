"""Bad input gets a clear 4xx, never a 500 (issue 19, point 6): paging beyond range, dates before the SCR
regulations or impossible for an open case, chunked bodies over the limit; and a production start with an unsafe
set-up stops with one line. Register-only API (SQLite and PostgreSQL), the real stack for a case that opens, and
the `scr` command as deployed."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from store.database import create_engine
from tests.support.case_harness import Stack, api_stack
from tests.support.publication_harness import api_client, auth, create_case, settings_for
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
SCR = str(Path(sys.executable).with_name("scr"))


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    engine = create_engine(database_url)
    try:
        async with api_client(engine, settings_for(database_url, tmp_path, boards="NEL")) as http:
            yield http, engine
    finally:
        await engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/tasks"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", 10**30),
        ("limit", -(10**30)),
        ("limit", -1),
        ("limit", 0),
        ("limit", 201),
        ("offset", 10**30),
        ("offset", -1),
        ("offset", 2**31),
        ("offset", "1e3"),
    ],
)
async def test_paging_beyond_range_is_422_naming_the_parameter(
    api: tuple[httpx.AsyncClient, AsyncEngine], path: str, name: str, value: object
) -> None:
    http, _ = api
    response = await http.get(path, params={name: str(value)}, headers=auth("auditor"))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == f"query.{name}"


async def test_the_largest_offset_answers_an_empty_page(api: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, engine = api
    await create_case(engine)
    for path in ("/api/v1/cases", "/api/v1/tasks"):
        response = await http.get(path, params={"offset": 2**31 - 1, "limit": 200}, headers=auth("business_manager"))
        assert response.status_code == 200, response.text
        assert response.json()["items"] == []


def case_body(**dates: str) -> dict[str, Any]:
    return {
        "board": "NEL",
        "aware_on": (TODAY - timedelta(days=3)).isoformat(),
        "notified_on": (TODAY - timedelta(days=1)).isoformat(),
        "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        **dates,
    }


@pytest.mark.parametrize(
    ("dates", "field", "reason"),
    [
        ({"aware_on": "2006-03-31"}, "aware_on", "before 2006-04-01, when the SCR regulations"),
        ({"aware_on": "1900-01-01", "notified_on": "1900-01-02"}, "aware_on", "Local Safeguarding Children Boards"),
        ({"aware_on": "0001-01-01"}, "aware_on", "before 2006-04-01"),
        ({"aware_on": (TODAY + timedelta(days=1)).isoformat()}, "", "notified_on cannot be before aware_on"),
        ({"aware_on": "9999-12-31", "notified_on": "9999-12-31"}, "aware_on", "aware_on 9999-12-31 is in the future"),
        ({"notified_on": (TODAY + timedelta(days=1)).isoformat()}, "notified_on", "is in the future"),
    ],
)
async def test_impossible_case_dates_are_422_with_the_reason(
    api: tuple[httpx.AsyncClient, AsyncEngine], dates: dict[str, str], field: str, reason: str
) -> None:
    http, _ = api
    response = await http.post("/api/v1/cases", json=case_body(**dates), headers=auth("business_manager"))
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
    if field:
        assert field in [error["field"] for error in response.json()["errors"]]
    assert (await http.get("/api/v1/cases", headers=auth("auditor"))).json()["total"] == 0


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        (
            "information_request",
            {
                "request_id": "IR1",
                "agency": "Police",
                "information": "i",
                "necessity": "n",
                "proportionality": "p",
                "due_on": "2006-03-31",
            },
            "due_on",
        ),
        ("publication_date", {"publication_on": "2100-01-01", "reason": "r"}, "publication_on"),
        ("retention", {"keep_until": "9999-12-31", "reason": "r"}, "keep_until"),
        (
            "final_publication",
            {"decision": "publish", "publication_on": "1999-05-01", "rationale": "r"},
            "publication_on",
        ),
    ],
)
async def test_decision_dates_outside_the_regime_are_422_before_reaching_the_case(
    api: tuple[httpx.AsyncClient, AsyncEngine], kind: str, body: dict[str, str], field: str
) -> None:
    http, engine = api
    reference = await create_case(engine)  # register only: a refused body never reaches the workflow
    role = {"information_request": "business_manager"}.get(kind, "independent_chair")
    response = await http.post(f"/api/v1/cases/{reference}/decisions/{kind}", json=body, headers=auth(role))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert "SCR regulations" in error["message"] or "no case runs that long" in error["message"]


async def chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    yield b'{"padding": "'
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


async def test_a_chunked_body_over_the_limit_is_413(api: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = api
    for path in ("/api/v1/cases", "/api/v1/screening", "/api/v1/public/requests"):
        response = await http.post(
            path,
            content=chunks(2 * 1024 * 1024),  # a generator: sent chunked, without Content-Length
            headers=auth("business_manager") | {"Content-Type": "application/json"},
        )
        assert response.status_code == 413, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_chunked_body_within_the_limit_is_read_as_usual(api: tuple[httpx.AsyncClient, AsyncEngine]) -> None:
    http, _ = api

    async def body() -> AsyncIterator[bytes]:
        yield b'{"outcome": "died", '
        yield b'"abuse_or_neglect": "known"}'

    response = await http.post(
        "/api/v1/screening", content=body(), headers=auth("sub_group") | {"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, sqlite_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, sqlite_url, mail.port) as running:
        yield running


async def test_a_case_from_the_regimes_first_days_opens(stack: Stack) -> None:
    body = {**case_body(aware_on="2006-04-03", notified_on="2006-04-04"), "board": stack.board}
    opened = await stack.open_case(body)
    assert opened.status_code == 201, opened.text
    assert {d["key"]: d["due"] for d in opened.json()["deadlines"]}["notify_ofsted"] == "2006-04-10"


# -- a production start that is not safe stops with one line ---------------------------------------------------


def run_scr(command: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "TEMPORAL_"))}
    clean.update(SCR_VAR_DIR=str(tmp_path / "var"), SCR_ENVIRONMENT="production", **env)
    return subprocess.run([SCR, command], env=clean, capture_output=True, text=True, timeout=60, check=False)


KEYS = "k1:" + base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("command", "env", "message"),
    [
        ("api", {"SCR_PAYLOAD_KEYS": KEYS}, "SCR_ENVIRONMENT=production refuses SCR_AUTH_MODE=dev"),
        ("dev", {"SCR_PAYLOAD_KEYS": KEYS}, "SCR_ENVIRONMENT=production refuses SCR_AUTH_MODE=dev"),
        ("api", {"SCR_AUTH_MODE": "oidc", "SCR_OIDC_ISSUER": "https://idp.example"}, "SCR_PAYLOAD_KEYS"),
        (
            "api",
            {"SCR_AUTH_MODE": "oidc", "SCR_OIDC_ISSUER": "https://idp.example", "SCR_PAYLOAD_KEYS": KEYS},
            "SCR_AUTH_MODE=oidc needs SCR_OIDC_AUDIENCE",
        ),
        (
            "api",
            {
                "SCR_AUTH_MODE": "oidc",
                "SCR_OIDC_ISSUER": "https://idp.example",
                "SCR_OIDC_AUDIENCE": "scr",
                "SCR_PAYLOAD_KEYS": KEYS,
            },
            "needs SCR_CALENDAR_FEED_SECRET",
        ),
        ("worker", {}, "SCR_PAYLOAD_KEYS"),
    ],
)
def test_an_unsafe_production_start_stops_with_one_clear_line(
    command: str, env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = run_scr(command, tmp_path, SCR_API_PORT="1", **env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
