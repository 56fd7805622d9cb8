"""`scr dev` as a user runs it, for the tests that drive it from outside: its own ports and var folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.services import free_port

SCR = str(Path(sys.executable).with_name("scr"))


def stack_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "TEMPORAL_"))}
    env.update(
        SCR_VAR_DIR=str(tmp_path / "var"),
        SCR_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'var' / 'scr.db'}",
        SCR_API_PORT=str(free_port()),
        SCR_TEMPORAL_PORT=str(free_port()),
        SCR_TEMPORAL_UI_PORT=str(free_port()),
        SCR_SMTP_PORT=str(free_port()),
    )
    return env


def wait_for_line(process: subprocess.Popen[str], text: str, seconds: float) -> str:
    seen = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"'{text}' not printed within {seconds}s; got: {''.join(seen)}")


@contextmanager
def running_dev_stack(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([SCR, "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # a clean stop also stops its Temporal dev server
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
