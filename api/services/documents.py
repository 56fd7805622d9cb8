"""Case documents: who may upload and read which kinds, the checks on an upload's content, storing and
recording it (audited), listing and fetching."""

from __future__ import annotations

import asyncio

from api import audit
from api.access import ScopedCase
from api.context import AppContext
from api.errors import ProblemError
from api.permissions import Caller, refuse
from domain.documents import (
    DOCUMENT_READERS,
    KIND_TITLES,
    PUBLISHABLE_KINDS,
    ContentMismatch,
    DocumentKind,
    check_content,
    may_read,
    may_upload,
)
from store import documents as document_register
from store.document_store import DocumentStore
from store.document_text import UnreadableDocumentError, extract_sections, has_text
from store.models import CaseDocument


def invalid_document(field: str, message: str) -> ProblemError:
    return ProblemError(422, "Invalid document", message, extra={"errors": [{"field": field, "message": message}]})


def too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        413, "Document too large", f"Documents may be at most {max_bytes} bytes ({max_bytes / 1048576:.0f} MiB)."
    )


async def check_may_upload(context: AppContext, *, caller: Caller, kind: DocumentKind, reference: str) -> None:
    """403 (audited) for a kind the caller's role may not upload (agency contacts upload only their own kinds)."""
    if not may_upload(caller.actor.role, kind):
        reason = (
            f"Your role '{caller.actor.role.value}' cannot upload a {KIND_TITLES[kind].lower()}; agency contacts "
            "upload IMRs, agency accounts and information responses."
        )
        await refuse(context, caller, reason, action="documents.upload", reference=reference)


async def add_document(
    context: AppContext,
    *,
    store: DocumentStore,
    scoped: ScopedCase,
    kind: DocumentKind,
    content_type: str,
    filename: str,
    data: bytes,
) -> CaseDocument:
    """Check the content against its declared type and its readability (422), store the bytes and record the
    document with its audit row."""
    max_bytes = context.settings.max_document_bytes
    try:
        check_content(content_type, data, max_bytes=max_bytes)
    except ContentMismatch as error:
        raise invalid_document("file", str(error)) from None
    try:
        sections = await asyncio.to_thread(extract_sections, content_type, data)
    except UnreadableDocumentError as error:
        raise invalid_document("file", f"The document cannot be read: {error}.") from None
    if kind in PUBLISHABLE_KINDS and not has_text(sections):
        raise invalid_document(
            "file",
            f"A {KIND_TITLES[kind].lower()} is published, so its text must be checked for identifying details, but "
            "this file has no readable text (a scan?). Upload a version with a text layer.",
        )

    sha256 = await store.put(data)
    actor = scoped.actor
    async with context.sessions.begin() as session:
        document = await document_register.add_document(
            session,
            reference=scoped.reference,
            kind=kind.value,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            uploaded_by=actor.user,
            uploaded_role=actor.role.value,
        )
        entry = audit.document_uploaded(
            reference=scoped.reference,
            document_id=document.id,
            kind=kind.value,
            kind_title=KIND_TITLES[kind],
            size=len(data),
            sha256=sha256,
        )
        audit.add(session, entry, by=audit.By.actor(actor))
    return document


async def list_documents(context: AppContext, *, scoped: ScopedCase, kind: DocumentKind | None) -> list[CaseDocument]:
    """The case's documents the caller's role may read, oldest first; asking for a kind it may not read is 403."""
    if kind is not None:
        await check_may_read(context, scoped=scoped, kind=kind)
    async with context.sessions() as session:
        documents = await document_register.list_documents(
            session, reference=scoped.reference, kinds=[kind.value] if kind else None
        )
    role = scoped.actor.role
    return [d for d in documents if may_read(role, DocumentKind(d.kind))]


async def fetch_document(
    context: AppContext, *, store: DocumentStore, scoped: ScopedCase, document_id: int
) -> tuple[CaseDocument, bytes]:
    """The document and its bytes: 404 for none, 403 (audited) for a kind the caller's role may not read."""
    reference = scoped.reference
    async with context.sessions() as session:
        document = await document_register.find_document(session, reference=reference, document_id=document_id)
    if document is None:
        raise ProblemError(404, "Not found", f"Case {reference} has no document {document_id}.")
    await check_may_read(context, scoped=scoped, kind=DocumentKind(document.kind))
    return document, await store.get(document.sha256)


async def check_may_read(context: AppContext, *, scoped: ScopedCase, kind: DocumentKind) -> None:
    """403 (audited) for a kind the caller's role may not read (``DOCUMENT_READERS``)."""
    role = scoped.actor.role
    if not may_read(role, kind):
        readers = ", ".join(r.value for r in DOCUMENT_READERS[kind])
        title = KIND_TITLES[kind].lower()
        reason = f"Your role '{role.value}' cannot read this kind of document ({title}); it is read by: {readers}."
        await refuse(context, scoped.caller, reason, action="documents.read", reference=scoped.reference)
