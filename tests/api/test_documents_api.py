"""Documents, case identifiers and the anonymisation check through the API, on real SQLite and PostgreSQL
registers and a real filesystem document store."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.database import create_engine, session_factory
from store.models import AcceptedHit, AuditEvent, CaseDocument
from tests.support.document_files import DOCX_TYPE, make_docx, make_image_only_pdf, make_pdf
from tests.support.publication_harness import (
    CLEAN_RESPONSE,
    CLEAN_SUMMARY,
    FAMILY,
    api_client,
    auth,
    create_case,
    settings_for,
)

PDF_TYPE = "application/pdf"
REPORT = make_pdf(
    [
        ["Overview report", "This review looks at how agencies worked together."],
        ["Findings", "Health visitors saw the family often.", "Kelly told the GP she was worried."],
    ]
)
MAX_BYTES = 256 * 1024


class Api:
    def __init__(self, http: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path) -> None:
        self.http = http
        self.engine = engine
        self.tmp_path = tmp_path

    async def upload(
        self,
        reference: str,
        kind: str,
        data: bytes,
        content_type: str,
        *,
        filename: str = "file",
        role: str = "business_manager",
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/cases/{reference}/documents",
            data={"kind": kind},
            files={"file": (filename, data, content_type)},
            headers=auth(role, "bob"),
        )

    async def audit(self, reference: str) -> list[AuditEvent]:
        async with session_factory(self.engine)() as session:
            rows = await session.scalars(
                select(AuditEvent).where(AuditEvent.case_reference == reference).order_by(AuditEvent.id)
            )
            return list(rows)


async def _api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    engine = create_engine(database_url)
    settings = settings_for(database_url, tmp_path, max_document_bytes=MAX_BYTES)
    try:
        async with api_client(engine, settings) as http:
            yield Api(http, engine, tmp_path)
    finally:
        await engine.dispose()


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """On SQLite and PostgreSQL."""
    async for running in _api(database_url, tmp_path):
        yield running


@pytest.fixture
async def sqlite_api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """On SQLite only: refusals that never reach the database's storage."""
    async for running in _api(sqlite_url, tmp_path):
        yield running


async def test_upload_list_and_download_round_trip(api: Api) -> None:
    reference = await create_case(api.engine)
    docx_bytes = make_docx(["Executive summary", "No names here."])

    uploaded = await api.upload(reference, "overview_report", REPORT, PDF_TYPE, filename="Overview report v3.pdf")
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["kind"] == "overview_report"
    assert body["filename"] == "Overview report v3.pdf"
    assert body["size"] == len(REPORT)
    assert body["content_type"] == PDF_TYPE
    assert body["sha256"] == hashlib.sha256(REPORT).hexdigest()
    assert (body["uploaded_by"], body["uploaded_role"]) == ("bob", "business_manager")
    assert uploaded.headers["Location"] == body["download_url"] == f"/api/v1/cases/{reference}/documents/{body['id']}"
    second = await api.upload(reference, "executive_summary", docx_bytes, DOCX_TYPE, filename="summary.docx")
    third = await api.upload(reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain; charset=utf-8")
    assert second.status_code == third.status_code == 201, (second.text, third.text)
    assert third.json()["content_type"] == "text/plain"

    listed = await api.http.get(f"/api/v1/cases/{reference}/documents", headers=auth("auditor"))
    assert listed.status_code == 200
    assert [d["kind"] for d in listed.json()] == ["overview_report", "executive_summary", "board_response"]
    only = await api.http.get(f"/api/v1/cases/{reference}/documents?kind=board_response", headers=auth("sub_group"))
    assert [d["id"] for d in only.json()] == [third.json()["id"]]

    download = await api.http.get(body["download_url"], headers=auth("sub_group"))
    assert download.status_code == 200
    assert download.content == REPORT
    assert download.headers["content-type"] == PDF_TYPE
    assert download.headers["content-disposition"].startswith('attachment; filename="Overview report v3.pdf"')
    assert download.headers["x-content-type-options"] == "nosniff"
    word = await api.http.get(second.json()["download_url"], headers=auth("independent_chair"))
    assert word.content == docx_bytes

    # Bytes are stored once, under their SHA-256; the audit trail names the document, not its filename.
    stored = [p for p in (api.tmp_path / "documents").rglob("*") if p.is_file()]
    assert sorted(p.name for p in stored) == sorted(
        hashlib.sha256(d).hexdigest() for d in (REPORT, docx_bytes, CLEAN_RESPONSE.encode())
    )
    events = [e for e in await api.audit(reference) if e.kind == "document_uploaded"]
    assert len(events) == 3
    assert "Overview report v3" not in " ".join(e.summary + str(e.details) for e in events)


async def test_the_same_bytes_uploaded_twice_are_two_documents_and_one_stored_file(api: Api) -> None:
    reference = await create_case(api.engine)
    first = await api.upload(reference, "other", b"minutes of the panel", "text/plain")
    again = await api.upload(reference, "other", b"minutes of the panel", "text/plain")
    assert first.json()["id"] != again.json()["id"]
    assert first.json()["sha256"] == again.json()["sha256"]
    assert len([p for p in (api.tmp_path / "documents").rglob("*") if p.is_file()]) == 1


@pytest.mark.parametrize(
    "filename",
    ["../../../../escape.txt", "..\\..\\escape.txt", "/etc/escape.txt", "sub/dir/escape.txt", "..", "."],
)
async def test_filenames_cannot_reach_the_filesystem(sqlite_api: Api, filename: str) -> None:
    reference = await create_case(sqlite_api.engine)
    response = await sqlite_api.upload(reference, "other", b"a note", "text/plain", filename=filename)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] in ("escape.txt", "document.txt")
    assert "/" not in response.json()["filename"]
    assert "\\" not in response.json()["filename"]
    everything = [p.name for p in sqlite_api.tmp_path.parent.rglob("*escape*")]
    assert everything == []
    [stored] = [p for p in (sqlite_api.tmp_path / "documents").rglob("*") if p.is_file()]
    assert stored.name == hashlib.sha256(b"a note").hexdigest()


async def test_too_large_uploads_get_413(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    exactly = await sqlite_api.upload(reference, "other", b"x" * MAX_BYTES, "text/plain")
    assert exactly.status_code == 201, exactly.text
    over = await sqlite_api.upload(reference, "other", b"x" * (MAX_BYTES + 1), "text/plain")
    assert over.status_code == 413
    assert f"at most {MAX_BYTES} bytes" in over.json()["detail"]
    far_over = await sqlite_api.upload(reference, "other", b"x" * (MAX_BYTES * 2), "text/plain")
    assert far_over.status_code == 413


async def test_a_chunked_upload_without_a_length_is_cut_off_at_the_limit(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    boundary = "scrboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + b"x" * (MAX_BYTES * 2)
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = await sqlite_api.http.post(
        f"/api/v1/cases/{reference}/documents",
        content=chunks(),
        headers=auth("business_manager") | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413


def _zip_without_word_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("content.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "data", "content_type", "status", "message"),
    [
        ("other", b"\x89PNG\r\n\x1a\n", "image/png", 415, "'image/png' are not accepted"),
        ("other", b"PK\x03\x04", "application/zip", 415, "are not accepted"),
        ("other", b"MZ\x90\x00", "application/octet-stream", 415, "are not accepted"),
        ("other", b"just text", "application/pdf", 422, "is not a PDF"),
        ("other", _zip_without_word_document(), DOCX_TYPE, 422, "not a .docx"),
        ("other", b"plain text", DOCX_TYPE, 422, "not a zip package"),
        ("other", "caf\xe9 latin-1".encode("latin-1"), "text/plain", 422, "not valid UTF-8"),
        ("other", REPORT, "text/plain", 422, "is a PDF or Word"),
        ("other", b"", "text/plain", 422, "empty"),
        ("other", b"%PDF-1.4 broken", "application/pdf", 422, "cannot be read"),
        ("overview_report", make_image_only_pdf(), "application/pdf", 422, "no readable text"),
    ],
)
async def test_wrong_or_disguised_files_are_refused_with_a_clear_message(
    sqlite_api: Api, kind: str, data: bytes, content_type: str, status: int, message: str
) -> None:
    reference = await create_case(sqlite_api.engine)
    response = await sqlite_api.upload(reference, kind, data, content_type)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert not (sqlite_api.tmp_path / "documents").exists()


async def test_an_image_only_pdf_is_fine_when_it_is_never_published(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    response = await sqlite_api.upload(reference, "referral_form", make_image_only_pdf(), PDF_TYPE)
    assert response.status_code == 201, response.text


async def test_kind_and_file_are_required(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    url = f"/api/v1/cases/{reference}/documents"
    headers = auth("business_manager")
    no_kind = await sqlite_api.http.post(url, files={"file": ("a.txt", b"x", "text/plain")}, headers=headers)
    assert no_kind.status_code == 422
    assert "`kind` must be one of" in no_kind.json()["detail"]
    bad_kind = await sqlite_api.http.post(
        url, data={"kind": "diary"}, files={"file": ("a.txt", b"x", "text/plain")}, headers=headers
    )
    assert bad_kind.status_code == 422
    no_file = await sqlite_api.http.post(
        url, data={"kind": "other"}, files={"x": ("a", b"", "text/plain")}, headers=headers
    )
    assert no_file.status_code == 422
    assert "`file` is missing" in no_file.json()["detail"]
    as_json = await sqlite_api.http.post(url, json={"kind": "other"}, headers=headers)
    assert as_json.status_code == 415


async def test_who_may_upload_which_kinds(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    imr = await sqlite_api.upload(reference, "imr", b"IMR of the health agency", "text/plain", role="agency_contact")
    assert imr.status_code == 201
    account = await sqlite_api.upload(reference, "agency_account", b"account", "text/plain", role="agency_contact")
    assert account.status_code == 201
    report = await sqlite_api.upload(reference, "overview_report", REPORT, PDF_TYPE, role="agency_contact")
    assert report.status_code == 403
    assert "agency contacts upload IMRs" in report.json()["detail"]
    for role in ("sub_group", "independent_chair"):  # lead reviewers too, on their cases (test_least_privilege_api)
        response = await sqlite_api.upload(reference, "overview_report", REPORT, PDF_TYPE, role=role)
        assert response.status_code == 201, (role, response.text)
    for role in ("publisher", "auditor", "operator", "national_panel"):
        response = await sqlite_api.upload(reference, "other", b"x", "text/plain", role=role)
        assert response.status_code == 403, role
    refusals = [e for e in await sqlite_api.audit(reference) if e.kind == "access_refused"]
    assert len(refusals) == 5


async def test_who_may_list_and_download(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    imr = (await sqlite_api.upload(reference, "imr", b"IMR text", "text/plain")).json()
    report = (await sqlite_api.upload(reference, "overview_report", REPORT, PDF_TYPE)).json()

    listed = await sqlite_api.http.get(f"/api/v1/cases/{reference}/documents", headers=auth("publisher"))
    assert [d["kind"] for d in listed.json()] == ["overview_report"]
    assert (await sqlite_api.http.get(report["download_url"], headers=auth("publisher"))).status_code == 200
    refused = await sqlite_api.http.get(imr["download_url"], headers=auth("publisher"))
    assert refused.status_code == 403
    assert "cannot read this kind of document (individual management review)" in refused.json()["detail"]
    for role in ("operator", "agency_contact", "local_authority", "peer_chair"):
        assert (await sqlite_api.http.get(imr["download_url"], headers=auth(role))).status_code == 403, role
        assert (
            await sqlite_api.http.get(f"/api/v1/cases/{reference}/documents", headers=auth(role))
        ).status_code == 403
    # Agencies' accounts are for the review's people: the auditor reads the report, not the IMR (issue 19).
    assert (await sqlite_api.http.get(imr["download_url"], headers=auth("auditor"))).status_code == 403
    assert (await sqlite_api.http.get(report["download_url"], headers=auth("auditor"))).status_code == 200
    assert (await sqlite_api.http.get(imr["download_url"], headers=auth("sub_group"))).status_code == 200
    assert (await sqlite_api.http.get(f"/api/v1/cases/{reference}/documents")).status_code == 401


async def test_documents_belong_to_their_case(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    other = await create_case(sqlite_api.engine)
    document = (await sqlite_api.upload(reference, "other", b"note", "text/plain")).json()
    wrong_case = await sqlite_api.http.get(
        f"/api/v1/cases/{other}/documents/{document['id']}", headers=auth("business_manager")
    )
    assert wrong_case.status_code == 404
    unknown_case = await sqlite_api.upload("NEL-2016-9999", "other", b"x", "text/plain")
    assert unknown_case.status_code == 404
    missing = await sqlite_api.http.get(f"/api/v1/cases/{reference}/documents/99999", headers=auth("auditor"))
    assert missing.status_code == 404


# Identifiers and the anonymisation check

IDENTIFIERS = FAMILY.model_dump(mode="json")


async def test_identifiers_are_recorded_by_the_business_manager_and_read_by_the_chair(api: Api) -> None:
    reference = await create_case(api.engine)
    url = f"/api/v1/cases/{reference}/identifiers"
    assert (await api.http.get(url, headers=auth("business_manager"))).status_code == 404

    put = await api.http.put(url, json=IDENTIFIERS, headers=auth("business_manager", "bob"))
    assert put.status_code == 200, put.text
    assert put.json()["identifiers"]["names"] == ["Jayden Lee Smith", "Kelly O'Brien"]
    assert put.json()["version"] == 1
    assert put.headers["cache-control"] == "no-store"
    again = await api.http.put(url, json=IDENTIFIERS | {"schools": []}, headers=auth("business_manager", "bob"))
    assert again.json()["version"] == 2

    read = await api.http.get(url, headers=auth("independent_chair"))
    assert read.status_code == 200
    assert read.json()["identifiers"]["schools"] == []
    for role in ("publisher", "sub_group", "auditor", "lead_reviewer"):
        assert (await api.http.get(url, headers=auth(role))).status_code == 403, role
    assert (await api.http.put(url, json=IDENTIFIERS, headers=auth("independent_chair"))).status_code == 403

    events = [e for e in await api.audit(reference) if e.kind == "identifiers_recorded"]
    assert len(events) == 2
    assert "2 names, 1 dates of birth" in events[0].summary
    trail = " ".join(e.summary + str(e.details) + str(e.rationale) for e in await api.audit(reference))
    for value in ("Jayden", "Kelly", "Acacia", "DN31", "Oakfield", "2014-03-05"):
        assert value not in trail


async def test_invalid_identifiers_are_refused_without_repeating_them(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    response = await sqlite_api.http.put(
        f"/api/v1/cases/{reference}/identifiers",
        json={"names": ["Jayden Smith"], "postcodes": ["JAYDEN SMITH"], "surprise": 1},
        headers=auth("business_manager"),
    )
    assert response.status_code == 422
    assert "postcode 1 is not a UK postcode" in response.text
    assert "JAYDEN" not in response.text.upper()


async def prepared_case(api: Api) -> tuple[str, dict[str, int]]:
    reference = await create_case(api.engine)
    await api.http.put(f"/api/v1/cases/{reference}/identifiers", json=IDENTIFIERS, headers=auth("business_manager"))
    ids = {
        "report": (await api.upload(reference, "overview_report", REPORT, PDF_TYPE)).json()["id"],
        "summary": (await api.upload(reference, "executive_summary", CLEAN_SUMMARY.encode(), "text/markdown")).json()[
            "id"
        ],
        "response": (await api.upload(reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")).json()["id"],
        "imr": (await api.upload(reference, "imr", b"Jayden Lee Smith, 12 Acacia Avenue", "text/plain")).json()["id"],
    }
    return reference, ids


async def test_the_check_reports_hits_and_the_chair_accepts_one(api: Api) -> None:
    reference, ids = await prepared_case(api)
    check_url = f"/api/v1/cases/{reference}/anonymisation-check"

    check = await api.http.post(check_url, headers=auth("publisher", "pat"))
    assert check.status_code == 200, check.text
    body = check.json()
    assert not body["clear"]
    assert [d["kind"] for d in body["documents"]] == ["overview_report", "executive_summary", "board_response"]
    assert body["missing"] == []
    [hit] = body["hits"]
    assert hit["document_id"] == ids["report"]
    assert (hit["category"], hit["matched_text"], hit["recorded"]) == ("name_part", "Kelly", True)
    assert hit["place_text"] == "page 2, paragraph 1, line 3, character 1"
    assert hit["place"]["page"] == 2

    accept_url = f"{check_url}/accepted"
    acceptance = {
        "document_id": ids["report"],
        "matched_text": "Kelly",
        "category": "name_part",
        "reason": "A pseudonym agreed with the family",
    }
    assert (await api.http.post(accept_url, json=acceptance, headers=auth("publisher"))).status_code == 403
    accepted = await api.http.post(accept_url, json=acceptance, headers=auth("independent_chair", "alice"))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["places"] == ["page 2, paragraph 1, line 3, character 1"]
    assert accepted.json()["accepted_by"] == "alice"
    repeated = await api.http.post(
        accept_url, json=acceptance | {"matched_text": "KELLY"}, headers=auth("independent_chair")
    )
    assert repeated.status_code == 200
    assert repeated.json()["id"] == accepted.json()["id"]

    clear = await api.http.post(check_url, headers=auth("business_manager"))
    assert clear.json()["clear"]
    assert clear.json()["hits"] == []
    assert [h["matched_text"] for h in clear.json()["accepted_hits"]] == ["Kelly"]

    # The audit trail says where the accepted hit was, never what it was; the acceptance table keeps the text.
    [event] = [e for e in await api.audit(reference) if e.kind == "anonymisation_hit_accepted"]
    assert event.summary == (
        f"Accepted hit (part of a recorded name) in document {ids['report']} (overview report) "
        "at page 2, paragraph 1, line 3, character 1"
    )
    assert "Kelly" not in event.summary + str(event.details) + str(event.rationale)
    assert "pseudonym" not in event.summary + str(event.details)
    async with session_factory(api.engine)() as session:
        [stored] = list(await session.scalars(select(AcceptedHit)))
    assert (stored.matched_text, stored.reason) == ("Kelly", "A pseudonym agreed with the family")
    checks = [e for e in await api.audit(reference) if e.kind == "anonymisation_check"]
    assert len(checks) == 2
    assert "Kelly" not in str([c.summary for c in checks])


async def test_a_new_version_of_a_document_needs_its_own_acceptance(sqlite_api: Api) -> None:
    reference, ids = await prepared_case(sqlite_api)
    await sqlite_api.http.post(
        f"/api/v1/cases/{reference}/anonymisation-check/accepted",
        json={
            "document_id": ids["report"],
            "matched_text": "Kelly",
            "category": "name_part",
            "reason": "Pseudonym agreed",
        },
        headers=auth("independent_chair"),
    )
    revised = make_pdf([["Revised report"], ["Kelly and Jayden were seen on 5 March 2014."]])
    new_id = (await sqlite_api.upload(reference, "overview_report", revised, PDF_TYPE)).json()["id"]
    check = await sqlite_api.http.post(f"/api/v1/cases/{reference}/anonymisation-check", headers=auth("publisher"))
    assert check.json()["documents"][0]["id"] == new_id
    assert [(h["category"], h["matched_text"]) for h in check.json()["hits"]] == [
        ("name_part", "Kelly"),
        ("name_part", "Jayden"),
        ("date_of_birth", "5 March 2014"),
    ]


async def test_acceptances_must_match_a_real_hit(sqlite_api: Api) -> None:
    reference, ids = await prepared_case(sqlite_api)
    url = f"/api/v1/cases/{reference}/anonymisation-check/accepted"
    chair = auth("independent_chair")
    base = {
        "document_id": ids["report"],
        "matched_text": "Kelly",
        "category": "name_part",
        "reason": "Agreed with family",
    }
    wrong_text = await sqlite_api.http.post(url, json=base | {"matched_text": "Jayden"}, headers=chair)
    assert wrong_text.status_code == 422
    assert "has no name_part hit with that text" in wrong_text.json()["detail"]
    wrong_category = await sqlite_api.http.post(url, json=base | {"category": "name"}, headers=chair)
    assert wrong_category.status_code == 422
    imr = await sqlite_api.http.post(url, json=base | {"document_id": ids["imr"]}, headers=chair)
    assert imr.status_code == 422
    assert "not published" in imr.json()["detail"]
    short_reason = await sqlite_api.http.post(url, json=base | {"reason": "ok"}, headers=chair)
    assert short_reason.status_code == 422
    unknown = await sqlite_api.http.post(url, json=base | {"document_id": 99999}, headers=chair)
    assert unknown.status_code == 404


async def test_the_check_of_chosen_documents_refuses_an_imr(sqlite_api: Api) -> None:
    reference, ids = await prepared_case(sqlite_api)
    url = f"/api/v1/cases/{reference}/anonymisation-check"
    imr = await sqlite_api.http.post(url, json={"document_ids": [ids["imr"]]}, headers=auth("publisher"))
    assert imr.status_code == 422
    assert "IMRs are never published" in imr.json()["detail"]
    chosen = await sqlite_api.http.post(url, json={"document_ids": [ids["summary"]]}, headers=auth("publisher"))
    assert chosen.json()["clear"]
    assert [d["id"] for d in chosen.json()["documents"]] == [ids["summary"]]
    withheld = await sqlite_api.http.post(url, json={"withheld": True}, headers=auth("publisher"))
    assert withheld.json()["clear"]
    assert [d["kind"] for d in withheld.json()["documents"]] == ["board_response"]
    assert (await sqlite_api.http.post(url, headers=auth("sub_group"))).status_code == 403


async def test_the_check_names_missing_documents_and_needs_identifiers(sqlite_api: Api) -> None:
    reference = await create_case(sqlite_api.engine)
    await sqlite_api.upload(reference, "board_response", CLEAN_RESPONSE.encode(), "text/plain")
    url = f"/api/v1/cases/{reference}/anonymisation-check"
    no_identifiers = await sqlite_api.http.post(url, headers=auth("publisher"))
    assert no_identifiers.status_code == 409
    assert "No identifying details are recorded" in no_identifiers.json()["detail"]
    await sqlite_api.http.put(
        f"/api/v1/cases/{reference}/identifiers", json=IDENTIFIERS, headers=auth("business_manager")
    )
    missing = await sqlite_api.http.post(url, headers=auth("publisher"))
    assert missing.json()["missing"] == ["overview_report", "executive_summary"]
    assert not missing.json()["clear"]


async def test_documents_never_reach_the_case_row(api: Api) -> None:
    reference, _ = await prepared_case(api)
    async with session_factory(api.engine)() as session:
        documents = list(await session.scalars(select(CaseDocument).where(CaseDocument.case_reference == reference)))
    assert len(documents) == 4
    case = await api.http.get(f"/api/v1/cases/{reference}", headers=auth("auditor"))
    assert "Kelly" not in case.text
