"""PublicationActivities against real SQLite and PostgreSQL registers, a real document store and site folder."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from domain.anonymisation import CaseIdentifiers, match_key
from domain.documents import PDF
from domain.publication_messages import PublishReviewInput, PublishReviewResult, RemoveReviewInput
from store.database import session_factory
from store.document_store import FilesystemDocumentStore
from store.models import AcceptedHit, AuditEvent, Publication
from store.publishable_copy import sanitise
from store.settings import Settings
from tests.support.document_files import make_docx, make_pdf
from tests.support.hostile_documents import pdf_with_a_scanned_page
from tests.support.publication_harness import (
    CLEAN_RESPONSE,
    CLEAN_SUMMARY,
    add_document,
    create_case,
    publisher_for,
    record_identifiers,
    settings_for,
)

PUBLICATION_ON = date(2017, 5, 3)
ACCEPTED_AT = datetime(2017, 5, 1, 9, 0, tzinfo=UTC)
REPORT_PAGES = [
    ["Overview report", "This review looks at how agencies worked together."],
    ["Findings", "Health visitors saw the family often.", "Kelly told the GP she was worried."],
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return settings_for(database_url, tmp_path)


@pytest.fixture
def store(settings: Settings) -> FilesystemDocumentStore:
    return FilesystemDocumentStore(settings.document_dir)


async def publish(
    engine: AsyncEngine, settings: Settings, reference: str, *, withheld: bool = False
) -> PublishReviewResult:
    data = PublishReviewInput(reference=reference, withheld=withheld, publication_on=PUBLICATION_ON)
    return await ActivityEnvironment().run(publisher_for(engine, settings).publish_review, data)


async def remove(engine: AsyncEngine, settings: Settings, reference: str) -> None:
    data = RemoveReviewInput(reference=reference, removed_on=date(2018, 6, 1))
    await ActivityEnvironment().run(publisher_for(engine, settings).remove_review, data)


async def case_with_documents(
    engine: AsyncEngine, store: FilesystemDocumentStore, *, report: bytes
) -> tuple[str, dict[str, int]]:
    reference = await create_case(engine)
    await record_identifiers(engine, reference)
    ids = {
        "report": (await add_document(engine, store, reference, "overview_report", report, "application/pdf")).id,
        "summary": (
            await add_document(engine, store, reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")
        ).id,
        "response": (
            await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
        ).id,
    }
    return reference, ids


def site_files(settings: Settings, reference: str) -> dict[str, bytes]:
    folder = settings.site_dir / "reviews" / reference
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


async def audit_kinds(engine: AsyncEngine, reference: str) -> list[AuditEvent]:
    async with session_factory(engine)() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.case_reference == reference).order_by(AuditEvent.id)
        )
        return list(rows)


async def test_a_family_name_in_the_report_blocks_publication_with_its_place(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, ids = await case_with_documents(engine, store, report=make_pdf(REPORT_PAGES))

    result = await publish(engine, settings, reference)

    assert not result.published
    assert result.location is None
    [hit] = result.hits
    assert (hit.document_id, hit.document_kind, hit.category) == (ids["report"], "overview_report", "name_part")
    assert (hit.page, hit.line, hit.character) == (2, 3, 1)
    assert hit.place == "page 2, paragraph 1, line 3, character 1"
    # The result travels in Temporal payloads: it never carries the identifier or the matched text.
    assert "Kelly" not in result.model_dump_json()
    assert site_files(settings, reference) == {}
    assert not (settings.site_dir / "index.html").exists()


async def test_a_page_the_gate_cannot_read_blocks_publication_with_the_reason(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, ids = await case_with_documents(engine, store, report=pdf_with_a_scanned_page())

    result = await publish(engine, settings, reference)

    assert not result.published
    assert result.hits == []
    assert [(u.document_id, u.part, u.reason) for u in result.unreadable] == [
        (ids["report"], "page 2", "the page shows an image and has no text (a scan?)")
    ]
    assert site_files(settings, reference) == {}


async def test_an_accepted_hit_no_longer_blocks_and_the_site_is_written(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    report = make_pdf(REPORT_PAGES)
    reference, ids = await case_with_documents(engine, store, report=report)
    async with session_factory(engine).begin() as session:
        session.add(
            AcceptedHit(
                case_reference=reference,
                document_id=ids["report"],
                category="name_part",
                matched_text="Kelly",
                match_key=match_key("name_part", "kelly"),
                reason="A pseudonym chosen with the family",
                accepted_by="alice",
                accepted_at=ACCEPTED_AT,
            )
        )

    result = await publish(engine, settings, reference)

    assert result.published
    assert result.hits == []
    assert result.location == f"/public/reviews/{reference}/"
    assert result.document_ids == [ids["report"], ids["summary"], ids["response"]]
    files = site_files(settings, reference)
    assert set(files) == {"index.html", "overview_report.pdf", "executive_summary.html", "board_response.html"}
    # The sanitised copy the gate read, under its kind's name: never the upload's bytes.
    served = files["overview_report.pdf"]
    assert served != report
    assert served == sanitise(PDF, report)[1]
    assert hashlib.sha256(served).hexdigest() == result.sha256[0]
    page = files["index.html"].decode()
    assert 'href="overview_report.pdf"' in page
    assert 'href="executive_summary.html"' in page
    assert "3 May 2017" in page
    summary = files["executive_summary.html"].decode()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; share" in summary  # escaped, never markup
    assert "<script>" not in summary
    index = (settings.site_dir / "index.html").read_text()
    assert f'href="reviews/{reference}/"' in index
    # The index names the DfE route for broader requests (000) and links the learning summaries, which exist.
    assert "contact the DfE" in index
    assert 'href="learning/"' in index
    assert "No annual summary is published yet." in (settings.site_dir / "learning" / "index.html").read_text()
    [event] = [e for e in await audit_kinds(engine, reference) if e.kind == "review_published"]
    assert event.details["document_ids"] == result.document_ids
    assert event.details["sha256"] == result.sha256
    async with session_factory(engine)() as session:
        publication = await session.get(Publication, reference)
    assert publication is not None
    assert publication.status == "published"
    # The register records what was served: each file with the sha256 of the copy the gate read.
    recorded = {d["file"]: d["sha256"] for d in publication.documents}
    assert recorded["overview_report.pdf"] == hashlib.sha256(files["overview_report.pdf"]).hexdigest()
    assert list(recorded.values()) == result.sha256


async def test_publishing_twice_writes_the_same_files_and_one_audit_row(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, _ = await case_with_documents(engine, store, report=make_pdf([["A report without names."]]))
    first = await publish(engine, settings, reference)
    before = {
        name: (settings.site_dir / "reviews" / reference / name).stat().st_mtime_ns
        for name in site_files(settings, reference)
    }
    files = site_files(settings, reference)
    index = (settings.site_dir / "index.html").read_bytes()

    second = await publish(engine, settings, reference)

    assert first == second
    assert site_files(settings, reference) == files
    assert (settings.site_dir / "index.html").read_bytes() == index
    after = {name: (settings.site_dir / "reviews" / reference / name).stat().st_mtime_ns for name in files}
    assert after == before  # unchanged files are not rewritten
    assert [e.kind for e in await audit_kinds(engine, reference)].count("review_published") == 1


async def test_removal_takes_the_review_off_and_lists_it_as_available_on_request(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, _ = await case_with_documents(engine, store, report=make_pdf([["A report without names."]]))
    other, _ = await case_with_documents(engine, store, report=make_pdf([["Another clean report."]]))
    await publish(engine, settings, reference)
    await publish(engine, settings, other)

    await remove(engine, settings, reference)
    await remove(engine, settings, reference)  # again: nothing changes, nothing fails

    assert not (settings.site_dir / "reviews" / reference).exists()
    assert site_files(settings, other)  # the other review stays
    index = (settings.site_dir / "index.html").read_text()
    assert f'href="reviews/{reference}/"' not in index
    assert f'{reference} &mdash; <span class="status">available on request</span> (removed 1 June 2018)' in index
    assert f'href="reviews/{other}/"' in index
    assert [e.kind for e in await audit_kinds(engine, reference)].count("review_removed") == 1
    async with session_factory(engine)() as session:
        publication = await session.get(Publication, reference)
    assert publication is not None
    assert (publication.status, publication.removed_on) == ("removed", date(2018, 6, 1))


async def test_withheld_publishes_only_the_board_response_and_replaces_an_earlier_publication(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, ids = await case_with_documents(engine, store, report=make_pdf([["A report without names."]]))
    await publish(engine, settings, reference)

    result = await publish(engine, settings, reference, withheld=True)

    assert result.published
    assert result.document_ids == [ids["response"]]
    files = site_files(settings, reference)
    assert set(files) == {"index.html", "board_response.html"}  # the report's files are gone
    assert "The report of this review is not published" in files["index.html"].decode()
    assert "the board's response only" in (settings.site_dir / "index.html").read_text()


async def test_withheld_needs_only_the_board_response_and_ignores_an_unclean_report(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference = await create_case(engine)
    await record_identifiers(engine, reference)
    await add_document(engine, store, reference, "overview_report", make_pdf(REPORT_PAGES), "application/pdf")
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")

    result = await publish(engine, settings, reference, withheld=True)

    assert result.published
    assert set(site_files(settings, reference)) == {"index.html", "board_response.html"}


async def test_an_imr_is_never_published_nor_scanned(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, _ = await case_with_documents(engine, store, report=make_pdf([["A report without names."]]))
    imr = make_docx(["Individual management review", "Jayden Lee Smith, born 05/03/2014, 12 Acacia Avenue."])
    await add_document(
        engine, store, reference, "imr", imr, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )

    result = await publish(engine, settings, reference)

    assert result.published
    files = site_files(settings, reference)
    assert not any(name.startswith("imr") for name in files)
    assert all(imr != content for content in files.values())
    assert b"Individual management review" not in b"".join(files.values())


async def test_the_latest_document_of_each_kind_is_published(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference, _ = await case_with_documents(engine, store, report=make_pdf(REPORT_PAGES))  # the old one names Kelly
    newer = make_pdf([["The revised overview report, anonymised."]])
    revised = await add_document(engine, store, reference, "overview_report", newer, "application/pdf")

    result = await publish(engine, settings, reference)

    assert result.published
    assert revised.id in result.document_ids
    assert site_files(settings, reference)["overview_report.pdf"] == sanitise(PDF, newer)[1]


async def test_a_missing_document_refuses_non_retryably(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference = await create_case(engine)
    await record_identifiers(engine, reference)
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")

    with pytest.raises(ApplicationError) as caught:
        await publish(engine, settings, reference)

    assert caught.value.type == "MissingDocuments"
    assert caught.value.non_retryable
    assert "no overview report, executive summary has been uploaded" in str(caught.value)
    assert list(caught.value.details) == [{"missing": ["overview_report", "executive_summary"]}]


async def test_without_recorded_identifiers_the_gate_refuses(
    engine: AsyncEngine, settings: Settings, store: FilesystemDocumentStore
) -> None:
    reference = await create_case(engine)
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
    await record_identifiers(engine, reference, CaseIdentifiers())

    with pytest.raises(ApplicationError) as caught:
        await publish(engine, settings, reference, withheld=True)

    assert (caught.value.type, caught.value.non_retryable) == ("IdentifiersNotRecorded", True)


async def test_unknown_cases_are_refused(engine: AsyncEngine, settings: Settings) -> None:
    with pytest.raises(ApplicationError) as caught:
        await publish(engine, settings, "NEL-2016-9999")
    assert caught.value.type == "UnknownCase"
    with pytest.raises(ApplicationError):
        await remove(engine, settings, "NEL-2016-9999")
