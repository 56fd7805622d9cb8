"""`scr dev` as a user runs it: one command, real ports, a case through curl-like HTTP, Ctrl-C to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from domain.uk_time import london_date
from tests.support.dev_stack import SCR, running_dev_stack, stack_env, wait_for_line
from workers.ports import ensure_free


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return stack_env(tmp_path)


@pytest.fixture
def running_stack(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    with running_dev_stack(env) as process:
        yield process


def test_scr_dev_runs_the_slice_and_stops_cleanly_on_ctrl_c(
    running_stack: subprocess.Popen[str], env: dict[str, str]
) -> None:
    banner = wait_for_line(running_stack, "Press Ctrl-C to stop.", seconds=90)
    api = f"http://127.0.0.1:{env['SCR_API_PORT']}"
    assert api in banner
    assert f"http://127.0.0.1:{env['SCR_TEMPORAL_UI_PORT']}" in banner

    today = london_date(datetime.now(UTC)).isoformat()
    headers = {"Authorization": "Bearer dev:business_manager:bob"}
    body = {
        "board": "NEL",
        "aware_on": today,
        "notified_on": today,
        "incident": {"outcome": "seriously_harmed", "abuse_or_neglect": "known", "inter_agency_concern": "yes"},
    }
    with httpx.Client(base_url=api, timeout=30) as http:
        opened = http.post("/api/v1/cases", json=body, headers=headers)
        assert opened.status_code == 201, opened.text
        reference = opened.json()["reference"]
        assert http.get("/docs").status_code == 200
        assert http.get("/healthz").json() == {"status": "ok", "database": True, "temporal": True}

    mail = Path(env["SCR_VAR_DIR"]) / "mail"
    deadline = time.monotonic() + 30
    while len(list(mail.glob("*.eml"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    emails = [p.read_text() for p in mail.glob("*.eml")]
    assert len(emails) == 2
    assert all(reference in text for text in emails)
    assert (Path(env["SCR_VAR_DIR"]) / "temporal.db").exists()

    running_stack.send_signal(signal.SIGINT)
    assert running_stack.wait(timeout=60) == 0
    assert running_stack.stdout is not None
    assert "Stopped." in running_stack.stdout.read()
    for port in ("SCR_API_PORT", "SCR_TEMPORAL_PORT", "SCR_TEMPORAL_UI_PORT", "SCR_SMTP_PORT"):
        ensure_free("127.0.0.1", int(env[port]), "released by scr dev", port)  # raises if still held


def test_scr_dev_refuses_clearly_when_a_port_is_taken(env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(env["SCR_API_PORT"])))
        squatter.listen()
        result = subprocess.run([SCR, "dev"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"Port {env['SCR_API_PORT']}" in result.stderr
    assert "SCR_API_PORT" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
