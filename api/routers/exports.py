"""Exports (issue 17, point 3): a case's whole file as JSON (its schema published here) or a PDF bundle, and a
board's case files as one zip archive. Restricted data: only the roles of ``cases.export`` / ``boards.export``,
each export audited (refusals too); another board's case or board is "not found", as its reads are."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api import audit
from api.access import Access, CaseAccess, ScopedCase
from api.context import Context, Documents
from api.errors import ProblemError
from api.headers import content_disposition
from api.permissions import Caller
from api.services.board_export import write_board_archive
from api.services.case_export import MEDIA_TYPES, Exporter, ExportFormat, export_case
from domain.case_export import SCHEMA_PATH, CaseExport, case_export_schema

router = APIRouter(tags=["exports"])
CaseExporter = Annotated[ScopedCase, Depends(CaseAccess("cases.export"))]
BoardExporter = Annotated[Caller, Depends(Access("boards.export"))]
BoardCode = Annotated[str, Path(pattern=r"^[A-Za-z]{2,16}$", description="Board code, e.g. NEL")]
CHUNK = 1024 * 1024
ARCHIVE_IN_MEMORY = 16 * 1024 * 1024  # a larger archive is spooled to an unnamed temporary file (gone on close)
PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get(SCHEMA_PATH, response_class=JSONResponse, responses={200: {"content": {"application/schema+json": {}}}})
async def case_export_json_schema() -> JSONResponse:
    """The JSON Schema (draft 2020-12) every case export follows; public, like any published format."""
    return JSONResponse(case_export_schema(), media_type="application/schema+json")


@router.get(
    "/api/v1/cases/{reference}/export",
    response_class=Response,
    responses={200: {"model": CaseExport, "content": {"application/pdf": {}}, "description": "The case file"}},
)
async def export_case_file(
    scoped: CaseExporter,
    context: Context,
    store: Documents,
    export_format: Annotated[
        Literal["json", "pdf"] | None,
        Query(alias="format", description="json (the published schema) or pdf; else by `Accept`, JSON first"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The case's whole file: facts, assessment, deadlines, decisions with their rationale, notices, documents
    (metadata, SHA-256 and download path) and timeline; the PDF has the case's PDF documents appended. Audited."""
    chosen: ExportFormat = export_format or ("pdf" if _wants_pdf(accept) else "json")
    exporter = Exporter(
        sessions=context.sessions, settings=context.settings, by=audit.By.actor(scoped.actor), role=scoped.actor.role
    )
    data = await export_case(exporter, reference=scoped.reference, export_format=chosen, store=store)
    name = f"{scoped.reference}-case-file.{chosen}"
    return Response(
        content=data,
        media_type=MEDIA_TYPES[chosen],
        headers={**PRIVATE, "Content-Disposition": content_disposition(name)},
    )


def _wants_pdf(accept: str | None) -> bool:
    types = [part.split(";", 1)[0].strip().lower() for part in (accept or "").split(",")]
    return "application/pdf" in types and "application/json" not in types


@router.get(
    "/api/v1/boards/{board}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "The board's archive"}},
)
async def export_board(board: BoardCode, caller: BoardExporter, context: Context, store: Documents) -> Response:
    """Every case file of the board as one zip: per case its JSON, its PDF and its documents, with a manifest of
    every entry's size and SHA-256. Audited (the board's export and each case's)."""
    board = board.upper()
    if board not in caller.boards:
        raise ProblemError(404, "Not found", f"There is no board {board} among yours.")
    exporter = Exporter(
        sessions=context.sessions, settings=context.settings, by=audit.By.actor(caller.actor), role=caller.actor.role
    )
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=ARCHIVE_IN_MEMORY)  # noqa: SIM115 (closed by _chunks)
    try:
        await write_board_archive(exporter, store, board=board, target=spool)
    except BaseException:
        spool.close()
        raise
    name = f"{board}-case-files.zip"
    headers: dict[str, Any] = {**PRIVATE, "Content-Disposition": content_disposition(name)}
    return StreamingResponse(_chunks(spool), media_type="application/zip", headers=headers)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
