"""The publishable copy of a Word .docx: a new package we write, holding only the parts a published report
needs, with everything hidden or active taken out. Deterministic: the same upload gives the same bytes.

Kept (cleaned): the main document, headers, footers, footnotes, endnotes, styles, numbering, fonts, theme,
settings (without document variables, templates or mail merge) and raster images (re-encoded by Pillow without
EXIF, text chunks or ICC profiles). Taken out: comments and people, custom XML and its bindings, tracked changes
(insertions accepted, deletions dropped), hidden runs, alt text and titles of images, custom and application
properties (core properties blanked), the thumbnail, macros, embedded objects, ActiveX controls, external
relationships other than hyperlinks, XML comments and processing instructions. Anything else is not copied.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from lxml import etree
from PIL import Image

from store.document_reading import UnreadableDocumentError, local_name, parse_xml
from store.docx_text import W, is_hidden_run

R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
VML = "{urn:schemas-microsoft-com:vml}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
OFFICE = "{urn:schemas-microsoft-com:office:office}"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_STORIES = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_KEPT_XML = re.compile(
    r"^word/(styles|stylesWithEffects|numbering|fontTable|webSettings|settings)\.xml$|^word/theme/theme\d*\.xml$"
)
_IMAGE = re.compile(r"^word/media/[^/]+\.(png|jpe?g|gif|bmp|emf|wmf|tiff?)$", re.IGNORECASE)
_RAW_IMAGE_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "gif": "GIF", "bmp": "BMP"}

# Elements dropped with their content, and elements replaced by their content, in every story.
_DROP = {
    W + tag
    for tag in [
        "del",
        "moveFrom",
        "moveFromRangeStart",
        "moveFromRangeEnd",
        "moveToRangeStart",
        "moveToRangeEnd",
        "rPrChange",
        "pPrChange",
        "sectPrChange",
        "tblPrChange",
        "tblPrExChange",
        "tcPrChange",
        "trPrChange",
        "tblGridChange",
        "numberingChange",
        "commentRangeStart",
        "commentRangeEnd",
        "commentReference",
        "annotationRef",
        "dataBinding",
        "altChunk",
        "customXmlInsRangeStart",
        "customXmlInsRangeEnd",
        "customXmlDelRangeStart",
        "customXmlDelRangeEnd",
        "customXmlMoveFromRangeStart",
        "customXmlMoveFromRangeEnd",
        "customXmlMoveToRangeStart",
        "customXmlMoveToRangeEnd",
        "cellDel",
        "cellIns",
        "cellMerge",
    ]
}
_ACTIVE_FIELD = re.compile(r"\b(DDE|DDEAUTO|INCLUDETEXT|INCLUDEPICTURE|LINK|IMPORT|INCLUDE)\b", re.IGNORECASE)
_UNWRAP = {W + "ins", W + "moveTo", W + "customXml", W + "smartTag", W + "bdo", W + "dir"}  # bdo, dir: reorder text
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# When a relationship is dropped, the element using it goes with its nearest enclosing one of these.
_HOLDERS = {
    W + tag
    for tag in [
        "drawing",
        "pict",
        "object",
        "control",
        "altChunk",
        "subDoc",
        "embedRegular",
        "embedBold",
        "embedItalic",
        "embedBoldItalic",
    ]
}


def sanitise_docx(data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return _sanitise(package)
    except UnreadableDocumentError:
        raise
    except Exception as error:  # zipfile, lxml and Pillow raise many types for a damaged package
        raise UnreadableDocumentError(f"the Word document cannot be copied safely ({type(error).__name__})") from None


def _sanitise(package: zipfile.ZipFile) -> bytes:
    names = {info.filename for info in package.infolist() if not info.is_dir()}
    root_rels = parse_xml(package.read("_rels/.rels"))
    targets = [r.get("Target", "").lstrip("/") for r in root_rels if r.get("Type") == OFFICE_DOCUMENT]
    if targets != ["word/document.xml"]:
        raise UnreadableDocumentError("the Word document's main part is not word/document.xml")
    kept = {n for n in names if _STORIES.match(n) or _KEPT_XML.match(n) or _IMAGE.match(n)}
    out: dict[str, bytes | etree._Element] = {}
    for name in sorted(kept):
        if _IMAGE.match(name):
            out[name] = _image(package.read(name), name)
            continue
        root = parse_xml(package.read(name))
        if name == "word/document.xml" and not root.tag.startswith(W):
            raise UnreadableDocumentError(
                "the Word document is in Strict Open XML format, which cannot be copied safely; save it as a "
                "standard Word document (.docx) and upload it again"
            )
        if _STORIES.match(name):
            _clean_story(root)
        elif name == "word/settings.xml":
            _drop_where(root, lambda e: e.tag in {W + "docVars", W + "attachedTemplate", W + "mailMerge", W + "rsids"})
        else:
            _drop_where(root, lambda e: False)  # XML comments and processing instructions
        _strip_alt_text(root)  # pictures live in stories, but also in numbering (picture bullets)
        out[name] = root
    # Relationships: only to parts we copy, or hyperlinks out; then drop what pointed at anything else.
    for name in sorted(kept):
        if not isinstance(out[name], etree._Element):
            continue
        rels_name = _rels_name(name)
        relations: dict[str, bool] = {}
        if rels_name in names and not name.endswith("settings.xml"):
            rels = parse_xml(package.read(rels_name))
            _drop_where(rels, lambda e: False)  # XML comments and processing instructions
            for relation in list(rels):
                keep = _keep_relation(relation, name, kept)
                relations[relation.get("Id", "")] = keep
                if not keep:
                    rels.remove(relation)
            out[rels_name] = rels
        _drop_dangling(out[name], {rid for rid, keep in relations.items() if keep})
    out["docProps/core.xml"] = parse_xml(
        b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"/>'
    )
    out["_rels/.rels"] = _root_relationships()
    out["[Content_Types].xml"] = _content_types(parse_xml(package.read("[Content_Types].xml")), set(out))
    return _zip(out)


def _clean_story(root: etree._Element) -> None:
    # A legacy-format fallback is dropped: Word shows the modern choice, which is what the gate reads.
    _drop_where(root, lambda e: e.tag in _DROP or e.tag == MC_FALLBACK or _is_hidden_run(e) or _is_comment_run(e))
    for element in list(root.iter(*_UNWRAP)):
        _unwrap(element)
    for text in root.iter(W + "t"):  # shown in the order stored, which is the order the gate reads
        if text.text:
            text.text = text.text.translate(_BIDI_CONTROLS)
    # Fields that fetch or run something when the document is opened or updated (DDE, INCLUDETEXT, ...):
    # the code goes, the last shown result stays.
    for paragraph in root.iter(W + "p"):
        codes = list(paragraph.iter(W + "instrText"))
        if _ACTIVE_FIELD.search("".join(code.text or "" for code in codes)):
            for code in codes:  # a field code may be split over several runs
                code.text = ""
    for simple in list(root.iter(W + "fldSimple")):
        if _ACTIVE_FIELD.search(simple.get(W + "instr", "")):
            _unwrap(simple)


def _strip_alt_text(root: etree._Element) -> None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        if name in ("docPr", "cNvPr"):
            for attribute in ("descr", "title"):
                element.attrib.pop(attribute, None)
            if "name" in element.attrib:
                element.set("name", f"Picture {element.get('id', '')}".strip())
        elif element.tag.startswith(VML):
            for attribute in ("alt", "title", OFFICE + "title"):
                element.attrib.pop(attribute, None)


def _drop_where(root: etree._Element, condition: Callable[[etree._Element], bool]) -> None:
    doomed = [e for e in root.iter() if not isinstance(e.tag, str) or condition(e)]  # XML comments and PIs too
    for element in doomed:
        parent = element.getparent()
        if parent is not None:
            _remove_keeping_tail(element)


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)  # Word XML carries no meaningful tails; dropping them keeps the copy simple


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    position = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(position + offset, child)
    parent.remove(element)


def _is_hidden_run(element: etree._Element) -> bool:
    return element.tag == W + "r" and is_hidden_run(element)


def _is_comment_run(element: etree._Element) -> bool:
    return element.tag == W + "r" and element.find(W + "commentReference") is not None


def _rels_name(name: str) -> str:
    folder, _, file = name.rpartition("/")
    return f"{folder}/_rels/{file}.rels"


def _keep_relation(relation: etree._Element, source: str, kept: set[str]) -> bool:
    if relation.get("TargetMode") == "External":
        target = relation.get("Target", "").strip().lower()
        return bool(relation.get("Type") == HYPERLINK and target.startswith(("http://", "https://", "mailto:")))
    target = relation.get("Target", "")
    folder = source.rpartition("/")[0]
    path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
    return path in kept


def _join(folder: str, target: str) -> str:
    parts = folder.split("/") if folder else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _drop_dangling(root: etree._Element, known: set[str]) -> None:
    """Remove what refers to a relationship we did not copy: a picture, an embedded object, a control."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or (element.getparent() is None and element is not root):
            continue
        dangling = [key for key, value in element.attrib.items() if key.startswith(R) and value not in known]
        if not dangling:
            continue
        holder = next((a for a in element.iterancestors() if a.tag in _HOLDERS), None)
        if element.tag in _HOLDERS:
            holder = element
        if holder is not None and holder.getparent() is not None:
            holder.getparent().remove(holder)
        else:
            for key in dangling:
                del element.attrib[key]


def _image(data: bytes, name: str) -> bytes:
    extension = name.rsplit(".", 1)[-1].lower()
    image_format = _RAW_IMAGE_FORMATS.get(extension)
    if image_format is None:
        return data  # EMF, WMF, TIFF: copied, and reported by the gate as a part it cannot read
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image.info = {}
            buffer = io.BytesIO()
            options: dict[str, object] = (
                {"quality": "keep"} if image_format == "JPEG" and image.format == "JPEG" else {}
            )
            image.save(buffer, format=image_format, **options)
            return buffer.getvalue()
    except Exception as error:  # Pillow raises many types for a damaged or hostile image
        raise UnreadableDocumentError(
            f"an image in the Word document cannot be read ({type(error).__name__})"
        ) from None


def _root_relationships() -> etree._Element:
    return parse_xml(
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="' + OFFICE_DOCUMENT.encode() + b'" Target="word/document.xml"/>'
        b'<Relationship Id="rId2" Type="' + CORE.encode() + b'" Target="docProps/core.xml"/></Relationships>'
    )


def _content_types(types: etree._Element, parts: set[str]) -> etree._Element:
    for override in list(types.iter(TYPES + "Override")):
        part = override.get("PartName", "").lstrip("/")
        if part not in parts:
            types.remove(override)
        elif part == "word/document.xml":
            override.set("ContentType", MAIN_TYPE)  # a macro-enabled main part becomes a plain document
    if not any(o.get("PartName") == "/docProps/core.xml" for o in types.iter(TYPES + "Override")):
        etree.SubElement(
            types,
            TYPES + "Override",
            PartName="/docProps/core.xml",
            ContentType="application/vnd.openxmlformats-package.core-properties+xml",
        )
    _drop_where(types, lambda e: False)  # XML comments and processing instructions only
    return types


def _zip(parts: dict[str, bytes | etree._Element]) -> bytes:
    buffer = io.BytesIO()
    order = ["[Content_Types].xml", *sorted(name for name in parts if name != "[Content_Types].xml")]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name in order:
            content = parts[name]
            if isinstance(content, etree._Element):
                content = etree.tostring(content, xml_declaration=True, encoding="UTF-8", standalone=True)
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            package.writestr(info, content)
    return buffer.getvalue()
