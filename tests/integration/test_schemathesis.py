"""Schemathesis fuzzes every operation of the OpenAPI schema against `scr dev`: no 5xx, no response that
breaks the schema."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

from domain.uk_time import london_date
from tests.support.dev_stack import running_dev_stack, stack_env, wait_for_line

ST = str(Path(sys.executable).with_name("st"))


def test_fuzzing_the_api_finds_no_server_error_and_no_schema_violation(tmp_path: Path) -> None:
    role = "business_manager"  # opens cases and records the most decisions, so it reaches the most code
    env = stack_env(tmp_path)
    with running_dev_stack(env) as stack:
        wait_for_line(stack, "Press Ctrl-C to stop.", seconds=90)
        api = f"http://127.0.0.1:{env['SCR_API_PORT']}"
        today = london_date(datetime.now(UTC)).isoformat()
        opened = httpx.post(
            f"{api}/api/v1/cases",
            json={
                "board": "NEL",
                "aware_on": today,
                "notified_on": today,
                "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
            },
            headers={"Authorization": "Bearer dev:business_manager:seed"},
            timeout=30,
        )
        assert opened.status_code == 201, opened.text
        result = subprocess.run(
            [
                ST,
                "run",
                f"{api}/openapi.json",
                "--header",
                f"Authorization: Bearer dev:{role}:fuzzer",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--max-examples",
                "5",
                "--request-timeout",
                "30",
                "--seed",
                "20261122",
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert result.returncode == 0, _failures(result.stdout)
        assert "passed" in result.stdout


def _failures(report: str) -> str:
    """The failures with their reproducing requests (schemathesis prints warnings and the summary after them)."""
    start = report.find("FAILURES")
    return report[start : start + 6000] if start >= 0 else report[-4000:]
