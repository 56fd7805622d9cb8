"""Reading a PDF for the anonymisation gate: everything a reader, a screen reader or a search engine could read.

Page text (pypdf, page by page), annotations (contents, titles, link targets), form fields (names, tool tips,
values), bookmarks, tagged-PDF alt text and actual text, the document information dictionary and XMP
metadata, and, as a last net, every string in every object (searched for the recorded details only). A page
that shows an image and has no text cannot be read (it may be a scan): the document is then not clear.
Blocking: call from a thread.
"""

from __future__ import annotations

import io
import logging
import re

import pikepdf
import pypdf
from pikepdf import Array, Dictionary, Name
from pypdf.errors import PyPdfError

from domain.anonymisation import TextSection
from store.document_reading import DocumentReading, UnreadableDocumentError, UnreadablePart, machine_text, parse_xml
from store.pdf_sanitiser import open_pdf

# pypdf warns about every odd object in a real-world PDF; the gate reports what it cannot read instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def pdf_reading(data: bytes) -> DocumentReading:
    sections = _page_texts(data)
    unreadable: list[UnreadablePart] = []
    pdf = open_pdf(data)
    try:
        with pdf:
            page_numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages, 1)}
            for number, page in enumerate(pdf.pages, 1):
                sections += _annotations(page.obj, number)
                sections += _marked_content(page.obj, number)
                if not sections_have_text(sections, number) and _shows_image(page.obj):
                    unreadable.append(
                        UnreadablePart(
                            part=f"page {number}", reason="the page shows an image and has no text (a scan?)"
                        )
                    )
                if _has_opaque_font(page.obj):
                    unreadable.append(
                        UnreadablePart(
                            part=f"page {number}",
                            reason="the page draws text in a font whose letters cannot be read (no Unicode mapping)",
                        )
                    )
            sections += _fields(pdf)
            sections += _bookmarks(pdf)
            sections += _structure(pdf, page_numbers)
            sections += _properties(pdf)
            sections.append(TextSection(text=_all_strings(pdf), part="hidden document data", recorded_only=True))
    except UnreadableDocumentError:
        raise
    except Exception as error:  # qpdf and lxml report damage in many ways
        raise UnreadableDocumentError(f"the PDF cannot be read ({type(error).__name__})") from error
    return DocumentReading(sections=[s for s in sections if s.text.strip()], unreadable=unreadable)


def sections_have_text(sections: list[TextSection], page: int) -> bool:
    return any(s.text.strip() for s in sections if s.part == "body" and s.page == page)


def _page_texts(data: bytes) -> list[TextSection]:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise UnreadableDocumentError("the PDF is encrypted with a password")
        return [TextSection(text=page.extract_text() or "", page=n) for n, page in enumerate(reader.pages, 1)]
    except UnreadableDocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
        raise UnreadableDocumentError(f"the PDF cannot be read ({type(error).__name__})") from error


def _text(value: object) -> str:
    return str(value) if isinstance(value, pikepdf.String) else ""


def _annotations(page: Dictionary, number: int) -> list[TextSection]:
    found = []
    for annotation in page.get("/Annots") or []:
        if not isinstance(annotation, Dictionary):
            continue
        texts = [_text(annotation.get(key)) for key in ("/Contents", "/T", "/Subj", "/RC", "/TU", "/V")]
        found.append(TextSection(text="\n".join(t for t in texts if t), part="annotation", page=number))
        action = annotation.get("/A")
        if isinstance(action, Dictionary) and action.get("/URI") is not None:
            found.append(TextSection(text=_text(action.get("/URI")), part="link target", page=number))
    return found


def _marked_content(page: Dictionary, number: int) -> list[TextSection]:
    """Alt text, actual text and expansions written in the page's content stream (what a screen reader
    speaks instead of the drawn glyphs)."""
    found = []
    for instruction in pikepdf.parse_content_stream(page, "BDC DP"):
        operands = getattr(instruction, "operands", [])
        properties = operands[-1] if operands else None
        if isinstance(properties, Dictionary):
            texts = [_text(properties.get(key)) for key in ("/ActualText", "/Alt", "/E")]
            found.append(TextSection(text="\n".join(t for t in texts if t), part="tagged actual text", page=number))
    return found


def _fields(pdf: pikepdf.Pdf) -> list[TextSection]:
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, Dictionary):
        return []
    found: list[TextSection] = []
    pending = list(form.get("/Fields") or [])
    seen: set[tuple[int, int]] = set()
    while pending and len(seen) < 100_000:
        field = pending.pop(0)
        if not isinstance(field, Dictionary) or (field.is_indirect and field.objgen in seen):
            continue
        if field.is_indirect:
            seen.add(field.objgen)
        texts = [_text(field.get(key)) for key in ("/T", "/TU", "/TM", "/V", "/DV")]
        found.append(TextSection(text="\n".join(t for t in texts if t), part=f"form field {len(found) + 1}"))
        pending += list(field.get("/Kids") or [])
    return found


def _bookmarks(pdf: pikepdf.Pdf) -> list[TextSection]:
    found: list[TextSection] = []
    with pdf.open_outline() as outline:
        pending = list(outline.root)
        while pending and len(found) < 100_000:
            item = pending.pop(0)
            found.append(TextSection(text=item.title or "", part=f"bookmark {len(found) + 1}"))
            pending = list(item.children) + pending
    return found


def _structure(pdf: pikepdf.Pdf, pages: dict[tuple[int, int], int]) -> list[TextSection]:
    """Tagged-PDF structure: alt text, actual text, titles and expansions a screen reader speaks."""
    tree = pdf.Root.get("/StructTreeRoot")
    found: list[TextSection] = []
    pending: list[object] = [tree] if isinstance(tree, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while pending and len(seen) < 100_000:
        element = pending.pop()
        if isinstance(element, Array):
            pending += list(element)
            continue
        if not isinstance(element, Dictionary) or (element.is_indirect and element.objgen in seen):
            continue
        if element.is_indirect:
            seen.add(element.objgen)
        page_ref = element.get("/Pg")
        page = pages.get(page_ref.objgen) if isinstance(page_ref, Dictionary) and page_ref.is_indirect else None
        for key, label in (("/Alt", "alt text"), ("/ActualText", "actual text"), ("/T", "title"), ("/E", "expansion")):
            text = _text(element.get(key))
            if text:
                found.append(TextSection(text=text, part=f"tagged {label}", page=page))
        kids = element.get("/K")
        if kids is not None:
            pending.append(kids)
    return found


def _properties(pdf: pikepdf.Pdf) -> list[TextSection]:
    found: list[TextSection] = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, Dictionary):
        values = [_text(info.get(key)) for key in sorted(info.keys())]
        found.append(TextSection(text="\n".join(v for v in values if v), part="properties"))
    metadata = pdf.Root.get("/Metadata")
    if isinstance(metadata, pikepdf.Stream):
        try:
            root = parse_xml(metadata.read_bytes())
        except UnreadableDocumentError:
            raise
        except Exception:
            raise UnreadableDocumentError("the PDF's XMP metadata cannot be read") from None
        found.append(TextSection(text=machine_text(root), part="XMP metadata"))
    return found


def _all_strings(pdf: pikepdf.Pdf) -> str:
    values: list[str] = []

    def visit(value: object, depth: int) -> None:
        if depth > 32:
            return
        if isinstance(value, pikepdf.String):
            values.append(str(value))
        elif isinstance(value, Array):
            for item in value:
                if not getattr(item, "is_indirect", False):
                    visit(item, depth + 1)
        elif isinstance(value, Dictionary | pikepdf.Stream):
            for key in list(value.keys()):
                member = value.get(key)
                if member is not None and not getattr(member, "is_indirect", False):
                    visit(member, depth + 1)

    for obj in pdf.objects:
        visit(obj, 0)
    return "\n".join(v for v in values if v.strip())


def _shows_image(page: Dictionary) -> bool:
    resources = page.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, Dictionary) else None
    if isinstance(xobjects, Dictionary):
        for key in list(xobjects.keys()):
            xobject = xobjects.get(key)
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") in (Name.Image, Name.Form):
                return True
    try:
        return any(isinstance(i, pikepdf.ContentStreamInlineImage) for i in pikepdf.parse_content_stream(page))
    except pikepdf.PdfError:
        return True


# Glyph names that say nothing about the letter drawn (what a font subset made to hide text uses).
_OPAQUE_GLYPH = re.compile(r"^/(?:g|glyph|cid|index|c|G)\d+$")


def _has_opaque_font(page: Dictionary) -> bool:
    """A font the text extraction cannot turn into letters: a composite font with no Unicode mapping (other
    than a predefined Unicode CMap), or a simple font whose encoding renames glyphs opaquely."""
    resources = page.get("/Resources")
    fonts = resources.get("/Font") if isinstance(resources, Dictionary) else None
    if not isinstance(fonts, Dictionary):
        return False
    for key in list(fonts.keys()):
        font = fonts.get(key)
        if not isinstance(font, Dictionary) or "/ToUnicode" in font:
            continue
        encoding = font.get("/Encoding")
        if font.get("/Subtype") == Name.Type0:
            if not (isinstance(encoding, Name) and "Uni" in str(encoding)):
                return True
        elif isinstance(encoding, Dictionary):
            differences = encoding.get("/Differences")
            if isinstance(differences, Array) and any(
                isinstance(d, Name) and _OPAQUE_GLYPH.match(str(d)) for d in differences
            ):
                return True
    return False
