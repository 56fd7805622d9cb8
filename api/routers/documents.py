"""Case documents: upload (multipart ``file`` + ``kind``), list and download.

Bytes go to the document store under their SHA-256; the database keeps the metadata. Every upload is checked:
size (SCR_MAX_DOCUMENT_BYTES, 413), declared type (415), content against the declared type and readability
(422). The uploaded filename is only shown and offered on download, never used as a path.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, NoReturn
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel
from starlette.datastructures import UploadFile
from starlette.types import Message

from activities.text_extraction import UnreadableDocumentError, extract_sections, has_text
from api.context import AppContext, Context
from api.errors import ProblemError
from api.permissions import Caller, CurrentCaller, audit_refusal, authorize, case_in_scope
from api.routers.cases import CaseReference
from domain.documents import (
    ALLOWED_CONTENT_TYPES,
    KIND_TITLES,
    PUBLISHABLE_KINDS,
    ContentMismatch,
    DocumentKind,
    UnsupportedType,
    check_content,
    may_read,
    may_upload,
    normalise_content_type,
    safe_filename,
)
from store import documents as document_register
from store import register
from store.document_store import DocumentStore, document_store_from_settings
from store.models import CaseDocument

router = APIRouter(prefix="/api/v1/cases", tags=["documents"])
MAX_ID = 2**31 - 1
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The document's id (from the list)")]
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the `kind` field around the file
READ_CHUNK = 1024 * 1024


class DocumentOut(BaseModel):
    id: int
    reference: str
    kind: DocumentKind
    filename: str
    size: int
    content_type: str
    sha256: str
    uploaded_by: str
    uploaded_role: str
    uploaded_at: datetime
    download_url: str


def document_out(document: CaseDocument) -> DocumentOut:
    return DocumentOut(
        id=document.id,
        reference=document.case_reference,
        kind=DocumentKind(document.kind),
        filename=document.filename,
        size=document.size,
        content_type=document.content_type,
        sha256=document.sha256,
        uploaded_by=document.uploaded_by,
        uploaded_role=document.uploaded_role,
        uploaded_at=document.uploaded_at,
        download_url=f"/api/v1/cases/{document.case_reference}/documents/{document.id}",
    )


def document_store(context: AppContext, request: Request) -> DocumentStore:
    """The app's document store (set by create_app); the filesystem store of the settings otherwise."""
    store: DocumentStore | None = getattr(request.app.state, "document_store", None)
    if store is None:
        store = document_store_from_settings(context.settings)
        request.app.state.document_store = store
    return store


async def refuse(context: AppContext, caller: Caller, reason: str, *, action: str, reference: str | None) -> NoReturn:
    """403 for what the role may do in general but not to this document kind, audited like every refusal."""
    await audit_refusal(context, caller.actor, action=action, reason=reason, reference=reference)
    raise ProblemError(403, "Forbidden", reason)


def no_nul(value: str) -> str:
    """Text fields: PostgreSQL cannot store NUL characters."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(no_nul)]


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "kind"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": f"The document: one of {', '.join(ALLOWED_CONTENT_TYPES)}",
                        },
                        "kind": {"type": "string", "enum": [kind.value for kind in DocumentKind]},
                    },
                }
            }
        },
    }
}


@router.post(
    "/{reference}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Type not accepted"}},
)
async def upload_document(
    reference: CaseReference, caller: CurrentCaller, context: Context, request: Request, response: Response
) -> DocumentOut:
    """Upload a document to the case (multipart: `file` and `kind`). Agency contacts upload IMRs, agency accounts
    and information responses; board staff any kind."""
    action = "documents.upload"
    await authorize(context, caller, action, reference=reference)
    await case_in_scope(context, caller, reference)
    max_bytes = context.settings.max_document_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise _too_large(max_bytes)
    content_type_header = request.headers.get("content-type", "")
    if not content_type_header.lower().startswith("multipart/form-data"):
        raise ProblemError(
            415, "Unsupported media type", "Send the document as multipart/form-data with the fields `file` and `kind`."
        )

    async with _limited(request, max_bytes + MULTIPART_OVERHEAD).form(max_files=1, max_fields=4) as form:
        kind_value = form.get("kind")
        upload = form.get("file")
        if not isinstance(kind_value, str) or kind_value not in {k.value for k in DocumentKind}:
            known = ", ".join(kind.value for kind in DocumentKind)
            raise _invalid("kind", f"`kind` must be one of: {known}.")
        if not isinstance(upload, UploadFile):
            raise _invalid("file", "`file` is missing: send the document as the multipart field `file`.")
        kind = DocumentKind(kind_value)
        if not may_upload(caller.actor.role, kind):
            reason = (
                f"Your role '{caller.actor.role.value}' cannot upload a {KIND_TITLES[kind].lower()}; agency contacts "
                "upload IMRs, agency accounts and information responses."
            )
            await refuse(context, caller, reason, action=action, reference=reference)
        try:
            content_type = normalise_content_type(upload.content_type)
        except UnsupportedType as error:
            raise ProblemError(415, "Unsupported media type", str(error)) from None
        data = await _read_limited(upload, max_bytes)
        filename = safe_filename(upload.filename, content_type=content_type)

    try:
        check_content(content_type, data, max_bytes=max_bytes)
    except ContentMismatch as error:
        raise _invalid("file", str(error)) from None
    try:
        sections = await asyncio.to_thread(extract_sections, content_type, data)
    except UnreadableDocumentError as error:
        raise _invalid("file", f"The document cannot be read: {error}.") from None
    if kind in PUBLISHABLE_KINDS and not has_text(sections):
        raise _invalid(
            "file",
            f"A {KIND_TITLES[kind].lower()} is published, so its text must be checked for identifying details, but "
            "this file has no readable text (a scan?). Upload a version with a text layer.",
        )

    sha256 = await document_store(context, request).put(data)
    async with context.sessions.begin() as session:
        document = await document_register.add_document(
            session,
            reference=reference,
            kind=kind.value,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=sha256,
            uploaded_by=caller.actor.user,
            uploaded_role=caller.actor.role.value,
        )
        # No filename in the audit trail: a filename can carry a name.
        register.append_audit(
            session,
            business_key=f"document:{document.id}:uploaded",
            reference=reference,
            kind="document_uploaded",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            summary=f"{KIND_TITLES[kind]} uploaded (document {document.id}, {len(data)} bytes)",
            details={"document_id": document.id, "kind": kind.value, "size": len(data), "sha256": sha256},
        )
    out = document_out(document)
    response.headers["Location"] = out.download_url
    return out


@router.get("/{reference}/documents", response_model=list[DocumentOut])
async def list_documents(
    reference: CaseReference,
    caller: CurrentCaller,
    context: Context,
    kind: Annotated[DocumentKind | None, Query(description="Only documents of this kind")] = None,
) -> list[DocumentOut]:
    """The case's documents, oldest first (the publisher sees only the publishable kinds)."""
    await authorize(context, caller, "documents.read", reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions() as session:
        documents = await document_register.list_documents(
            session, reference=reference, kinds=[kind.value] if kind else None
        )
    role = caller.actor.role
    return [document_out(d) for d in documents if may_read(role, DocumentKind(d.kind))]


@router.get(
    "/{reference}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {t: {} for t in ALLOWED_CONTENT_TYPES}, "description": "The document"}},
)
async def download_document(
    reference: CaseReference, document_id: DocumentId, caller: CurrentCaller, context: Context, request: Request
) -> Response:
    """The document's bytes, as uploaded."""
    action = "documents.read"
    await authorize(context, caller, action, reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions() as session:
        document = await document_register.find_document(session, reference=reference, document_id=document_id)
    if document is None:
        raise ProblemError(404, "Not found", f"Case {reference} has no document {document_id}.")
    if not may_read(caller.actor.role, DocumentKind(document.kind)):
        reason = (
            f"Your role '{caller.actor.role.value}' may download only the documents that are published "
            "(overview report, executive summary, board's response)."
        )
        await refuse(context, caller, reason, action=action, reference=reference)
    data = await document_store(context, request).get(document.sha256)
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": "sandbox",
            "ETag": f'"{document.sha256}"',
        },
    )


def content_disposition(filename: str) -> str:
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        413, "Document too large", f"Documents may be at most {max_bytes} bytes ({max_bytes / 1048576:.0f} MiB)."
    )


def _invalid(field: str, message: str) -> ProblemError:
    return ProblemError(422, "Invalid document", message, extra={"errors": [{"field": field, "message": message}]})


def _limited(request: Request, limit: int) -> Request:
    """The request, reading its body through a counter that refuses more than ``limit`` bytes (413), so a
    chunked upload without Content-Length cannot stream an unbounded file to the multipart parser."""
    seen = 0
    receive = request.receive

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit - MULTIPART_OVERHEAD)
        return message

    return Request(request.scope, receive=counted)


async def _read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
