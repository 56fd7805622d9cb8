"""What reading a document for the anonymisation gate gives: its text in sections, and the parts it could not
read (which make the document not clear: the gate fails closed). Shared by the PDF, Word and text readers."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from domain.anonymisation import TextSection


class UnreadableDocumentError(ValueError):
    """The document's text cannot be read (damaged, encrypted): the gate cannot check it."""


@dataclass(frozen=True)
class UnreadablePart:
    """A part of a document the gate cannot read. ``part`` and ``reason`` never repeat the document's own
    words (a part name may be a child's name): they are fixed phrases and numbers."""

    part: str
    reason: str


@dataclass(frozen=True)
class DocumentReading:
    sections: list[TextSection] = field(default_factory=list)
    unreadable: list[UnreadablePart] = field(default_factory=list)


# XML inside documents (Word parts, XMP): no DTDs, no entities, no network, no huge trees.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(data: bytes) -> etree._Element:
    root = etree.fromstring(data, parser=XML_PARSER)
    if root.getroottree().docinfo.doctype:
        raise UnreadableDocumentError("an XML part declares a DTD, which is refused")
    return root


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def machine_text(root: etree._Element, *, skip_text_of: frozenset[str] = frozenset()) -> str:
    """Every attribute value and every text node (except of the tags in ``skip_text_of``), one a line: what a
    machine could read out of an XML part beyond its prose."""
    values: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):  # an XML comment or processing instruction
            if element.text and element.text.strip():
                values.append(element.text)
            continue
        values += [value for value in element.attrib.values() if value.strip()]
        if element.tag not in skip_text_of and element.text and element.text.strip():
            values.append(element.text)
    return "\n".join(values)
