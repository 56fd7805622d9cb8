"""A document's text, for the anonymisation gate and for rendering text documents on the public site.

``read_document`` gives everything a reader, a screen reader or a search engine could read in a document, in
sections with their places, and the parts it cannot read (``store/pdf_text.py``, ``store/docx_text.py``; HTML
here: its text, and its attributes such as alt, title and link targets). Plain text and Markdown are decoded
as UTF-8 (Markdown's link targets and image alt text are part of its text); HTML loses its tags, scripts and
styles for the page the public site shows.

Everything here is CPU-bound and blocking: call it from a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from domain.anonymisation import TextSection
from domain.documents import DOCX, PDF, TEXT_HTML, TEXT_TYPES
from store.document_reading import DocumentReading, UnreadableDocumentError, UnreadablePart
from store.docx_text import docx_reading
from store.pdf_text import pdf_reading

__all__ = ["DocumentReading", "UnreadableDocumentError", "UnreadablePart", "read_document"]


def read_document(content_type: str, data: bytes) -> DocumentReading:
    """Raises UnreadableDocumentError when the document cannot be read at all."""
    if content_type == PDF:
        return pdf_reading(data)
    if content_type == DOCX:
        return docx_reading(data)
    if content_type in TEXT_TYPES:
        text = document_text(content_type, data)
        sections = [TextSection(text=text)]
        if content_type == TEXT_HTML:
            sections += html_attributes(_decoded(data))
        return DocumentReading(sections=sections)
    raise UnreadableDocumentError(f"no text extraction for {content_type}")


def extract_sections(content_type: str, data: bytes) -> list[TextSection]:
    return read_document(content_type, data).sections


def pdf_sections(data: bytes) -> list[TextSection]:
    return pdf_reading(data).sections


def docx_sections(data: bytes) -> list[TextSection]:
    return docx_reading(data).sections


def _decoded(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableDocumentError("the document is not UTF-8 text") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def document_text(content_type: str, data: bytes) -> str:
    """The text of a text document (what the public site shows of it): HTML without its markup."""
    text = _decoded(data)
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


# What HTML says beyond its text: read out by screen readers (alt, title, aria-label), followed by search
# engines (href, src), or hidden (scripts, styles, comments). Places are named in fixed words (a tag or an
# attribute name is the document's own text): "alt text of image 2", "target of link 3".
_ELEMENTS = {
    "a": "link", "img": "image", "area": "image map area", "input": "form field", "button": "button",
    "abbr": "abbreviation", "iframe": "frame", "video": "video", "audio": "audio", "object": "embedded object",
    "form": "form", "meta": "page metadata", "blockquote": "quotation", "q": "quotation", "table": "table",
}  # fmt: skip
_ATTRIBUTES = {
    "alt": "alt text", "title": "title", "aria-label": "accessible name", "aria-description": "accessible description",
    "placeholder": "placeholder", "summary": "summary", "label": "label", "value": "value", "content": "content",
    "href": "target", "src": "source", "srcset": "sources", "action": "target", "cite": "source", "poster": "poster",
    "data": "data",
}  # fmt: skip


class _AttributeParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[TextSection] = []
        self.other: list[str] = []
        self._counts: dict[str, int] = {}
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _ELEMENTS.get(tag, "element")
        number = self._counts[element] = self._counts.get(element, 0) + 1
        for name, value in attrs:
            if not value:
                continue
            what = _ATTRIBUTES.get(name)
            if what is None:
                self.other.append(value)
            else:
                self.sections.append(TextSection(text=value, part=f"{what} of {element} {number}"))
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden:
            self.other.append(data)

    def handle_comment(self, data: str) -> None:
        self.other.append(data)


def html_attributes(source: str) -> list[TextSection]:
    parser = _AttributeParser()
    parser.feed(source)
    parser.close()
    hidden = TextSection(text="\n".join(parser.other), part="hidden document data", recorded_only=True)
    return [section for section in (*parser.sections, hidden) if section.text.strip()]
