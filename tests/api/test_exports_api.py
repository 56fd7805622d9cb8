"""Exports (issue 17, point 3) on the real stack (dev server, worker, SMTP sink) over SQLite and PostgreSQL: a
case's whole file as JSON valid against the published schema and as a PDF bundle, a board's archive whose
manifest matches its entries, the `scr export` command, who may export, and the audit trail of every export."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sys
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pypdf
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.uk_time import london_date
from store.database import session_factory
from store.models import AuditEvent
from tests.support.case_harness import Stack, api_stack
from tests.support.document_files import make_pdf
from tests.support.services import MailBox

TODAY = london_date(datetime.now(UTC))
FAMILY = {"names": ["Jayden Lee Smith", "Kelly O'Brien"], "schools": ["Oakfield Primary School"]}
IMR = make_pdf([["Individual management review", "Health visitors saw the family often."]])
REPORT = b"# Overview report\n\nThe agencies did not share what they knew.\n"
SECTIONS = ("Facts", "Assessment", "Awaiting", "Deadlines", "Decisions", "Notices", "Documents", "Timeline")


@pytest.fixture
async def stack(dev_server_env: WorkflowEnvironment, database_url: str, mail: MailBox) -> AsyncIterator[Stack]:
    async with api_stack(dev_server_env.client, database_url, mail.port) as running:
        yield running


async def eventually(probe: Callable[[], Awaitable[Any]], what: str, seconds: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while not (found := await probe()):
        assert asyncio.get_running_loop().time() < deadline, f"not within {seconds:.0f} s: {what}"
        await asyncio.sleep(0.1)
    return found


async def export(stack: Stack, reference: str, role: str, **params: str) -> Any:
    return await stack.http.get(f"/api/v1/cases/{reference}/export", params=params, headers=stack.auth(role, "bob"))


async def audit_rows(stack: Stack, kind: str) -> list[AuditEvent]:
    async with session_factory(stack.engine)() as session:
        return list(await session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


async def case_through_decisions(stack: Stack) -> str:
    """A case screened and initiated, with identifiers recorded, an IMR and a report uploaded, once the register
    holds both decisions and the opening's notices have gone out."""
    opened = await stack.open_case(
        {
            "board": stack.board,
            "aware_on": (TODAY - timedelta(days=3)).isoformat(),
            "notified_on": (TODAY - timedelta(days=1)).isoformat(),
            "incident": {"outcome": "died", "abuse_or_neglect": "suspected"},
        }
    )
    assert opened.status_code == 201, opened.text
    reference = str(opened.json()["reference"])
    assert (await stack.screen(reference)).status_code == 200
    chair = await stack.decide(reference, {"decision": "initiate_scr", "rationale": "Died; abuse suspected"})
    assert chair.status_code == 200, chair.text
    recorded = await stack.http.put(
        f"/api/v1/cases/{reference}/identifiers", json=FAMILY, headers=stack.auth("business_manager")
    )
    assert recorded.status_code == 200, recorded.text
    for kind, filename, data, content_type in (
        ("imr", "imr.pdf", IMR, "application/pdf"),
        ("overview_report", "report.md", REPORT, "text/markdown"),
    ):
        uploaded = await stack.http.post(
            f"/api/v1/cases/{reference}/documents",
            data={"kind": kind},
            files={"file": (filename, data, content_type)},
            headers=stack.auth("business_manager"),
        )
        assert uploaded.status_code == 201, uploaded.text

    async def settled() -> bool:
        timeline = (await stack.http.get(f"/api/v1/cases/{reference}/timeline", headers=stack.auth("auditor"))).json()
        decided = {e["details"].get("decision_kind") for e in timeline if e["kind"] == "decision"}
        sent = {e["details"].get("recipient") for e in timeline if e["kind"] == "notice_sent"}
        return {"screening", "chair"} <= decided and "ofsted" in sent

    await eventually(settled, "both decisions and the notice to Ofsted in the register")
    return reference


async def test_a_case_exports_as_json_following_the_published_schema(stack: Stack) -> None:
    reference = await case_through_decisions(stack)
    schema = (await stack.http.get("/api/v1/schemas/case-export.json")).json()

    response = await export(stack, reference, "business_manager", format="json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert f"{reference}-case-file.json" in response.headers["content-disposition"]
    document = response.json()
    jsonschema.validate(document, schema)
    assert document["schema_version"] == "1"
    assert document["case"]["reference"] == reference
    assert document["case"]["board"] == stack.board
    assert document["facts"] == {**document["facts"], "outcome": "died", "abuse_or_neglect": "suspected"}
    assert document["assessment"] is not None
    read = (await stack.http.get(f"/api/v1/cases/{reference}", headers=stack.auth("business_manager"))).json()
    assert document["awaiting"] == read["awaiting"]
    assert document["awaiting"]
    decisions = {d["decision_kind"]: d for d in document["decisions"]}
    assert decisions["chair"]["rationale"] == "Died; abuse suspected"
    assert (decisions["chair"]["actor"], decisions["chair"]["role"]) == ("alice", "independent_chair")
    assert decisions["screening"]["rationale"] == "Screened at the sub-group"
    deadlines = {d["key"]: d for d in document["deadlines"]}
    assert all(deadlines["notify_ofsted"][field] for field in ("rule", "source", "due"))
    assert deadlines["notify_ofsted"]["status"] in ("met", "met_late")
    assert any(n["recipient"] == "ofsted" and n["status"] == "sent" for n in document["notices"])
    assert [(d["kind"], d["sha256"]) for d in document["documents"]] == [
        ("imr", hashlib.sha256(IMR).hexdigest()),
        ("overview_report", hashlib.sha256(REPORT).hexdigest()),
    ]
    downloaded = await stack.http.get(document["documents"][0]["download_path"], headers=stack.auth("sub_group"))
    assert downloaded.content == IMR
    kinds = [event["kind"] for event in document["timeline"]]
    assert {"decision", "document_uploaded", "notice_sent"} <= set(kinds)
    assert document["identifiers_included"] is True
    assert document["identifiers"]["names"] == FAMILY["names"]

    # JSON is the default; a role that may not read identifying details exports without them.
    plain = await stack.http.get(f"/api/v1/cases/{reference}/export", headers=stack.auth("sub_group", "sam"))
    assert plain.status_code == 200
    assert plain.json()["identifiers_included"] is False
    assert plain.json()["identifiers"] is None
    assert "Jayden" not in plain.text

    rows = [row for row in await audit_rows(stack, "case_exported") if row.case_reference == reference]
    assert [(row.actor, row.role, row.details["format"]) for row in rows] == [
        ("bob", "business_manager", "json"),
        ("sam", "sub_group", "json"),
    ]
    assert all("Jayden" not in json.dumps(row.details) + row.summary for row in rows)


async def test_a_case_exports_as_a_readable_pdf_bundle(stack: Stack) -> None:
    reference = await case_through_decisions(stack)

    by_query = await export(stack, reference, "independent_chair", format="pdf")
    by_accept = await stack.http.get(
        f"/api/v1/cases/{reference}/export", headers=stack.auth("independent_chair") | {"Accept": "application/pdf"}
    )
    for response in (by_query, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(by_query.content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert f"Case file {reference}" in pdf.pages[0].extract_text()
    assert stack.board in pdf.pages[0].extract_text()
    for section in SECTIONS:
        assert section in text, section
    assert "Died; abuse suspected" in text
    assert hashlib.sha256(IMR).hexdigest() in text
    # The case's PDF documents follow the bundle's own pages; the others are where the archive keeps them.
    assert "Health visitors saw the family often." in pdf.pages[-1].extract_text()
    assert "in a board archive at documents/2-overview_report.md" in text
    # The identifying details recorded for the anonymisation check are never printed.
    for name in (*FAMILY["names"], *FAMILY["schools"]):
        assert name not in text
    assert [row.details["format"] for row in await audit_rows(stack, "case_exported")] == ["pdf", "pdf"]


async def test_only_the_roles_that_read_the_whole_case_export_it(stack: Stack) -> None:
    reference = await case_through_decisions(stack)
    for role in ("auditor", "publisher", "agency_contact", "operator", "local_authority"):
        refused = await export(stack, reference, role)
        assert refused.status_code == 403, role
        assert "cannot export a case file" in refused.json()["detail"]
    refusals = [r for r in await audit_rows(stack, "access_refused") if r.details.get("action") == "cases.export"]
    assert sorted(r.role for r in refusals) == ["agency_contact", "auditor", "local_authority", "operator", "publisher"]

    other_board = {"Authorization": "Bearer dev:business_manager:eve:XYZ"}
    response = await stack.http.get(f"/api/v1/cases/{reference}/export", headers=other_board)
    assert response.status_code == 404
    # A lead reviewer not named on the case is refused as for its other reads.
    assert (await export(stack, reference, "lead_reviewer")).status_code == 403
    assert not [r for r in await audit_rows(stack, "case_exported") if r.case_reference == reference]


async def test_a_board_exports_as_one_archive_with_a_manifest(stack: Stack) -> None:
    first = await case_through_decisions(stack)
    second = await case_through_decisions(stack)

    response = await stack.http.get(
        f"/api/v1/boards/{stack.board}/export", headers=stack.auth("business_manager", "bob")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["board"] == stack.board
    assert manifest["cases"] == sorted([first, second])
    listed = {entry["path"]: entry for entry in manifest["entries"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        data = archive.read(path)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"]), path
    schema = json.loads(archive.read(manifest["schema"]))
    for reference in (first, second):
        case = json.loads(archive.read(f"{reference}/case.json"))
        jsonschema.validate(case, schema)
        assert pypdf.PdfReader(io.BytesIO(archive.read(f"{reference}/case.pdf"))).pages
        files = {d["sha256"]: archive.read(f"{reference}/{d['archive_path']}") for d in case["documents"]}
        assert {hashlib.sha256(data).hexdigest() for data in files.values()} == set(files)
        assert len(files) == 2
        assert sorted(p for p in listed if p.startswith(f"{reference}/")) == sorted(
            [f"{reference}/case.json", f"{reference}/case.pdf"]
            + [f"{reference}/{d['archive_path']}" for d in case["documents"]]
        )

    boards = await audit_rows(stack, "board_exported")
    assert [(row.actor, row.details["board"], row.details["cases"]) for row in boards] == [
        ("bob", stack.board, sorted([first, second]))
    ]
    assert sorted(r.case_reference for r in await audit_rows(stack, "case_exported")) == sorted([first, second])

    refused = await stack.http.get(f"/api/v1/boards/{stack.board}/export", headers=stack.auth("sub_group"))
    assert refused.status_code == 403
    elsewhere = {"Authorization": "Bearer dev:business_manager:eve:XYZ"}
    assert (await stack.http.get(f"/api/v1/boards/{stack.board}/export", headers=elsewhere)).status_code == 404


async def test_the_scr_export_command_writes_a_case_file_and_a_board_archive(stack: Stack, tmp_path: Path) -> None:
    reference = await case_through_decisions(stack)
    settings = stack.settings
    env = {
        **os.environ,
        "SCR_DATABASE_URL": settings.database_url,
        "SCR_VAR_DIR": str(settings.var_dir),
        "SCR_BOARDS": ",".join(settings.boards),
    }
    scr = str(Path(sys.executable).parent / "scr")

    async def run(*args: str) -> tuple[int, bytes, bytes]:
        process = await asyncio.create_subprocess_exec(
            scr, "export", *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await process.communicate()
        return process.returncode or 0, out, err

    code, out, err = await run("--case", reference)
    assert code == 0, err
    document = json.loads(out)
    assert document["case"]["reference"] == reference
    assert document["identifiers"]["names"] == FAMILY["names"]  # the host's export is whole

    pdf_file, zip_file = tmp_path / "case.pdf", tmp_path / "board.zip"
    code, _, err = await run("--case", reference, "--format", "pdf", "--out", str(pdf_file))
    assert code == 0, err
    assert reference in pypdf.PdfReader(pdf_file).pages[0].extract_text()
    code, _, err = await run("--board", stack.board.lower(), "--out", str(zip_file))
    assert code == 0, err
    assert f"{reference}/case.json" in zipfile.ZipFile(zip_file).namelist()

    code, _, err = await run("--case", "NOPE-2026-0001", "--out", str(tmp_path / "none.json"))
    assert (code, b"There is no case NOPE-2026-0001" in err) == (1, True)
    assert not (tmp_path / "none.json").exists()
    assert (await run("--board", stack.board))[0] == 2  # an archive needs --out

    rows = [row for row in await audit_rows(stack, "case_exported") if row.actor.startswith("cli:")]
    assert [(row.role, row.details["format"]) for row in rows] == [
        ("operator", "json"),
        ("operator", "pdf"),
        ("operator", "zip"),
    ]
