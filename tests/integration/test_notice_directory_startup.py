"""A worker refuses to start on a bad notice directory, with one line naming the file, board and key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from store.database import create_engine
from store.notice_directory import NoticeDirectoryError
from store.settings import Settings
from workers.case_worker import build_worker

SCR = str(Path(sys.executable).with_name("scr"))
EXAMPLE = Path(__file__).parents[2] / "deploy" / "k8s" / "overlays" / "example" / "notice-directory.toml"


def bad_directory(tmp_path: Path) -> Path:
    path = tmp_path / "boards.toml"
    path.write_text(EXAMPLE.read_text().replace('dfe = "scr-notifications@dfe.example"', 'dfe = "DfE"'))
    return path


async def test_build_worker_refuses_a_bad_directory_and_builds_with_a_good_one(
    dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'scr.db'}")
    try:
        bad = bad_directory(tmp_path)
        with pytest.raises(NoticeDirectoryError) as raised:
            build_worker(dev_server_env.client, engine, Settings(boards="NEL", notice_directory=bad))
        assert str(raised.value) == (
            f"notice directory {bad}: board NEL, key dfe: 'DfE' is not an email address (name@domain, nothing else)"
        )

        with pytest.raises(NoticeDirectoryError, match=r"board SEL \(SCR_BOARDS\) has no \[SEL\] table"):
            build_worker(dev_server_env.client, engine, Settings(boards="NEL,SEL", notice_directory=EXAMPLE))

        worker = build_worker(dev_server_env.client, engine, Settings(boards="NEL", notice_directory=EXAMPLE))
        assert isinstance(worker, Worker)
    finally:
        await engine.dispose()


def run_scr(command: str, tmp_path: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCR_", "TEMPORAL_"))}
    env.update(SCR_VAR_DIR=str(tmp_path / "var"), SCR_BOARDS="NEL", SCR_NOTICE_DIRECTORY=str(directory))
    return subprocess.run([SCR, command], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("command", ["worker", "dev"])
def test_scr_worker_and_scr_dev_stop_at_once_naming_the_problem(command: str, tmp_path: Path) -> None:
    bad = bad_directory(tmp_path)

    result = run_scr(command, tmp_path, bad)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"scr: notice directory {bad}: board NEL, key dfe: 'DfE' is not an email address (name@domain, nothing else)"
    ]
    assert "Traceback" not in result.stdout
    assert not (tmp_path / "var" / "temporal.db").exists()  # nothing was started


def test_scr_worker_names_a_missing_file(tmp_path: Path) -> None:
    result = run_scr("worker", tmp_path, tmp_path / "missing.toml")

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"scr: notice directory {tmp_path / 'missing.toml'}: cannot read it (No such file or directory)"
    )
