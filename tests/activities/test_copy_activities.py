"""The pre-publication copies' activities against real SQLite and PostgreSQL registers, a real document store and a
real SMTP server: which versions the copies carry (after the anonymisation gate), and the email that carries them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.copy_activities import CopyActivities
from activities.mailer import SmtpMailSender
from activities.notice_activities import NoticeActivities
from domain.case_messages import NoticeKind, SendNoticeInput
from domain.publication_messages import CopyDocument, PrepareCopiesInput
from store.database import session_factory
from store.document_store import FilesystemDocumentStore
from store.publishable_copy import sanitise
from tests.activities.test_notice_activities import CASE_URL_BASE, DIRECTORY, OFSTED, SENDER, notice_rows, timeline
from tests.support.document_files import make_pdf
from tests.support.publication_harness import (
    CLEAN_RESPONSE,
    CLEAN_SUMMARY,
    add_document,
    create_case,
    record_identifiers,
)
from tests.support.services import RecordingHandler, recording_server

REPORT = make_pdf([["Overview report", "Agencies did not share information."]])


@pytest.fixture
def store(tmp_path: Path) -> FilesystemDocumentStore:
    return FilesystemDocumentStore(tmp_path / "documents")


async def ready_case(engine: AsyncEngine, store: FilesystemDocumentStore) -> str:
    reference = await create_case(engine)
    await record_identifiers(engine, reference)
    await add_document(engine, store, reference, "overview_report", REPORT, "application/pdf", "Jayden.pdf")
    await add_document(engine, store, reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
    return reference


async def test_the_copies_carry_the_newest_version_of_each_kind_named_by_its_hash(
    engine: AsyncEngine, store: FilesystemDocumentStore
) -> None:
    reference = await ready_case(engine, store)
    newer = CLEAN_SUMMARY.encode() + b"\nRevised.\n"
    await add_document(engine, store, reference, "executive_summary", newer, "text/markdown")
    activities = CopyActivities(session_factory(engine), store)

    prepared = await ActivityEnvironment().run(activities.prepare_copies, PrepareCopiesInput(reference=reference))
    # Named by the hash of the sanitised copy the gate read (store/publishable_copy.py), never the upload's.
    expected = []
    for kind, data, content_type in (
        ("overview_report", REPORT, "application/pdf"),
        ("executive_summary", newer, "text/markdown"),
        ("board_response", CLEAN_RESPONSE.encode(), "text/plain"),
    ):
        expected.append((kind, hashlib.sha256(sanitise(content_type, data)[1]).hexdigest()))
    assert [(d.kind, d.sha256) for d in prepared.documents] == expected
    assert expected[0][1] != hashlib.sha256(REPORT).hexdigest()  # the PDF is rewritten, metadata gone
    withheld = await activities.prepare_copies(PrepareCopiesInput(reference=reference, withheld=True))
    assert [d.kind for d in withheld.documents] == ["board_response"]


async def test_missing_documents_and_gate_hits_are_reported_not_sent(
    engine: AsyncEngine, store: FilesystemDocumentStore
) -> None:
    reference = await create_case(engine)
    activities = CopyActivities(session_factory(engine), store)
    await add_document(engine, store, reference, "overview_report", b"Jayden Lee Smith was known.\n", "text/plain")
    missing = await activities.prepare_copies(PrepareCopiesInput(reference=reference))
    assert missing.missing == ["executive_summary", "board_response"]

    await add_document(engine, store, reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
    with pytest.raises(ApplicationError) as no_identifiers:
        await activities.prepare_copies(PrepareCopiesInput(reference=reference))
    assert (no_identifiers.value.type, no_identifiers.value.non_retryable) == ("IdentifiersNotRecorded", True)

    await record_identifiers(engine, reference)
    blocked = await activities.prepare_copies(PrepareCopiesInput(reference=reference))
    assert blocked.documents == []
    assert {hit.document_kind for hit in blocked.hits} == {"overview_report"}


async def test_the_email_attaches_the_documents_and_the_register_keeps_their_hashes(
    engine: AsyncEngine, store: FilesystemDocumentStore
) -> None:
    reference = await ready_case(engine, store)
    prepared = await CopyActivities(session_factory(engine), store).prepare_copies(
        PrepareCopiesInput(reference=reference)
    )
    data = SendNoticeInput(
        reference=reference,
        kind=NoticeKind.PREPUBLICATION_COPY,
        occurrence="2017-05-03:1",
        recipient="ofsted",
        facts={
            "publication_on": "2017-05-03",
            "what": "the overview report",
            "attached": "overview report, executive summary, board's response",
            "previous_date": "",
        },
        attachments=prepared.documents,
    )
    handler = RecordingHandler()
    with recording_server(handler) as port:
        activities = NoticeActivities(
            session_factory(engine),
            SmtpMailSender(host="127.0.0.1", port=port),
            directory=DIRECTORY,
            sender=SENDER,
            case_url_base=CASE_URL_BASE,
            documents=store,
        )
        await activities.send_notice(data)

        [(to, message)] = handler.delivered
        assert to == [OFSTED]
        parts = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
        # The sanitised copies the gate read, named after their kind: never the uploaded name ("Jayden.pdf").
        assert parts == {
            "overview_report.pdf": sanitise("application/pdf", REPORT)[1],
            "executive_summary.txt": sanitise("text/markdown", CLEAN_SUMMARY.encode())[1],
            "board_response.txt": sanitise("text/plain", CLEAN_RESPONSE.encode())[1],
        }
        assert {hashlib.sha256(data).hexdigest() for data in parts.values() if data} == {
            d.sha256 for d in prepared.documents
        }
        [event] = [e for e in await timeline(engine, reference) if e.kind == "notice_sent"]
        assert [a["sha256"] for a in event.details["attachments"]] == [d.sha256 for d in prepared.documents]

        # A version that is not the one recorded for the copies is never sent in its place.
        wrong = CopyDocument(document_id=prepared.documents[0].document_id, kind="overview_report", sha256="0" * 64)
        with pytest.raises(ApplicationError) as refused:
            await activities.send_notice(data.model_copy(update={"occurrence": "2", "attachments": [wrong]}))
        assert (refused.value.type, refused.value.non_retryable) == ("AttachmentUnavailable", True)
        assert len(handler.delivered) == 1
    assert len(await notice_rows(engine)) == 1
