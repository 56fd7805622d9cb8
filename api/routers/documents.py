"""Case documents: upload (multipart ``file`` + ``kind``), list and download.

Bytes go to the document store under their SHA-256; the database keeps the metadata. Every upload is checked:
size (SCR_MAX_DOCUMENT_BYTES, 413), declared type (415), content against the declared type and readability
(422). The uploaded filename is only shown and offered on download, never used as a path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel
from starlette.datastructures import UploadFile
from starlette.types import Message

from api.access import CaseAccess, ScopedCase
from api.context import Context, Documents
from api.errors import ProblemError
from api.headers import DOWNLOAD_POLICY, content_disposition
from api.services import documents
from api.services.documents import invalid_document, too_large
from domain.documents import (
    ALLOWED_CONTENT_TYPES,
    DocumentKind,
    UnsupportedType,
    normalise_content_type,
    safe_filename,
)
from domain.free_text import checked_text
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


Text = Annotated[str, AfterValidator(checked_text)]
"""Free text in request bodies: no control characters (PostgreSQL cannot store NUL), something visible."""


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


DocumentUploader = Annotated[ScopedCase, Depends(CaseAccess("documents.upload"))]
DocumentReader = Annotated[ScopedCase, Depends(CaseAccess("documents.read"))]


@router.post(
    "/{reference}/documents",
    status_code=status.HTTP_201_CREATED,
    response_model=DocumentOut,
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Too large"}, 415: {"description": "Type not accepted"}},
)
async def upload_document(
    scoped: DocumentUploader, context: Context, store: Documents, request: Request, response: Response
) -> DocumentOut:
    """Upload a document to the case (multipart: `file` and `kind`). Agency contacts upload IMRs, agency accounts
    and information responses; board staff any kind."""
    max_bytes = context.settings.max_document_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
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
            raise invalid_document("kind", f"`kind` must be one of: {known}.")
        if not isinstance(upload, UploadFile):
            raise invalid_document("file", "`file` is missing: send the document as the multipart field `file`.")
        kind = DocumentKind(kind_value)
        await documents.check_may_upload(context, caller=scoped.caller, kind=kind, reference=scoped.reference)
        try:
            content_type = normalise_content_type(upload.content_type)
        except UnsupportedType as error:
            raise ProblemError(415, "Unsupported media type", str(error)) from None
        data = await _read_limited(upload, max_bytes)
        filename = safe_filename(upload.filename, content_type=content_type)

    document = await documents.add_document(
        context, store=store, scoped=scoped, kind=kind, content_type=content_type, filename=filename, data=data
    )
    out = document_out(document)
    response.headers["Location"] = out.download_url
    return out


@router.get("/{reference}/documents", response_model=list[DocumentOut])
async def list_documents(
    scoped: DocumentReader,
    context: Context,
    kind: Annotated[DocumentKind | None, Query(description="Only documents of this kind")] = None,
) -> list[DocumentOut]:
    """The case's documents, oldest first (the publisher sees only the publishable kinds)."""
    return [document_out(d) for d in await documents.list_documents(context, scoped=scoped, kind=kind)]


@router.get(
    "/{reference}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {t: {} for t in ALLOWED_CONTENT_TYPES}, "description": "The document"}},
)
async def download_document(
    scoped: DocumentReader, document_id: DocumentId, context: Context, store: Documents
) -> Response:
    """The document's bytes, as uploaded."""
    document, data = await documents.fetch_document(context, store=store, scoped=scoped, document_id=document_id)
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": DOWNLOAD_POLICY,
            "ETag": f'"{document.sha256}"',
        },
    )


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
                raise too_large(limit - MULTIPART_OVERHEAD)
        return message

    return Request(request.scope, receive=counted)


async def _read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
