"""The gate against a hostile corpus (tests/support/hostile_documents.py): for every trick and type, the gate
finds the child's name with a place a person understands, the publishable copy carries no active content
(and no trace of a name that was hidden), and the copy is deterministic: the bytes served are the bytes read."""

from __future__ import annotations

import hashlib
import io
import zipfile

import docx
import pikepdf
import pytest

from domain.anonymisation import Category, IdentifierScanner
from domain.documents import DOCX, PDF, TEXT_PLAIN
from store.anonymisation_gate import check_bytes
from store.document_text import read_document
from store.models import CaseDocument
from store.publishable_copy import PublishableCopy, UnsanitisableDocumentError, sanitise
from tests.support.document_files import make_docx
from tests.support.hostile_documents import (
    CHILD,
    CORPUS,
    _append_body,
    _patch,
    _pdf,
    docx_alt_text,
    pdf_open_action_javascript,
)
from tests.support.publication_harness import FAMILY

SCANNER = IdentifierScanner(FAMILY)
IDENTIFYING = {Category.NAME, Category.NAME_PART, Category.EMAIL}
DOCX_PARTS_ALLOWED = (
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/core.xml",
    "word/",
)


def document(content_type: str) -> CaseDocument:
    return CaseDocument(id=7, kind="overview_report", content_type=content_type, sha256="0" * 64)


def assert_no_active_content(copy: PublishableCopy) -> None:
    if copy.content_type == PDF:
        for marker in (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/EmbeddedFile", b"/AcroForm", b"/AA"):
            assert marker not in copy.data, marker
        with pikepdf.open(io.BytesIO(copy.data)) as pdf:
            assert "/Info" not in pdf.trailer
            assert "/Metadata" not in pdf.Root
            assert "/Names" not in pdf.Root or "/EmbeddedFiles" not in pdf.Root.Names
            for page in pdf.pages:
                assert all(a.Subtype == pikepdf.Name.Link for a in page.obj.get("/Annots") or [])
    elif copy.content_type == DOCX:
        with zipfile.ZipFile(io.BytesIO(copy.data)) as package:
            names = package.namelist()
            assert all(n.startswith(DOCX_PARTS_ALLOWED) for n in names), names
            assert not [n for n in names if "comments" in n or "customXml" in n or n.endswith(".bin")]
            parts = "".join(package.read(n).decode() for n in names if n.endswith((".xml", ".rels")))
        docx.Document(io.BytesIO(copy.data))  # still a Word document
        for tag in ("<w:vanish", "descr=", "<w:ins ", "<w:del ", "<w:delText", "vbaProject", "<w:docVar"):
            assert tag not in parts, tag
    else:
        assert copy.content_type == TEXT_PLAIN
        text = copy.data.decode("utf-8")
        assert "<script" not in text
        assert "<img" not in text
        assert "href=" not in text


@pytest.mark.parametrize("trick", list(CORPUS))
def test_the_gate_finds_the_name_and_publishes_a_clean_copy(trick: str) -> None:
    hostile = CORPUS[trick]()
    checked = check_bytes(SCANNER, document(hostile.content_type), hostile.data)

    places = [hit.place.describe() for hit in checked.hits if hit.category in IDENTIFYING]
    assert any(hostile.where in place for place in places), places
    assert_no_active_content(checked.copy)
    # Served = scanned: the copy is made again identically, and its sha256 is of those bytes.
    assert sanitise(hostile.content_type, hostile.data) == (checked.copy.content_type, checked.copy.data)
    assert checked.copy.sha256 == hashlib.sha256(checked.copy.data).hexdigest()
    served = SCANNER.scan(read_document(checked.copy.content_type, checked.copy.data).sections)
    if hostile.hidden:
        # Where the name was hidden, the copy holds no trace of it: the hit is in the upload only.
        assert not [hit for hit in served if hit.category in IDENTIFYING]
        assert all("left out of the published copy" in place for place in places if hostile.where in place)
    else:
        assert [hit for hit in served if hit.category in IDENTIFYING]


def test_an_alt_text_hit_says_where_it_is_in_plain_words() -> None:
    checked = check_bytes(SCANNER, document(DOCX), docx_alt_text().data)
    [hit] = [hit for hit in checked.hits if hit.matched == "Jayden"]
    assert hit.place.describe() == (
        "image 1 alt text (in the upload only: left out of the published copy), paragraph 1, line 1, character 15"
    )


def test_the_pdf_copy_keeps_its_pages_and_loses_its_script() -> None:
    hostile = pdf_open_action_javascript()
    checked = check_bytes(SCANNER, document(PDF), hostile.data)
    with pikepdf.open(io.BytesIO(checked.copy.data)) as pdf:
        assert len(pdf.pages) == 1
    [page] = [s for s in read_document(PDF, checked.copy.data).sections if s.part == "body"]
    assert "Agencies did not share information." in page.text
    assert CHILD not in checked.copy.data.decode("latin-1")


def test_a_copy_that_cannot_be_made_is_refused() -> None:
    with pytest.raises(UnsanitisableDocumentError):
        sanitise("image/png", b"\x89PNG")
    with pytest.raises(UnsanitisableDocumentError):
        sanitise(PDF, b"%PDF-1.4 not really")
    with pytest.raises(UnsanitisableDocumentError):
        sanitise(DOCX, b"PK\x03\x04 not a zip")
    strict = _patch(
        make_docx(["Overview."]),
        {
            "word/document.xml": lambda xml: xml.replace(
                "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                "http://purl.oclc.org/ooxml/wordprocessingml/main",
            )
        },
    )
    with pytest.raises(UnsanitisableDocumentError, match="Strict Open XML"):
        sanitise(DOCX, strict)


def test_a_dde_field_loses_its_code_and_keeps_its_shown_result() -> None:
    field = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DDE</w:instrText></w:r>'
        '<w:r><w:instrText>AUTO c:\\windows\\system32\\cmd.exe "/c calc"</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Shown result</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    data = _patch(make_docx(["Overview."]), {"word/document.xml": _append_body(field)})
    _, copy = sanitise(DOCX, data)
    with zipfile.ZipFile(io.BytesIO(copy)) as package:
        body = package.read("word/document.xml").decode()
    assert "cmd.exe" not in body
    assert "DDE" not in body
    assert "Shown result" in body


def test_only_web_and_mail_links_survive_in_a_pdf() -> None:
    def edit(pdf: pikepdf.Pdf) -> None:
        links = [
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=[0, 0, 10, 10],
                A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)),
            )
            for uri in ("https://www.gov.uk/", "javascript:alert(1)", "file:///etc/passwd")
        ]
        pdf.pages[0].obj.Annots = pikepdf.Array(links)

    _, copy = sanitise(PDF, _pdf(edit))
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        targets = [str(a.A.URI) if "/A" in a else None for a in pdf.pages[0].obj.Annots]
    assert targets == ["https://www.gov.uk/", None, None]


def test_an_annotation_the_structure_points_at_is_not_written_to_the_copy() -> None:
    def edit(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Rect=[0, 0, 10, 10],
                Contents=pikepdf.String(f"Ask {CHILD}"),
            )
        )
        page.Annots = pikepdf.Array([note])
        reference = pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=note, Pg=page)
        element = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Annot, K=reference))
        pdf.Root.StructTreeRoot = pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot, K=pikepdf.Array([element]))

    checked = check_bytes(SCANNER, document(PDF), _pdf(edit))
    assert [h.place.part for h in checked.hits if h.matched == "Jayden"] == [
        "annotation (in the upload only: left out of the published copy)"
    ]
    with pikepdf.open(io.BytesIO(checked.copy.data)) as pdf:
        strings = [str(v) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) for v in obj.values()]
    assert not [s for s in strings if "Jayden" in s]


def test_text_reversed_by_a_bidi_override_is_served_in_the_order_the_gate_read() -> None:
    reversed_name = "\u202ehtimS nedyaJ\u202c"  # shows as "Jayden Smith"
    _, text_copy = sanitise("text/plain", f"About {reversed_name}.".encode())
    assert text_copy.decode() == "About htimS nedyaJ."
    body = (
        '<w:p><w:r><w:t>Shown reversed: </w:t></w:r><w:bdo w:val="rtl"><w:r><w:t>htimS nedyaJ</w:t></w:r></w:bdo></w:p>'
    )
    data = _patch(make_docx([f"About {reversed_name}."]), {"word/document.xml": _append_body(body)})
    _, docx_copy = sanitise(DOCX, data)
    with zipfile.ZipFile(io.BytesIO(docx_copy)) as package:
        document_xml = package.read("word/document.xml").decode()
    assert "\u202e" not in document_xml
    assert "w:bdo" not in document_xml
