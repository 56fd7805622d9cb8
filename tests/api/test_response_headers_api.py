"""How files and pages are served (issue 19, point 7): every download and every public document that is not an
HTML page comes as an attachment with a safe file name (an ASCII fallback and the exact RFC 5987 name); pages
forbid framing (`frame-ancestors 'none'`). Real SQLite and PostgreSQL registers, the publisher activity writing
the site, the API serving it over HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from api.headers import content_disposition
from domain.publication_messages import PublishReviewInput
from store.database import create_engine
from store.document_store import FilesystemDocumentStore
from store.settings import Settings
from tests.support.document_files import make_pdf
from tests.support.publication_harness import (
    CLEAN_RESPONSE,
    CLEAN_SUMMARY,
    add_document,
    api_client,
    auth,
    create_case,
    publisher_for,
    record_identifiers,
    settings_for,
)

REPORT = make_pdf([["Overview report", "Agencies did not share information."]])
_DISPOSITION = re.compile(r"""^attachment; filename="([\x20-\x7e]+)"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)$""")


def parsed_attachment(header: str) -> tuple[str, str]:
    """(ASCII fallback, exact name) of an attachment header, which must be in the safe form."""
    match = _DISPOSITION.match(header)
    assert match, header
    fallback, encoded = match.groups()
    assert '"' not in fallback
    assert "\\" not in fallback
    return fallback, unquote(encoded, encoding="utf-8", errors="strict")


async def _site(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine, Settings]]:
    engine = create_engine(database_url)
    settings = settings_for(database_url, tmp_path)
    try:
        async with api_client(engine, settings) as http:
            yield http, engine, settings
    finally:
        await engine.dispose()


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine, Settings]]:
    async for running in _site(database_url, tmp_path):
        yield running


async def test_public_documents_that_are_not_pages_are_attachments_and_pages_cannot_be_framed(
    site: tuple[httpx.AsyncClient, AsyncEngine, Settings],
) -> None:
    http, engine, settings = site
    store = FilesystemDocumentStore(settings.document_dir)
    reference = await create_case(engine)
    await record_identifiers(engine, reference)
    await add_document(engine, store, reference, "overview_report", REPORT, "application/pdf")
    await add_document(engine, store, reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")
    await add_document(engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
    published = await ActivityEnvironment().run(
        publisher_for(engine, settings).publish_review,
        PublishReviewInput(reference=reference, withheld=False, publication_on=date(2017, 5, 3)),
    )
    assert published.published, published

    index = await http.get("/public/")
    page = await http.get(f"/public/reviews/{reference}/")
    for response in (index, page):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "content-disposition" not in response.headers  # a page is shown, not saved

    links = re.findall(r'href="([^"/:]+\.[a-z]+)"', page.text)
    assert links, page.text
    files = 0
    for link in links:
        served = await http.get(f"/public/reviews/{reference}/{link}")
        assert served.status_code == 200, link
        assert "frame-ancestors 'none'" in served.headers["content-security-policy"]
        if served.headers["content-type"].startswith("text/html"):
            assert "content-disposition" not in served.headers
            continue
        files += 1
        assert parsed_attachment(served.headers["content-disposition"]) == (link, link)
    assert files >= 1, "the PDF report is offered as a file"


async def test_a_downloaded_document_is_an_attachment_under_a_safe_name(
    site: tuple[httpx.AsyncClient, AsyncEngine, Settings],
) -> None:
    http, engine, _ = site
    reference = await create_case(engine)
    name = 'Rapport d\u2019\u00e9t\u00e9 "final" \u2713 \u6587\u4ef6.pdf'
    uploaded = await http.post(
        f"/api/v1/cases/{reference}/documents",
        data={"kind": "overview_report"},
        files={"file": (name, REPORT, "application/pdf")},
        headers=auth("business_manager"),
    )
    assert uploaded.status_code == 201, uploaded.text
    stored_name = uploaded.json()["filename"]

    download = await http.get(uploaded.json()["download_url"], headers=auth("independent_chair"))

    assert download.status_code == 200
    fallback, exact = parsed_attachment(download.headers["content-disposition"])
    assert exact == stored_name
    assert fallback.isascii()
    assert fallback.startswith("Rapport dete")  # accents folded, not dropped with their letters
    assert fallback.endswith(".pdf")
    assert "frame-ancestors 'none'" in download.headers["content-security-policy"]
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("report.pdf", "report.pdf"),
        ('a"b\\c;d.pdf', "a_b_c_d.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("\u6587\u4ef6.pdf", "download.pdf"),
        ("\u6587\u4ef6", "download"),
        ("", "download"),
        ("../../etc/passwd", "download.._.._etc_passwd"),
    ],
)
def test_the_header_is_safe_for_any_name(name: str, fallback: str) -> None:
    header = content_disposition(name)
    assert "\r" not in header
    assert "\n" not in header
    assert parsed_attachment(header)[0] == fallback


async def test_every_html_page_of_the_api_forbids_framing_and_the_calendar_is_a_file(
    site: tuple[httpx.AsyncClient, AsyncEngine, Settings],
) -> None:
    http, engine, _ = site
    await create_case(engine)
    docs = await http.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert docs.headers["x-frame-options"] == "DENY"
    api_json = await http.get("/api/v1/cases", headers=auth("auditor"))
    assert "x-frame-options" not in api_json.headers  # data, not a page

    calendar = await http.get("/api/v1/calendar.ics", headers=auth("independent_chair"))
    assert calendar.status_code == 200
    assert parsed_attachment(calendar.headers["content-disposition"]) == ("scr-deadlines.ics", "scr-deadlines.ics")
