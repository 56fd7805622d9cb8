"""A case's documents in the console: the list on the case page and the download, through the same services and
access checks as ``GET /api/v1/cases/{reference}/documents[/{id}]`` (a role sees only the kinds it may read)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.access import CaseAccess, ScopedCase
from api.console.web import PREFIX, signed_in
from api.context import AppContext, current_document_store
from api.headers import DOWNLOAD_POLICY, content_disposition
from api.permissions import PERMISSIONS, Caller
from api.services import documents
from store.models import CaseDocument

router = APIRouter(prefix=PREFIX, include_in_schema=False)


async def readable(context: AppContext, caller: Caller, reference: str) -> list[CaseDocument] | None:
    """The case's documents the caller may read, or None when their role reads no documents (nothing to show,
    and nothing refused: the case page does not ask on their behalf)."""
    if caller.actor.role not in PERMISSIONS["documents.read"]:
        return None
    scoped = await CaseAccess("documents.read")(reference=reference, caller=caller, context=context)
    return await documents.list_documents(context, scoped=scoped, kind=None)


@router.get("/cases/{reference}/documents/{document_id}")
async def download(request: Request, reference: str, document_id: int) -> Response:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    scoped: ScopedCase = await CaseAccess("documents.read")(reference=reference, caller=person.caller, context=context)
    store = await current_document_store(request)
    document, data = await documents.fetch_document(context, store=store, scoped=scoped, document_id=document_id)
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": DOWNLOAD_POLICY,
        },
    )
