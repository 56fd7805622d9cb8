"""The publishable copy of a PDF, written by pikepdf (qpdf): the pages as they are, with everything active or
hidden taken out. Deterministic: the same upload gives the same bytes (a content-derived /ID, no dates).

Taken out: the open action and every additional action (/AA), the JavaScript and embedded-file name trees,
every action other than "go to" a place in the document or a link (/URI), forms (AcroForm, XFA) and their
widgets, every annotation other than a link, the document information dictionary and all XMP metadata, page
thumbnails and application data (/PieceInfo). Bookmarks and tagged-PDF structure (alt text) stay: the gate
reads them. Objects nothing refers to any more are not written.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name

from store.document_reading import UnreadableDocumentError

SAFE_ACTIONS = frozenset({"/GoTo", "/URI"})
SAFE_SCHEMES = ("http://", "https://", "mailto:")  # a javascript: or file: link is taken out
_ROOT_DROPPED = ("/OpenAction", "/AA", "/AcroForm", "/Metadata", "/PieceInfo", "/SpiderInfo", "/Perms", "/URI",
                 "/Collection", "/Threads", "/Legal", "/Extensions")  # fmt: skip
_NAMES_DROPPED = ("/JavaScript", "/EmbeddedFiles", "/AlternatePresentations", "/Renditions", "/Templates", "/Pages")
_ANY_DROPPED = ("/AA", "/Metadata", "/PieceInfo", "/JS", "/EF", "/RichMedia", "/Thumb")
# A link keeps no appearance stream: what it draws would be text the page's text layer does not hold.


def open_pdf(data: bytes) -> pikepdf.Pdf:
    try:
        return pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise UnreadableDocumentError("the PDF is encrypted with a password") from None
    except Exception as error:  # qpdf reports damage in many ways
        raise UnreadableDocumentError(f"the PDF cannot be read ({type(error).__name__})") from None


def sanitise_pdf(data: bytes) -> bytes:
    pdf = open_pdf(data)
    try:
        with pdf:
            _sanitise(pdf)
            buffer = io.BytesIO()
            pdf.save(
                buffer,
                deterministic_id=True,
                fix_metadata_version=False,
                object_stream_mode=pikepdf.ObjectStreamMode.disable,
                compress_streams=True,
            )
            return buffer.getvalue()
    except UnreadableDocumentError:
        raise
    except Exception as error:
        raise UnreadableDocumentError(f"the PDF cannot be copied safely ({type(error).__name__})") from None


def _sanitise(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    for key in _ROOT_DROPPED:
        if key in root:
            del root[key]
    names = root.get("/Names")
    if isinstance(names, Dictionary):
        for key in _NAMES_DROPPED:
            if key in names:
                del names[key]
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    removed: set[tuple[int, int]] = set()
    for page in pdf.pages:
        annotations = page.obj.get("/Annots")
        if annotations is not None:
            links = [a for a in annotations if isinstance(a, Dictionary) and a.get("/Subtype") == Name.Link]
            kept = {link.objgen for link in links if link.is_indirect}
            removed |= {a.objgen for a in annotations if getattr(a, "is_indirect", False) and a.objgen not in kept}
            for link in links:
                if "/AP" in link:
                    del link["/AP"]
            if links:
                page.obj["/Annots"] = Array(links)
            else:
                del page.obj["/Annots"]
    _unlink_from_structure(pdf, removed)
    # Resources a page lists but never draws (a hidden form with text) would be served yet never read.
    pdf.remove_unreferenced_resources()
    # Every object still in the file, and the dictionaries written inside them: no additional actions,
    # metadata streams or unsafe actions anywhere (links, bookmarks, structure elements).
    for obj in pdf.objects:
        _clean(obj, 0)


def _unlink_from_structure(pdf: pikepdf.Pdf, removed: set[tuple[int, int]]) -> None:
    """The tagged structure points at annotations too (object references): drop those to removed ones, so
    they are not written to the copy through the back door."""
    tree = pdf.Root.get("/StructTreeRoot")
    pending: list[object] = [tree] if isinstance(tree, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while pending and len(seen) < 1_000_000:
        element = pending.pop()
        if not isinstance(element, Dictionary) or (element.is_indirect and element.objgen in seen):
            continue
        if element.is_indirect:
            seen.add(element.objgen)
        kids = element.get("/K")
        if isinstance(kids, Array):
            kept = [kid for kid in kids if not _refers_to(kid, removed)]
            if len(kept) != len(kids):
                element["/K"] = Array(kept)
            pending += kept
        elif isinstance(kids, Dictionary):
            if _refers_to(kids, removed):
                del element["/K"]
            else:
                pending.append(kids)


def _refers_to(kid: object, removed: set[tuple[int, int]]) -> bool:
    target = kid.get("/Obj") if isinstance(kid, Dictionary) else None
    return isinstance(target, Dictionary) and target.is_indirect and target.objgen in removed


def _clean(value: object, depth: int) -> None:
    if depth > 64:
        raise UnreadableDocumentError("the PDF nests its objects too deeply")
    if isinstance(value, Array):
        for item in value:
            if not getattr(item, "is_indirect", False):
                _clean(item, depth + 1)
        return
    if not isinstance(value, Dictionary | pikepdf.Stream):
        return
    for key in _ANY_DROPPED:
        if key in value:
            del value[key]
    action = value.get("/A")
    if isinstance(action, Dictionary):
        kind = str(action.get("/S")) if action.get("/S") is not None else ""
        uri = str(action.get("/URI", "")).strip().lower()
        if kind not in SAFE_ACTIONS or (kind == "/URI" and not uri.startswith(SAFE_SCHEMES)):
            del value["/A"]
        elif "/Next" in action:
            del action["/Next"]
    for key in list(value.keys()):
        member = value.get(key)
        if member is not None and not getattr(member, "is_indirect", False):
            _clean(member, depth + 1)
