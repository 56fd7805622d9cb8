"""A hostile corpus, built by code: one document per trick and type, each hiding the child's name (from
``publication_harness.FAMILY``) where a careless gate would not look. Each builder returns
``(content type, bytes, where)``: ``where`` is a word the gate's place for the hit must contain."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import docx
import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

from tests.support.document_files import DOCX_TYPE, make_docx, make_pdf

PDF_TYPE = "application/pdf"
CHILD = "Jayden Smith"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass(frozen=True)
class Hostile:
    content_type: str
    data: bytes
    where: str  # a word of the hit's place, e.g. "alt text", "comment 1", "page 1"
    hidden: bool  # True: the trick hides the name, so the publishable copy must not carry it at all


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _save(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _patch(data: bytes, edits: dict[str, Callable[[str], str]], added: dict[str, str] | None = None) -> bytes:
    """Rewrite parts of a .docx (text edits of its XML) and add parts."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in edits:
                content = edits[info.filename](content.decode()).encode()
            target.writestr(info.filename, content)
        for name, text in (added or {}).items():
            target.writestr(name, text)
    return buffer.getvalue()


def _append_body(xml: str) -> Callable[[str], str]:
    return lambda document: document.replace("<w:sectPr", xml + "<w:sectPr", 1)


def _add_relationship(kind: str, target: str) -> Callable[[str], str]:
    relation = f'<Relationship Id="rIdHostile" Type="{kind}" Target="{target}"/>'
    return lambda rels: rels.replace("</Relationships>", relation + "</Relationships>")


# Word


def docx_alt_text() -> Hostile:
    document = docx.Document()
    document.add_paragraph("The family home is described in section 2.")
    document.add_picture(io.BytesIO(png()))
    document.inline_shapes[0]._inline.docPr.set("descr", f"Photograph of {CHILD} at school")
    document.inline_shapes[0]._inline.docPr.set("title", "Photograph")
    return Hostile(DOCX_TYPE, _save(document), "image 1 alt text", hidden=True)


def docx_custom_xml() -> Hostile:
    base = make_docx(["Nothing identifying here."])
    item = f'<?xml version="1.0"?><case><child name="{CHILD}">{CHILD}</child></case>'
    data = _patch(
        base,
        {
            "word/_rels/document.xml.rels": _add_relationship(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
                "../customXml/item9.xml",
            )
        },
        {"customXml/item9.xml": item},
    )
    return Hostile(DOCX_TYPE, data, "custom XML", hidden=True)


def docx_comment() -> Hostile:
    document = docx.Document()
    paragraph = document.add_paragraph("Agencies did not share information.")
    document.add_comment(paragraph.runs, text=f"Check this with {CHILD}'s social worker", author="Reviewer")
    return Hostile(DOCX_TYPE, _save(document), "comment 1", hidden=True)


def docx_hidden_run() -> Hostile:
    document = docx.Document()
    paragraph = document.add_paragraph("The child ")
    paragraph.add_run(CHILD).font.hidden = True
    paragraph.add_run(" was known to services.")
    return Hostile(DOCX_TYPE, _save(document), "hidden text", hidden=True)


def docx_header() -> Hostile:
    return Hostile(DOCX_TYPE, make_docx(["Overview."], header=f"Review of {CHILD}"), "header", hidden=False)


def docx_footer() -> Hostile:
    return Hostile(DOCX_TYPE, make_docx(["Overview."], footer=f"{CHILD} - confidential"), "footer", hidden=False)


def docx_tracked_insertion() -> Hostile:
    inserted = (
        f'<w:p><w:ins w:id="91" w:author="Reviewer" w:date="2017-01-01T00:00:00Z"><w:r><w:t>{CHILD}</w:t></w:r>'
        "</w:ins></w:p>"
    )
    data = _patch(make_docx(["Overview."]), {"word/document.xml": _append_body(inserted)})
    return Hostile(DOCX_TYPE, data, "paragraph 2", hidden=False)  # accepted: it is body text in the copy


def docx_tracked_deletion() -> Hostile:
    deleted = (
        f'<w:p><w:del w:id="92" w:author="Reviewer" w:date="2017-01-01T00:00:00Z"><w:r><w:delText>{CHILD}'
        "</w:delText></w:r></w:del><w:r><w:t>The child</w:t></w:r></w:p>"
    )
    data = _patch(make_docx(["Overview."]), {"word/document.xml": _append_body(deleted)})
    return Hostile(DOCX_TYPE, data, "tracked deletion", hidden=True)


def docx_core_properties() -> Hostile:
    document = docx.Document()
    document.add_paragraph("Overview.")
    document.core_properties.subject = f"Serious case review: {CHILD}"
    document.core_properties.author = CHILD
    return Hostile(DOCX_TYPE, _save(document), "properties", hidden=True)


def docx_custom_property() -> Hostile:
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Subject">'
        f"<vt:lpwstr>{CHILD}</vt:lpwstr></property></Properties>"
    )
    data = _patch(
        make_docx(["Overview."]),
        {
            "_rels/.rels": _add_relationship(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
                "docProps/custom.xml",
            )
        },
        {"docProps/custom.xml": custom},
    )
    return Hostile(DOCX_TYPE, data, "custom property 1", hidden=True)


VML_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'
MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'


def docx_text_box() -> Hostile:
    box = (
        f'<w:p><w:r><w:pict><v:shape {VML_NS} id="box1" style="width:100pt;height:50pt"><v:textbox>'
        f"<w:txbxContent><w:p><w:r><w:t>Interview with {CHILD}</w:t></w:r></w:p></w:txbxContent>"
        "</v:textbox></v:shape></w:pict></w:r></w:p>"
    )
    data = _patch(make_docx(["Overview."]), {"word/document.xml": _append_body(box)})
    return Hostile(DOCX_TYPE, data, "text box 1", hidden=False)


def docx_fallback_only() -> Hostile:
    """The name only in the legacy fallback of a text box (what an old reader would show)."""
    box = (
        f'<w:p><w:r><mc:AlternateContent {MC_NS}><mc:Choice Requires="v"><w:pict><v:shape {VML_NS} id="b2">'
        "<v:textbox><w:txbxContent><w:p><w:r><w:t>Child J</w:t></w:r></w:p></w:txbxContent></v:textbox>"
        f'</v:shape></w:pict></mc:Choice><mc:Fallback><w:pict><v:shape {VML_NS} id="b3"><v:textbox><w:txbxContent>'
        f"<w:p><w:r><w:t>{CHILD}</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    data = _patch(make_docx(["Overview."]), {"word/document.xml": _append_body(box)})
    return Hostile(DOCX_TYPE, data, "hidden document data", hidden=True)


def docx_footnote() -> Hostile:
    w = f'xmlns:w="{W_NS}"'
    notes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {w}>'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:id="1"><w:p><w:r><w:t>Source: agency records.</w:t></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="2"><w:p><w:r><w:t>As told by {CHILD}.</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    body = '<w:p><w:r><w:t>A finding.</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>'
    override = (
        '<Override PartName="/word/footnotes.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
    )
    data = _patch(
        make_docx(["Overview."]),
        {
            "word/document.xml": _append_body(body),
            "word/_rels/document.xml.rels": _add_relationship(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes", "footnotes.xml"
            ),
            "[Content_Types].xml": lambda types: types.replace("</Types>", override + "</Types>"),
        },
        {"word/footnotes.xml": notes},
    )
    return Hostile(DOCX_TYPE, data, "footnote 2", hidden=False)


def docx_xml_comments() -> Hostile:
    """The name in XML comments of the styles and the main document: invisible in Word, plain in the file."""
    comment = f"<!-- {CHILD} -->"
    data = _patch(
        make_docx(["Overview."]),
        {
            "word/styles.xml": lambda xml: xml.replace("<w:docDefaults>", comment + "<w:docDefaults>", 1),
            "word/document.xml": _append_body(comment),
        },
    )
    return Hostile(DOCX_TYPE, data, "hidden document data", hidden=True)


def docx_clean_with_extras() -> bytes:
    """A clean report that still carries a comment and a custom property (nothing identifying in them):
    publication must serve it without either."""
    document = docx.Document()
    paragraph = document.add_paragraph("Child J, aged 4. Agencies did not share information.")
    document.add_comment(paragraph.runs, text="Tone checked by the panel", author="Reviewer")
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Workflow">'
        "<vt:lpwstr>Draft 3</vt:lpwstr></property></Properties>"
    )
    return _patch(
        _save(document),
        {
            "_rels/.rels": _add_relationship(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties",
                "docProps/custom.xml",
            )
        },
        {"docProps/custom.xml": custom},
    )


def docx_split_runs() -> Hostile:
    document = docx.Document()
    paragraph = document.add_paragraph("Review of ")
    paragraph.add_run("Jay").bold = True
    paragraph.add_run("den Sm").italic = True
    paragraph.add_run("ith.")
    return Hostile(DOCX_TYPE, _save(document), "paragraph 1", hidden=False)


def docx_disguised(name: str) -> Hostile:
    return Hostile(DOCX_TYPE, make_docx([f"The review of {name}'s care."]), "paragraph 1", hidden=False)


# Text, Markdown, HTML


def text_disguised(name: str) -> Hostile:
    return Hostile("text/plain", f"Overview\n\nThe review of {name}'s care.\n".encode(), "paragraph 2", hidden=False)


def html_attributes() -> Hostile:
    page = (
        "<html><body><p>Agencies did not share information.</p>"
        f'<img src="photo.png" alt="{CHILD} at home"><a href="https://example.org/cases/jayden-smith" '
        f'title="About {CHILD}">more</a></body></html>'
    )
    return Hostile("text/html", page.encode(), "alt text of image 1", hidden=True)


def html_link_target() -> Hostile:
    page = '<p>See <a href="mailto:kelly.obrien@example.org">the contact</a>.</p>'
    return Hostile("text/html", page.encode(), "target of link 1", hidden=True)


def markdown_link_and_image() -> Hostile:
    text = f"# Review\n\n![{CHILD} at school](school.png)\n\nSee [the record](https://example.org/{CHILD}).\n"
    return Hostile("text/markdown", text.encode(), "line 3", hidden=False)


# PDF


def _pdf(edit: Callable[[pikepdf.Pdf], None], pages: list[list[str]] | None = None) -> bytes:
    pdf = pikepdf.open(io.BytesIO(make_pdf(pages or [["Overview report", "Agencies did not share information."]])))
    edit(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def pdf_open_action_javascript() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(f"app.alert('{CHILD}');")))
        pdf.Root.OpenAction = script
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("hello"), script])))
        pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.Launch, F=String("calc.exe")))
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, f"{CHILD}".encode(), mime_type="text/plain")

    return Hostile(PDF_TYPE, _pdf(edit), "hidden document data", hidden=True)


def pdf_annotation() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        note = Dictionary(
            Type=Name.Annot, Subtype=Name.Text, Rect=[100, 100, 120, 120], Contents=String(f"Ask {CHILD}'s mother")
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(Array([pdf.make_indirect(note)]))

    return Hostile(PDF_TYPE, _pdf(edit), "annotation", hidden=True)


def pdf_form_field() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        field = pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Widget,
                FT=Name.Tx,
                T=String("child"),
                V=String(CHILD),
                Rect=[100, 100, 300, 120],
                P=pdf.pages[0].obj,
            )
        )
        pdf.pages[0].obj.Annots = Array([field])
        pdf.Root.AcroForm = Dictionary(Fields=Array([field]))

    return Hostile(PDF_TYPE, _pdf(edit), "form field 1", hidden=True)


def pdf_outline() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        with pdf.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(f"About {CHILD}", 0))

    return Hostile(PDF_TYPE, _pdf(edit), "bookmark 1", hidden=False)


def pdf_info() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/Author"] = String(CHILD)

    return Hostile(PDF_TYPE, _pdf(edit), "properties", hidden=True)


def pdf_xmp() -> Hostile:
    def edit(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
            metadata["dc:creator"] = [CHILD]

    return Hostile(PDF_TYPE, _pdf(edit), "XMP metadata", hidden=True)


def pdf_actual_text() -> Hostile:
    """What a screen reader speaks instead of the glyphs, written in the content stream."""

    def edit(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0].obj
        marked = f"/Span <</ActualText ({CHILD})>> BDC ".encode() + page.Contents.read_bytes() + b" EMC"
        page.Contents = pdf.make_stream(marked)

    return Hostile(PDF_TYPE, _pdf(edit), "tagged actual text", hidden=False)


def pdf_split_across_lines() -> Hostile:
    data = make_pdf([["The review of Jayden", "Smith's care."]])
    return Hostile(PDF_TYPE, data, "page 1", hidden=False)


CORPUS: dict[str, Callable[[], Hostile]] = {
    "docx alt text": docx_alt_text,
    "docx custom XML": docx_custom_xml,
    "docx comment": docx_comment,
    "docx hidden run": docx_hidden_run,
    "docx header": docx_header,
    "docx text box": docx_text_box,
    "docx text box fallback": docx_fallback_only,
    "docx footnote": docx_footnote,
    "docx XML comments": docx_xml_comments,
    "docx footer": docx_footer,
    "docx tracked insertion": docx_tracked_insertion,
    "docx tracked deletion": docx_tracked_deletion,
    "docx core properties": docx_core_properties,
    "docx custom property": docx_custom_property,
    "docx name split across runs": docx_split_runs,
    "docx zero-width split": lambda: docx_disguised("Jay\u200bden Smith"),
    "docx Cyrillic confusable": lambda: docx_disguised("J\u0430yden Smith"),
    "text zero-width split": lambda: text_disguised("Jay\u200bden Sm\u2060ith"),
    "text soft hyphen": lambda: text_disguised("Jay\u00adden Smith"),
    "text bidi controls": lambda: text_disguised("\u202eJayden\u202c Smith"),
    "text Cyrillic confusable": lambda: text_disguised("J\u0430yd\u0435n Sm\u0456th"),
    "text Greek and fullwidth": lambda: text_disguised("\u0399ayden \uff33mith"),
    "text diacritics": lambda: text_disguised("Jáydén Smïth"),
    "text across lines": lambda: text_disguised("Jayden\nSmith"),
    "html alt, title and href": html_attributes,
    "html mailto link": html_link_target,
    "markdown link and image": markdown_link_and_image,
    "pdf OpenAction JavaScript": pdf_open_action_javascript,
    "pdf annotation": pdf_annotation,
    "pdf form field": pdf_form_field,
    "pdf outline": pdf_outline,
    "pdf Info": pdf_info,
    "pdf XMP": pdf_xmp,
    "pdf name across lines": pdf_split_across_lines,
    "pdf actual text": pdf_actual_text,
    "text Hangul filler": lambda: text_disguised("Jay\u3164den Smith"),
}


def visible_words(data: bytes) -> str:
    """All text of a package's XML parts, for asserting what a copy no longer holds."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return "\n".join(
            re.sub(r"<[^>]+>", " ", package.read(n).decode("utf-8", "replace"))
            for n in package.namelist()
            if n.endswith((".xml", ".rels"))
        )


# Parts the gate cannot read (it must fail closed)


def docx_with_emf_image() -> bytes:
    """A Word report carrying a Windows metafile image (which can hold text the gate cannot read)."""
    return _patch(
        make_docx(["Child J, aged 4. Agencies did not share information."]),
        {
            "word/_rels/document.xml.rels": _add_relationship(
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image", "media/image9.emf"
            )
        },
        {"word/media/image9.emf": "not really a metafile"},
    )


def pdf_with_a_scanned_page() -> bytes:
    """Page 1 has text; page 2 only shows an image (a scan: its words cannot be read)."""

    def edit(pdf: pikepdf.Pdf) -> None:
        image = pikepdf.Stream(pdf, b"\xff" * 12)
        image.Type, image.Subtype, image.Width, image.Height = Name.XObject, Name.Image, 2, 2
        image.ColorSpace, image.BitsPerComponent = Name.DeviceRGB, 8
        page = pdf.pages[1].obj
        page.Resources = Dictionary(XObject=Dictionary(Im1=image))
        page.Contents = pdf.make_stream(b"q 200 0 0 200 72 400 cm /Im1 Do Q")

    return _pdf(edit, pages=[["Overview report", "Agencies did not share information."], ["placeholder"]])


def pdf_with_an_opaque_font() -> bytes:
    """Text drawn in a font whose glyph names say nothing (/g1, /g2, ...): extraction gets no letters."""

    def edit(pdf: pikepdf.Pdf) -> None:
        font = pdf.pages[0].obj.Resources.Font.F1
        font.Encoding = Dictionary(Type=Name.Encoding, Differences=Array([65, Name("/g1"), Name("/g2")]))

    return _pdf(edit)
