"""The anonymisation check over HTTP fails closed: a part of a document it cannot read makes the documents not
clear, with the part and the reason shown; a detail hidden in a part publication leaves out is still reported,
and the chair may accept it like any other hit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.database import create_engine
from tests.support.document_files import DOCX_TYPE
from tests.support.hostile_documents import (
    docx_with_emf_image,
    html_attributes,
    pdf_with_a_scanned_page,
    pdf_with_an_opaque_font,
)
from tests.support.publication_harness import CLEAN_RESPONSE, CLEAN_SUMMARY, api_client, auth, create_case, settings_for


@pytest.fixture
async def http(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    engine = create_engine(sqlite_url)
    try:
        async with api_client(engine, settings_for(sqlite_url, tmp_path)) as client:
            yield client, engine
    finally:
        await engine.dispose()


async def _case_with_report(http: httpx.AsyncClient, engine: AsyncEngine, report: bytes, content_type: str) -> str:
    reference = await create_case(engine)
    identifiers = {"names": ["Jayden Smith"]}
    put = await http.put(f"/api/v1/cases/{reference}/identifiers", json=identifiers, headers=auth("business_manager"))
    assert put.status_code == 200, put.text
    for kind, data, type_ in (
        ("overview_report", report, content_type),
        ("executive_summary", CLEAN_SUMMARY.encode(), "text/markdown"),
        ("board_response", CLEAN_RESPONSE.encode(), "text/plain"),
    ):
        uploaded = await http.post(
            f"/api/v1/cases/{reference}/documents",
            data={"kind": kind},
            files={"file": ("file", data, type_)},
            headers=auth("business_manager"),
        )
        assert uploaded.status_code == 201, uploaded.text
    return reference


async def _check(http: httpx.AsyncClient, reference: str) -> dict[str, object]:
    response = await http.post(f"/api/v1/cases/{reference}/anonymisation-check", headers=auth("publisher"))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("report", "content_type", "part", "reason"),
    [
        (docx_with_emf_image(), DOCX_TYPE, "embedded content", "an image in EMF format the check cannot read"),
        (pdf_with_a_scanned_page(), "application/pdf", "page 2", "the page shows an image and has no text (a scan?)"),
        (
            pdf_with_an_opaque_font(),
            "application/pdf",
            "page 1",
            "the page draws text in a font whose letters cannot be read (no Unicode mapping)",
        ),
    ],
    ids=["docx EMF image", "pdf scanned page", "pdf opaque font"],
)
async def test_a_part_the_check_cannot_read_makes_the_documents_not_clear(
    http: tuple[httpx.AsyncClient, AsyncEngine], report: bytes, content_type: str, part: str, reason: str
) -> None:
    client, engine = http
    reference = await _case_with_report(client, engine, report, content_type)
    body = await _check(client, reference)
    assert body["clear"] is False
    assert body["hits"] == []
    assert body["unreadable_parts"] == [
        {"document_id": body["documents"][0]["id"], "document_kind": "overview_report", "part": part, "reason": reason}  # type: ignore[index]
    ]


async def test_a_name_in_html_alt_text_is_reported_and_may_be_accepted(
    http: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    client, engine = http
    reference = await _case_with_report(client, engine, html_attributes().data, "text/html")
    body = await _check(client, reference)
    assert body["clear"] is False
    places = {(hit["matched_text"], hit["place_text"]) for hit in body["hits"]}  # type: ignore[attr-defined]
    assert (
        "Jayden Smith",
        "alt text of image 1 (in the upload only: left out of the published copy), paragraph 1, line 1, character 1",
    ) in places
    report_id = body["documents"][0]["id"]  # type: ignore[index]
    hits = {(hit["matched_text"], hit["category"]) for hit in body["hits"]}  # type: ignore[attr-defined]
    for matched, category in sorted(hits):
        accepted = await client.post(
            f"/api/v1/cases/{reference}/anonymisation-check/accepted",
            json={
                "document_id": report_id,
                "matched_text": matched,
                "category": category,
                "reason": "The published page is plain text: alt text is not published",
            },
            headers=auth("independent_chair"),
        )
        assert accepted.status_code in (200, 201), accepted.text
    assert (await _check(client, reference))["clear"] is True
