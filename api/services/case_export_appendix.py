"""A case's own PDF documents, appended to its PDF bundle so that one file holds the case: each through the
publishable-copy sanitiser first (``store/pdf_sanitiser.py``: no scripts, actions, forms or embedded files ride
along into the bundle), each appended document with a bookmark. One that cannot be copied safely is left out and
the bundle's documents section says so (the file itself stays downloadable and in the board archive)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pikepdf

from domain.case_export import DocumentEntry
from domain.documents import PDF
from store.document_reading import UnreadableDocumentError
from store.document_store import DocumentStore
from store.pdf_sanitiser import sanitise_pdf


@dataclass(frozen=True)
class Appendix:
    documents: list[tuple[DocumentEntry, bytes]]
    """The documents to append, as sanitised PDFs, in the export's order."""
    notes: dict[int, str]
    """Per document id, where the bundle's reader finds the file."""


def appendable(document: DocumentEntry) -> bool:
    return document.content_type == PDF


async def gather_appendix(
    store: DocumentStore, documents: Sequence[DocumentEntry]
) -> list[tuple[DocumentEntry, bytes]]:
    return [(document, await store.get(document.sha256)) for document in documents if appendable(document)]


def sanitised_appendix(gathered: Sequence[tuple[DocumentEntry, bytes]]) -> Appendix:
    appendix = Appendix(documents=[], notes={})
    for document, data in gathered:
        try:
            appendix.documents.append((document, sanitise_pdf(data)))
            appendix.notes[document.id] = "appended at the end of this bundle (active content removed)"
        except UnreadableDocumentError as error:
            appendix.notes[document.id] = f"not appended: {error}; download it or see the board archive"
    return appendix


def append_documents(bundle: bytes, appendix: Appendix) -> bytes:
    """``bundle`` with the appendix's documents after its own pages, each bookmarked by id and kind."""
    if not appendix.documents:
        return bundle
    with pikepdf.open(io.BytesIO(bundle)) as pdf:
        sources = [pikepdf.open(io.BytesIO(data)) for _, data in appendix.documents]
        try:
            with pdf.open_outline() as outline:
                for (document, _), source in zip(appendix.documents, sources, strict=True):
                    first = len(pdf.pages)
                    pdf.pages.extend(source.pages)
                    title = f"Document {document.id}: {document.kind_title}"
                    outline.root.append(pikepdf.OutlineItem(title, first))
            buffer = io.BytesIO()
            pdf.save(buffer)
        finally:
            for source in sources:
                source.close()
    return buffer.getvalue()
