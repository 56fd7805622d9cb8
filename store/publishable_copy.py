"""The publishable copy of a case document: the sanitised derivative we generate, and the only bytes that are
ever published on the website or delivered before publication. The anonymisation gate scans this copy (and
the upload); the publisher serves this copy, byte for byte.

Deterministic: the same upload gives the same bytes, so the same sha256 (the copy is made again when needed,
not stored). PDF: rewritten by pikepdf without active content or metadata (``store/pdf_sanitiser.py``). Word:
a new package with only the parts a report needs (``store/docx_sanitiser.py``). Plain text, Markdown and HTML:
UTF-8 plain text (HTML without its markup), which the site shows escaped. Any other type is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from domain.documents import DOCX, EXTENSIONS, PDF, TEXT_PLAIN, TEXT_TYPES
from store.document_reading import UnreadableDocumentError
from store.document_store import DocumentStore
from store.document_text import document_text
from store.docx_sanitiser import sanitise_docx
from store.models import CaseDocument
from store.pdf_sanitiser import sanitise_pdf

# Embeddings, overrides and isolates reorder what a reader sees ("\u202ehtimS" shows as "Smith"): the copy
# keeps the text in the order it is stored, which is the order the gate reads.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class UnsanitisableDocumentError(UnreadableDocumentError):
    """The document cannot be made into a safe publishable copy: it is not published (nor checked as clear)."""


@dataclass(frozen=True)
class PublishableCopy:
    document_id: str
    kind: str
    content_type: str
    filename: str  # "<kind>.<extension>": never the uploaded name
    data: bytes
    sha256: str


def sanitise(content_type: str, data: bytes) -> tuple[str, bytes]:
    """(content type, bytes) of the sanitised copy. Blocking: call from a thread."""
    try:
        if content_type == PDF:
            return PDF, sanitise_pdf(data)
        if content_type == DOCX:
            return DOCX, sanitise_docx(data)
        if content_type in TEXT_TYPES:
            return TEXT_PLAIN, document_text(content_type, data).translate(BIDI_CONTROLS).encode("utf-8")
    except UnsanitisableDocumentError:
        raise
    except UnreadableDocumentError as error:
        raise UnsanitisableDocumentError(str(error)) from None
    raise UnsanitisableDocumentError(f"documents of type {content_type} cannot be published safely")


async def publishable_copy(store: DocumentStore, document: CaseDocument) -> PublishableCopy:
    """Raises UnsanitisableDocumentError (an UnreadableDocumentError), or the store's errors."""
    data = await store.get(document.sha256)
    return await asyncio.to_thread(copy_of, document, data)


def copy_of(document: CaseDocument, data: bytes) -> PublishableCopy:
    """The copy of ``document`` whose uploaded bytes are ``data``. Blocking: call from a thread."""
    content_type, copy = sanitise(document.content_type, data)
    return PublishableCopy(
        document_id=str(document.id),
        kind=document.kind,
        content_type=content_type,
        filename=f"{document.kind}.{EXTENSIONS[content_type]}",
        data=copy,
        sha256=hashlib.sha256(copy).hexdigest(),
    )
