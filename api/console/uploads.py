"""Uploading a document from the console: the same services and checks as ``POST /api/v1/cases/{reference}/
documents`` (the kinds a role may upload, the content checked against its type and for readable text, the
audit row), with GOV.UK's wording for what is wrong with the file."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.access import CaseAccess, ScopedCase
from api.console.session import csrf_matches, read_session
from api.console.web import PREFIX, SignedIn, render, see_other, signed_in
from api.context import AppContext, current_document_store
from api.errors import ProblemError
from api.routers.documents import MULTIPART_OVERHEAD, _limited, _read_limited  # the API's own upload limits
from api.services import documents
from domain.documents import (
    EXTENSIONS,
    KIND_TITLES,
    DocumentKind,
    UnsupportedType,
    may_upload,
    normalise_content_type,
    safe_filename,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
BY_EXTENSION = {extension: content_type for content_type, extension in EXTENSIONS.items()}


async def _uploader(request: Request, reference: str) -> tuple[SignedIn, AppContext, ScopedCase]:
    person = signed_in(request)
    context: AppContext = request.app.state.context
    scoped = await CaseAccess("documents.upload")(reference=reference, caller=person.caller, context=context)
    return person, context, scoped


def _page(
    request: Request,
    person: SignedIn,
    scoped: ScopedCase,
    *,
    kind: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    role = person.caller.actor.role
    kinds = [
        {"value": k.value, "text": KIND_TITLES[k], "checked": k.value == kind}
        for k in DocumentKind
        if may_upload(role, k)
    ]
    context: dict[str, Any] = {"person": person, "case": scoped.case, "kinds": kinds, "errors": errors or {}}
    return render(request, "upload.html", context | {"nav": "cases"}, status_code=status_code)


@router.get("/cases/{reference}/documents")
async def upload_form(request: Request, reference: str) -> Response:
    person, _, scoped = await _uploader(request, reference)
    return _page(request, person, scoped)


def _content_type(upload: UploadFile) -> str:
    """The file's type as the browser declared it, or from its extension when the browser had none to give."""
    declared = (upload.content_type or "").split(";", 1)[0].strip().lower()
    if declared in ("", "application/octet-stream"):
        declared = BY_EXTENSION.get(PurePosixPath(upload.filename or "").suffix.lower().lstrip("."), declared)
    return normalise_content_type(declared)


@router.post("/cases/{reference}/documents")
async def upload(request: Request, reference: str) -> Response:
    person, context, scoped = await _uploader(request, reference)
    max_bytes = context.settings.max_document_bytes
    too_big = f"The selected file must be smaller than {max_bytes // 1_048_576}MB"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        return _page(request, person, scoped, errors={"file": too_big}, status_code=413)
    try:
        async with _limited(request, max_bytes + MULTIPART_OVERHEAD).form(max_files=1, max_fields=4) as form:
            session, _ = read_session(request)
            token = form.get("csrf_token")
            if not csrf_matches(session, token if isinstance(token, str) else None):
                raise ProblemError(403, "Forbidden", "This form has expired or did not come from this service.")
            kind = form.get("kind")
            kind = kind if isinstance(kind, str) and kind in {k.value for k in DocumentKind} else ""
            upload = form.get("file")
            errors: dict[str, str] = {}
            if not kind:
                errors["kind"] = "Select the type of document"
            if not isinstance(upload, UploadFile) or not upload.filename:
                errors["file"] = "Select a file"
            if errors or not isinstance(upload, UploadFile):
                return _page(request, person, scoped, kind=kind, errors=errors, status_code=400)
            try:
                content_type = _content_type(upload)
            except UnsupportedType:
                errors = {"file": "The selected file must be a PDF, Word document (.docx), text, Markdown or HTML file"}
                return _page(request, person, scoped, kind=kind, errors=errors, status_code=400)
            data = await _read_limited(upload, max_bytes)
            filename = safe_filename(upload.filename, content_type=content_type)
    except ProblemError as refused:
        if refused.status != 413:
            raise
        return _page(request, person, scoped, errors={"file": too_big}, status_code=413)
    if not data:
        return _page(request, person, scoped, kind=kind, errors={"file": "The selected file is empty"}, status_code=400)
    await documents.check_may_upload(context, caller=person.caller, kind=DocumentKind(kind), reference=reference)
    store = await current_document_store(request)
    try:
        await documents.add_document(
            context,
            store=store,
            scoped=scoped,
            kind=DocumentKind(kind),
            content_type=content_type,
            filename=filename,
            data=data,
        )
    except ProblemError as invalid:
        if invalid.status != 422:
            raise
        return _page(request, person, scoped, kind=kind, errors={"file": invalid.detail}, status_code=422)
    return see_other(f"{PREFIX}/cases/{scoped.reference}?uploaded=1")
