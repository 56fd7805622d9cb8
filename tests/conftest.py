"""Shared fixtures. Every service is real: no test skips because one is missing — it fails instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from domain.case_contract import SEARCH_ATTRIBUTES
from store.database import create_engine
from tests.support.payload_keys import encrypting_converter
from tests.support.services import MailBox, binary, fresh_database, mailbox, register_search_attributes


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def mail(tmp_path: Path) -> AsyncIterator[MailBox]:
    async with mailbox(tmp_path / "mail") as box:
        yield box


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=encrypting_converter()
    )
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=encrypting_converter(),
        dev_server_extra_args=[
            arg for name, kind in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{name}={kind}")
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="module")
async def skipping_dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server (real Web UI, visibility and search attributes) whose clock moves only when a test
    fast-forwards it; one per module, so one module's fast-forwards never reach another's cases."""
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=binary("temporal"),
        data_converter=encrypting_converter(),
        dev_server_extra_args=[
            *(arg for name, kind in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{name}={kind}")),
            "--dynamic-config-value",
            "frontend.WorkflowTimeSkippingEnabled=true",
        ],
    )
    yield env
    await env.shutdown()
