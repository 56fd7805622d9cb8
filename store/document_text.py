"""A document's text, for the anonymisation gate and for rendering text documents on the public site.

Plain text and Markdown are decoded as UTF-8; HTML loses its tags, scripts and styles; PDF text comes from
pypdf page by page (plus the document properties and annotations); Word .docx from python-docx paragraph by
paragraph (body and tables in order), plus the parts a published file still carries: headers, footers,
footnotes, endnotes, comments, text boxes, tracked deletions and the document properties.

Everything here is CPU-bound and blocking: call it from a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import docx
import pypdf
from docx.oxml import parse_xml
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf.errors import PyPdfError

from domain.anonymisation import TextSection
from domain.documents import DOCX, PDF, TEXT_HTML, TEXT_TYPES

# pypdf warns about every odd object in a real-world PDF; the gate reports what it cannot read instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class UnreadableDocumentError(ValueError):
    """The document's text cannot be read (damaged, encrypted): the gate cannot check it."""


def extract_sections(content_type: str, data: bytes) -> list[TextSection]:
    if content_type == PDF:
        return pdf_sections(data)
    if content_type == DOCX:
        return docx_sections(data)
    if content_type in TEXT_TYPES:
        return [TextSection(text=document_text(content_type, data))]
    raise UnreadableDocumentError(f"no text extraction for {content_type}")


def document_text(content_type: str, data: bytes) -> str:
    """The text of a text document (what the public site shows of it): HTML without its markup."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableDocumentError("the document is not UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return html_text(text) if content_type == TEXT_HTML else text


def has_text(sections: list[TextSection]) -> bool:
    return any(section.text.strip() for section in sections if section.part == "body")


# HTML


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object"})
_BLOCKS = _words(
    """address article aside blockquote caption dd details div dl dt fieldset figcaption figure footer form h1 h2 h3
    h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot title tr ul"""
)
_VOID = _words("area base br col embed hr img input link meta param source track wbr")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skipping.append(tag)
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self._pre += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_text(source: str) -> str:
    parser = _TextParser()
    parser.feed(source)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


# PDF


def pdf_sections(data: bytes) -> list[TextSection]:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise UnreadableDocumentError("the PDF is encrypted with a password")
        sections = [
            TextSection(text=page.extract_text() or "", page=number) for number, page in enumerate(reader.pages, 1)
        ]
        sections += _pdf_annotations(reader)
        sections += _pdf_properties(reader)
    except UnreadableDocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
        raise UnreadableDocumentError(f"the PDF cannot be read ({type(error).__name__})") from None
    return sections


def _pdf_annotations(reader: pypdf.PdfReader) -> list[TextSection]:
    sections = []
    for number, page in enumerate(reader.pages, 1):
        annotations = page.get("/Annots")
        for reference in annotations.get_object() if annotations is not None else []:
            annotation = reference.get_object()
            texts = [str(annotation.get(key)) for key in ("/Contents", "/T") if annotation.get(key)]
            if texts:
                sections.append(TextSection(text="\n".join(texts), part="annotation", page=number))
    return sections


def _pdf_properties(reader: pypdf.PdfReader) -> list[TextSection]:
    metadata = reader.metadata
    if not metadata:
        return []
    values = [str(metadata.get(key)) for key in ("/Title", "/Subject", "/Keywords", "/Author") if metadata.get(key)]
    return [TextSection(text="\n".join(values), part="properties")] if values else []


# Word


def docx_sections(data: bytes) -> list[TextSection]:
    try:
        document = docx.Document(io.BytesIO(data))
        sections: list[TextSection] = []
        number = 0
        for paragraph in _body_paragraphs(document.iter_inner_content()):
            text = paragraph.text
            if text.strip():
                number += 1
                sections.append(TextSection(text=text, paragraph=number))
        for part in document.part.package.iter_parts():
            label = _docx_part_label(str(part.partname))
            if label is None:
                continue
            root = parse_xml(part.blob)
            if label == "body":
                sections += _paragraph_texts(root.iter(f"{W}txbxContent"), "text box")
                deleted = [t.text or "" for t in root.iter(f"{W}delText")]
                if any(text.strip() for text in deleted):
                    sections.append(TextSection(text="\n".join(deleted), part="tracked deletion"))
            else:
                sections += _paragraph_texts([root], label)
        properties = document.core_properties
        values = [
            value
            for value in (
                properties.title,
                properties.subject,
                properties.keywords,
                properties.comments,
                properties.category,
                properties.author,
                properties.last_modified_by,
            )
            if value
        ]
        if values:
            sections.append(TextSection(text="\n".join(values), part="properties"))
    except Exception as error:  # python-docx and lxml raise many types for a damaged package
        raise UnreadableDocumentError(f"the Word document cannot be read ({type(error).__name__})") from None
    return sections


def _body_paragraphs(items: Iterable[Paragraph | Table]) -> list[Paragraph]:
    found: list[Paragraph] = []
    seen_cells: set[int] = set()
    for item in items:
        if isinstance(item, Paragraph):
            found.append(item)
        elif isinstance(item, Table):
            for row in item.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen_cells:  # a merged cell appears once per grid position
                        continue
                    seen_cells.add(id(cell._tc))
                    found += _body_paragraphs(cell.iter_inner_content())
    return found


_PART_LABELS = (
    (re.compile(r"^/word/document\.xml$"), "body"),
    (re.compile(r"^/word/header\d*\.xml$"), "header"),
    (re.compile(r"^/word/footer\d*\.xml$"), "footer"),
    (re.compile(r"^/word/footnotes\.xml$"), "footnote"),
    (re.compile(r"^/word/endnotes\.xml$"), "endnote"),
    (re.compile(r"^/word/comments\.xml$"), "comment"),
)


def _docx_part_label(partname: str) -> str | None:
    for pattern, label in _PART_LABELS:
        if pattern.match(partname):
            return label
    return None


def _paragraph_texts(roots: Iterable[Any], label: str) -> list[TextSection]:
    sections = []
    for root in roots:
        paragraphs = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p")]
        text = "\n".join(p for p in paragraphs if p.strip())
        if text:
            sections.append(TextSection(text=text, part=label))
    return sections
