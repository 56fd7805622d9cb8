"""Reading a Word .docx for the anonymisation gate: everything a reader, a screen reader or a search engine
could read in it, each with a place a person understands.

Body paragraphs (tables included, in order), hidden runs, tracked deletions, field codes, text boxes, image
alt text, headers, footers, footnotes, endnotes, comments and their authors, link targets, core, application
and custom properties, document variables, custom XML parts, and, as a last net, every other attribute value
and text node of every XML part (searched for the recorded details only). A part that is neither XML nor an
image the publishable copy re-encodes is reported as unreadable. Read with zipfile and lxml; blocking.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from domain.anonymisation import TextSection
from store.document_reading import (
    DocumentReading,
    UnreadableDocumentError,
    UnreadablePart,
    local_name,
    machine_text,
    parse_xml,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
VML = "{urn:schemas-microsoft-com:vml}"
OFFICE = "{urn:schemas-microsoft-com:office:office}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TXBX = W + "txbxContent"
RASTER_IMAGES = frozenset({"png", "jpeg", "jpg", "gif", "bmp"})
"""Image formats the publishable copy re-encodes without metadata; any other binary part cannot be read."""

_STORY = re.compile(r"^word/(header|footer)(\d*)\.xml$")


def docx_reading(data: bytes) -> DocumentReading:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return _read(package)
    except UnreadableDocumentError:
        raise
    except Exception as error:  # zipfile and lxml raise many types for a damaged package
        raise UnreadableDocumentError(f"the Word document cannot be read ({type(error).__name__})") from None


def _read(package: zipfile.ZipFile) -> DocumentReading:
    names = [info.filename for info in package.infolist() if not info.is_dir()]
    if "word/document.xml" not in names:
        raise UnreadableDocumentError("the Word document has no word/document.xml")
    sections: list[TextSection] = []
    unreadable: list[UnreadablePart] = []
    images = _Counter()
    links = _Counter()
    for name in sorted(names, key=_reading_order):
        extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
        if extension not in ("xml", "rels"):
            if not (name.startswith("word/media/") and extension in RASTER_IMAGES):
                metafile = extension in ("emf", "wmf", "tif", "tiff")
                what = f"an image in {extension.upper()} format" if metafile else "an embedded file or object"
                unreadable.append(UnreadablePart(part="embedded content", reason=f"{what} the check cannot read"))
            continue
        root = parse_xml(package.read(name))
        sections += _part_sections(name, root, images, links)
        sections.append(_net(root))
    return DocumentReading(sections=[s for s in sections if s.text.strip()], unreadable=unreadable)


def _reading_order(name: str) -> tuple[int, str]:
    order = ("word/document.xml", "word/header", "word/footer", "word/footnotes", "word/endnotes", "word/comments")
    for rank, prefix in enumerate(order):
        if name.startswith(prefix):
            return rank, _natural(name)
    return len(order), _natural(name)


def _natural(name: str) -> str:
    return re.sub(r"\d+", lambda m: m.group().zfill(6), name)


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def _part_sections(name: str, root: etree._Element, images: _Counter, links: _Counter) -> list[TextSection]:
    if name == "word/document.xml":
        return _story(root, "body", images)
    story = _STORY.match(name)
    if story:
        return _story(root, story.group(1), images)
    if name in ("word/footnotes.xml", "word/endnotes.xml"):
        label = "footnote" if "foot" in name else "endnote"
        found: list[TextSection] = []
        number = 0
        for note in (n for n in root if local_name(n) in ("footnote", "endnote")):
            if note.get(W + "type") in (None, "normal"):
                number += 1
                found += _story(note, f"{label} {number}", images)
            else:  # separators: normally empty, but read all the same
                found += _story(note, f"{label} separator", images)
        return found
    if name == "word/comments.xml":
        found = []
        for number, comment in enumerate((c for c in root if local_name(c) == "comment"), 1):
            found += _story(comment, f"comment {number}", images)
            author = "\n".join(v for v in (comment.get(W + "author"), comment.get(W + "initials")) if v)
            found.append(TextSection(text=author, part=f"comment {number} author", recorded_only=True))
        return found
    if name.endswith(".rels"):
        found = []
        for relation in root.iter(RELS + "Relationship"):
            if relation.get("TargetMode") == "External":
                found.append(TextSection(text=relation.get("Target", ""), part=f"link {links.next()} target"))
        return found
    if name == "docProps/core.xml":
        return [TextSection(text=_all_text(root), part="properties")]
    if name == "docProps/app.xml":
        return [TextSection(text=_all_text(root), part="properties (application)", recorded_only=True)]
    if name == "docProps/custom.xml":
        return [
            TextSection(text=f"{prop.get('name', '')}\n{_all_text(prop)}", part=f"properties: custom property {n}")
            for n, prop in enumerate((p for p in root if local_name(p) == "property"), 1)
        ]
    if name == "word/settings.xml":
        variables = [v for v in root.iter(W + "docVar")]
        text = "\n".join(f"{v.get(W + 'name', '')}\n{v.get(W + 'val', '')}" for v in variables)
        return [TextSection(text=text, part="document variables")]
    if name.startswith("customXml/"):
        # Machine data (SharePoint and the like carry staff emails): the recorded details only.
        return [TextSection(text=_all_text(root), part="custom XML data", recorded_only=True)]
    if name.startswith("word/") and not name.startswith("word/_rels/"):
        return [TextSection(text=_all_text(root), part="other document content", recorded_only=True)]
    return []


def _net(root: etree._Element) -> TextSection:
    """The last net: every attribute and other text of the part, for the recorded details only."""
    return TextSection(text=machine_text(root), part="hidden document data", recorded_only=True)


def _all_text(root: etree._Element) -> str:
    return "\n".join(text for text in root.itertext() if text.strip())


def _story(root: etree._Element, label: str, images: _Counter | None) -> list[TextSection]:
    """A story's paragraphs (body, a header, a footnote, a comment), each with what hides in it."""
    found: list[TextSection] = []
    number = 0
    for paragraph in _paragraphs(root):
        visible: list[str] = []
        hidden: list[str] = []
        deleted: list[str] = []
        codes: list[str] = []
        _collect(paragraph, visible, hidden, deleted, codes)
        text = "".join(visible)
        if text.strip():
            number += 1
        at = max(number, 1)
        found.append(TextSection(text=text, part=label, paragraph=at))
        found.append(TextSection(text="".join(hidden), part=_within(label, "hidden text"), paragraph=at))
        found.append(TextSection(text="\n".join(deleted), part=_within(label, "tracked deletion"), paragraph=at))
        found.append(TextSection(text="\n".join(codes), part=_within(label, "field code"), paragraph=at))
    for box_number, box in enumerate(_text_boxes(root), 1):
        found += _story(box, _within(label, f"text box {box_number}"), None)
    if images is not None:  # once per story, text boxes included
        found += _alt_texts(root, images)
    return found


def _within(label: str, what: str) -> str:
    return what if label == "body" else f"{label}, {what}"


def _paragraphs(element: etree._Element) -> Iterator[etree._Element]:
    for child in element:
        if child.tag == W + "p":
            yield child
        elif child.tag not in (TXBX, MC_FALLBACK) and isinstance(child.tag, str):
            yield from _paragraphs(child)


def _text_boxes(root: etree._Element) -> Iterator[etree._Element]:
    """The story's own text boxes: not the story itself, not one inside another (read with it), and not the
    copy a legacy-format fallback repeats (the publishable copy drops fallbacks; the last net reads them)."""
    for box in root.iterdescendants(TXBX):
        between = itertools.takewhile(lambda ancestor: ancestor is not root, box.iterancestors())
        if not any(ancestor.tag in (MC_FALLBACK, TXBX) for ancestor in between):
            yield box


def _collect(
    element: etree._Element, visible: list[str], hidden: list[str], deleted: list[str], codes: list[str]
) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in (TXBX, MC_FALLBACK):
            continue
        if tag == W + "r":
            target = hidden if is_hidden_run(child) else visible
            for node in child.iter():
                if node.tag == W + "t":
                    target.append(node.text or "")
                elif node.tag in (W + "tab", W + "ptab"):
                    target.append("\t")
                elif node.tag in (W + "br", W + "cr"):
                    target.append("\n")
                elif node.tag == W + "noBreakHyphen":
                    target.append("-")
                elif node.tag in (W + "delText", W + "delInstrText"):
                    deleted.append(node.text or "")
                elif node.tag == W + "instrText":
                    codes.append(node.text or "")
                elif node.tag == TXBX:
                    break
            continue
        if tag == W + "fldSimple" and child.get(W + "instr"):
            codes.append(child.get(W + "instr", ""))
        if tag in (W + "del", W + "moveFrom"):
            _collect(child, deleted, deleted, deleted, codes)
            continue
        _collect(child, visible, hidden, deleted, codes)


def is_hidden_run(run: etree._Element) -> bool:
    """A run Word does not show (``vanish``/``specVanish``): read as hidden here, removed by the sanitiser."""
    properties = run.find(W + "rPr")
    if properties is None:
        return False
    for tag in ("vanish", "specVanish"):
        flag = properties.find(W + tag)
        if flag is not None and flag.get(W + "val", "true").lower() not in ("0", "false", "off"):
            return True
    return False


def _alt_texts(root: etree._Element, images: _Counter) -> list[TextSection]:
    """Alt text and titles of pictures and shapes (DrawingML docPr/cNvPr, VML alt/title), one section each."""
    found: list[TextSection] = []
    current = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = local_name(element)
        if name == "docPr" or element.tag == VML + "shape":
            current = images.next()
        if name in ("docPr", "cNvPr"):
            values = [element.get("descr"), element.get("title")]
            shape_name = element.get("name")
        elif element.tag.startswith(VML):
            values = [element.get("alt"), element.get("title"), element.get(OFFICE + "title")]
            shape_name = None
        else:
            continue
        text = "\n".join(v for v in values if v and v.strip())
        label = f"image {max(current, 1)} alt text"
        found.append(TextSection(text=text, part=label))
        if shape_name:
            found.append(TextSection(text=shape_name, part=f"image {max(current, 1)} name", recorded_only=True))
    return found
