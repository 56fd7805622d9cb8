"""The public website served by the API under /public, and requests for removed reviews, on real SQLite and
PostgreSQL registers: the publisher activity writes the site, the API serves it over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from activities.public_learning_site import write_index
from domain.documents import PDF
from domain.publication_messages import PublishReviewInput, RemoveReviewInput
from store.database import create_engine, session_factory
from store.document_store import FilesystemDocumentStore
from store.models import AuditEvent
from store.publishable_copy import sanitise
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


@dataclass
class Site:
    http: httpx.AsyncClient
    engine: AsyncEngine
    settings: Settings

    async def published_case(self) -> str:
        store = FilesystemDocumentStore(self.settings.document_dir)
        reference = await create_case(self.engine)
        await record_identifiers(self.engine, reference)
        await add_document(self.engine, store, reference, "overview_report", REPORT, "application/pdf")
        await add_document(self.engine, store, reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")
        await add_document(self.engine, store, reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
        result = await ActivityEnvironment().run(
            publisher_for(self.engine, self.settings).publish_review,
            PublishReviewInput(reference=reference, withheld=False, publication_on=date(2017, 5, 3)),
        )
        assert result.published, result
        return reference

    async def remove(self, reference: str) -> None:
        await ActivityEnvironment().run(
            publisher_for(self.engine, self.settings).remove_review,
            RemoveReviewInput(reference=reference, removed_on=date(2018, 6, 1)),
        )

    async def ask(self, reference_: str, **overrides: str) -> httpx.Response:
        body = {"reference": reference_, "email": "researcher@university.example", "purpose": "Research into learning"}
        return await self.http.post("/api/v1/public/requests", json=body | overrides)


async def _site(database_url: str, tmp_path: Path, **overrides: int) -> AsyncIterator[Site]:
    engine = create_engine(database_url)
    settings = settings_for(database_url, tmp_path, **overrides)
    try:
        async with api_client(engine, settings) as http:
            yield Site(http, engine, settings)
    finally:
        await engine.dispose()


@pytest.fixture
async def site(database_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async for running in _site(database_url, tmp_path):
        yield running


@pytest.fixture
async def sqlite_site(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Site]:
    async for running in _site(sqlite_url, tmp_path, public_requests_per_hour=2):
        yield running


async def test_the_published_site_is_served_over_http_and_removal_takes_it_down(site: Site) -> None:
    empty = await site.http.get("/public/")  # nothing published yet: an index that says so, not a 404
    assert empty.status_code == 200
    assert "Nothing has been published yet." in empty.text
    assert "frame-ancestors 'none'" in empty.headers["content-security-policy"]
    assert "content-disposition" not in empty.headers
    style = await site.http.get("/public/site.css")
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")
    assert "content-disposition" not in style.headers  # a stylesheet of the site, applied, not saved
    reference = await site.published_case()

    index = await site.http.get("/public/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["x-content-type-options"] == "nosniff"
    assert f'<a href="reviews/{reference}/">{reference}</a>' in index.text
    assert "Nothing has been published yet." not in index.text  # the publisher's own index from now on
    assert '<link rel="stylesheet" href="./site.css">' in index.text
    page = await site.http.get(f"/public/reviews/{reference}/")
    assert page.status_code == 200
    assert "Published 3 May 2017." in page.text
    assert '<link rel="stylesheet" href="../../site.css">' in page.text  # the same look on every page
    assert "GOV.UK" not in page.text
    for link in ("overview_report.pdf", "executive_summary.html", "board_response.html"):
        assert f'href="{link}"' in page.text
    pdf = await site.http.get(f"/public/reviews/{reference}/overview_report.pdf")
    assert pdf.status_code == 200
    assert pdf.content == sanitise(PDF, REPORT)[1]  # the sanitised copy the gate read, not the upload
    assert pdf.headers["content-type"] == "application/pdf"
    summary = await site.http.get(f"/public/reviews/{reference}/executive_summary.html")
    assert "Agencies did not share information." in summary.text
    assert "<script>" not in summary.text
    redirect = await site.http.get(f"/public/reviews/{reference}")
    assert redirect.status_code in (301, 302, 307)
    assert (await site.http.get("/public/../store/settings.py")).status_code == 404
    assert (await site.http.post("/public/")).status_code == 405

    await site.remove(reference)

    assert (await site.http.get(f"/public/reviews/{reference}/")).status_code == 404
    assert (await site.http.get(f"/public/reviews/{reference}/overview_report.pdf")).status_code == 404
    index = await site.http.get("/public/")
    assert f'{reference} &mdash; <span class="status">available on request</span>' in index.text
    assert f'href="reviews/{reference}/"' not in index.text


async def test_a_member_of_the_public_asks_for_a_removed_review_and_the_board_answers(site: Site) -> None:
    reference = await site.published_case()
    still_up = await site.ask(reference)
    assert still_up.status_code == 404
    assert "published reviews are on the website" in still_up.json()["detail"]
    await site.remove(reference)

    asked = await site.ask(reference.lower())
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "received"
    form = await site.http.post(
        "/api/v1/public/requests",
        data={"reference": reference, "email": "journalist@news.example", "purpose": "A story on child protection"},
    )
    assert form.status_code == 202, form.text

    listed = await site.http.get("/api/v1/requests", headers=auth("business_manager", "bob"))
    assert listed.status_code == 200
    assert [(r["reference"], r["email"], r["status"]) for r in listed.json()] == [
        (reference, "journalist@news.example", "open"),
        (reference, "researcher@university.example", "open"),
    ]
    assert (await site.http.get("/api/v1/requests", headers=auth("publisher"))).status_code == 403
    assert (await site.http.get("/api/v1/requests")).status_code == 401

    request_id = listed.json()[1]["id"]
    answer = {"outcome": "provided", "note": "Sent the overview report by email"}
    answered = await site.http.post(
        f"/api/v1/requests/{request_id}/answer", json=answer, headers=auth("business_manager", "bob")
    )
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["answered_by"]) == ("provided", "bob")
    twice = await site.http.post(f"/api/v1/requests/{request_id}/answer", json=answer, headers=auth("business_manager"))
    assert twice.status_code == 409
    refused_role = await site.http.post(
        f"/api/v1/requests/{listed.json()[0]['id']}/answer", json=answer, headers=auth("independent_chair")
    )
    assert refused_role.status_code == 403
    missing = await site.http.post("/api/v1/requests/99999/answer", json=answer, headers=auth("business_manager"))
    assert missing.status_code == 404
    open_only = await site.http.get("/api/v1/requests?status=open", headers=auth("business_manager"))
    assert [r["status"] for r in open_only.json()] == ["open"]

    async with session_factory(site.engine)() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.case_reference == reference).order_by(AuditEvent.id)
            )
        )
    kinds = [e.kind for e in events]
    assert kinds.count("review_requested") == 2
    assert kinds.count("review_request_answered") == 1
    trail = " ".join(e.summary + str(e.details) for e in events)
    assert "researcher@university.example" not in trail
    assert "journalist" not in trail


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"purpose": "short"}, "purpose"),
        ({"reference": "../../etc"}, "reference"),
        ({"extra": "field"}, "extra"),
    ],
)
async def test_public_requests_are_validated(sqlite_site: Site, body: dict[str, str], field: str) -> None:
    response = await sqlite_site.ask("NEL-2016-0001", **body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_public_requests_are_size_and_rate_limited(sqlite_site: Site) -> None:
    reference = await sqlite_site.published_case()
    await sqlite_site.remove(reference)
    too_big = await sqlite_site.ask(reference, purpose="x" * 9000)
    assert too_big.status_code == 413
    not_json = await sqlite_site.http.post(
        "/api/v1/public/requests", content=b"<xml/>", headers={"Content-Type": "application/xml"}
    )
    assert not_json.status_code == 415
    broken = await sqlite_site.http.post(
        "/api/v1/public/requests", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert (await sqlite_site.ask(reference)).status_code == 202
    assert (await sqlite_site.ask(reference)).status_code == 202
    third = await sqlite_site.ask(reference)
    assert third.status_code == 429
    assert third.headers["retry-after"] == "3600"
    unknown = await sqlite_site.ask("NEL-2016-9999")
    assert unknown.status_code == 429  # the limit applies before anything is looked up


async def test_before_any_review_the_index_links_a_published_learning_summary(sqlite_site: Site) -> None:
    learning = sqlite_site.settings.site_dir / "learning"
    assert 'href="learning/"' not in (await sqlite_site.http.get("/public/")).text
    await asyncio.to_thread(write_index, learning)  # as the learning summary's publication writes it
    page = await sqlite_site.http.get("/public/")
    assert "Nothing has been published yet." in page.text
    assert 'href="learning/"' in page.text
    assert (await sqlite_site.http.get("/public/learning/")).status_code == 200
