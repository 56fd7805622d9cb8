"""The PDF bundle renders whatever staff typed (quotes, dashes, other scripts, emoji, long unbroken text) with
its standard fonts, and reads back with every section; the identifying details are never printed. The case's PDF
documents are appended through the sanitiser, bookmarked; one that cannot be read is named, not appended."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pikepdf
import pypdf

from api.services.case_export_appendix import append_documents, appendable, sanitised_appendix
from api.services.case_export_pdf import SECTIONS, latin1, render_case_pdf
from domain.case_export import (
    AwaitedEntry,
    CaseExport,
    CaseHeader,
    DeadlineEntry,
    DecisionEntry,
    DocumentEntry,
    ExportedBy,
    NoticeEntry,
    TimelineEntry,
)
from tests.support.document_files import make_pdf
from tests.support.hostile_documents import pdf_open_action_javascript

AT = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
RATIONALE = (
    "\u201cAgencies\u201d didn\u2019t share \u2014 see \u00a71\u2026 \u05e9\u05dc\u05d5\u05dd \U0001f600 \u20ac5"
)


def an_export() -> CaseExport:
    return CaseExport(
        exported_at=AT,
        exported_by=ExportedBy(user="bob", role="business_manager"),
        case=CaseHeader(
            reference="NEL-2026-0007",
            board="NEL",
            stage="in_review",
            overdue=True,
            version=9,
            rule_pack="SCR 2015",
            rule_pack_version="1",
            aware_on=date(2026, 11, 2),
            notified_on=date(2026, 11, 3),
            opened_by="bob",
            opened_at=AT,
            updated_at=AT,
        ),
        facts={"outcome": "died", "abuse_or_neglect": "suspected"},
        assessment=None,
        identifiers_included=True,
        identifiers={"names": ["Jayden Lee Smith"], "schools": ["Oakfield Primary School"]},
        awaiting=[
            AwaitedEntry(
                kind="final_report",
                roles=["lead_reviewer"],
                description="Submit the final report",
                due=date(2027, 5, 3),
            )
        ],
        deadlines=[
            DeadlineEntry(
                key="review_completion",
                title="Complete the serious case review",
                rule="6 calendar months after the SCR was initiated " * 4,
                source="Working Together 2015; NEL SCR procedure",
                due=date(2027, 5, 3),
                status="overdue",
                met_at=None,
                breached_at=AT,
            )
        ],
        decisions=[
            DecisionEntry(
                at=AT,
                decision_kind="chair",
                actor="alice",
                role="independent_chair",
                summary="Independent chair decided to initiate a Serious Case Review",
                rationale=RATIONALE,
                details={"evidence": "x" * 400},
            )
        ],
        notices=[
            NoticeEntry(
                kind="incident_notification",
                recipient="ofsted",
                address="ofsted@ofsted.example",
                subject="[NEL-2026-0007] Notification of a serious child safeguarding incident - sent to ofsted",
                status="sent",
                attempts=1,
                created_at=AT,
                sent_at=AT,
            )
        ],
        documents=[
            DocumentEntry(
                id=3,
                kind="imr",
                kind_title="Individual management review",
                filename="IMR \u2013 health.pdf",
                content_type="application/pdf",
                size=730,
                sha256="9" * 64,
                uploaded_by="bob",
                uploaded_role="business_manager",
                uploaded_at=AT,
                download_path="/api/v1/cases/NEL-2026-0007/documents/3",
                archive_path="documents/3-imr.pdf",
            )
        ],
        timeline=[
            TimelineEntry(
                at=AT,
                kind="decision",
                actor="alice",
                role="independent_chair",
                summary="Decided",
                rationale=RATIONALE,
                details={},
            )
        ],
    )


def test_the_bundle_reads_back_with_every_section_and_no_identifying_details() -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_case_pdf(an_export())))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Case file NEL-2026-0007" in reader.pages[0].extract_text()
    for section in SECTIONS:
        assert section in text
    assert "Agencies\" didn't share - see \u00a71..." in text
    assert "9" * 64 in text
    assert "Submit the final report" in text
    assert "Jayden" not in text
    assert "Oakfield" not in text


def test_text_outside_latin_1_is_folded_or_replaced() -> None:
    assert latin1("\u2018a\u2019 \u2014 b\u2026") == "'a' - b..."
    assert latin1("\U0001f600 \u20ac") == "? ?"
    assert latin1("caf\u00e9") == "caf\u00e9"


def entry(document_id: int, content_type: str = "application/pdf") -> DocumentEntry:
    return an_export().documents[0].model_copy(update={"id": document_id, "content_type": content_type})


def test_the_cases_pdf_documents_are_appended_sanitised_and_bookmarked() -> None:
    report = make_pdf([["Overview report", "Agencies did not share information."]])
    hostile = pdf_open_action_javascript().data
    gathered = [(entry(1), report), (entry(2), hostile), (entry(3), b"%PDF-1.7 this is no PDF")]
    appendix = sanitised_appendix(gathered)
    assert [document.id for document, _ in appendix.documents] == [1, 2]
    assert appendix.notes[1].startswith("appended")
    assert appendix.notes[3].startswith("not appended: the PDF cannot be read")
    export = an_export().model_copy(update={"documents": [entry(1), entry(2), entry(3)]})
    bundle = render_case_pdf(export, files=appendix.notes)
    combined = append_documents(bundle, appendix)

    own_pages = len(pypdf.PdfReader(io.BytesIO(bundle)).pages)
    reader = pypdf.PdfReader(io.BytesIO(combined))
    assert len(reader.pages) == own_pages + 2
    assert "Agencies did not share information." in reader.pages[own_pages].extract_text()
    assert "not appended: the PDF cannot be read" in "\n".join(p.extract_text() for p in reader.pages[:own_pages])
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[-2:] == ["Document 1: Individual management review", "Document 2: Individual management review"]
    with pikepdf.open(io.BytesIO(combined)) as pdf:
        actions = [o.get("/S") for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/S" in o]
        assert not {pikepdf.Name.JavaScript, pikepdf.Name.Launch} & set(actions)
        assert isinstance(pdf.Root.OpenAction, pikepdf.Array)  # the bundle's own: open at its first page
        assert not pdf.attachments
        assert all("/AA" not in page.obj for page in pdf.pages)


def test_only_pdf_documents_are_appended() -> None:
    assert not appendable(entry(4, "text/markdown"))
    assert appendable(entry(5))
