"""Save a case history for the replay tests: `.venv/bin/python -m tests.record_history tests/histories/NAME.json`.

Record one whenever a release changes the case workflow, so later code is proven to replay it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.payload_keys import encrypting_converter
from tests.services import binary, fresh_database, mailbox
from tests.workflows.test_replay import record_case_history
from workflows.temporal_client import SEARCH_ATTRIBUTES


async def record(out: Path) -> None:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=encrypting_converter(),  # the tests' fixed key, so the replay test can decrypt it
        dev_server_extra_args=[a for n, k in SEARCH_ATTRIBUTES.items() for a in ("--search-attribute", f"{n}={k}")],
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with fresh_database("sqlite", Path(tmp)) as url, mailbox(Path(tmp) / "mail") as box:
                history = await record_case_history(env, url, box)
        out.write_text(history.to_json())
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))
