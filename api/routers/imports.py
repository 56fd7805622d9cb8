"""``POST /api/v1/imports``: a board's reviews already under way, from a CSV or JSON file (issue 17; the format is
in README.md, "Importing reviews in progress"). The business manager of the rows' board imports them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from api.access import Access
from api.context import Context
from api.errors import ProblemError
from api.permissions import Caller
from api.services import imports
from domain.imports.files import MAX_BYTES

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
Importer = Annotated[Caller, Depends(Access("cases.import"))]
_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
        "required": True,
    }
}


class ImportErrorOut(BaseModel):
    row: int = Field(description="The row (CSV: the file's line, the header being line 1; JSON: 1-based); 0: file")
    column: str
    message: str


class ImportDeadlineOut(BaseModel):
    key: str
    due: date
    status: str


class ImportedCaseOut(BaseModel):
    row: int
    board_case_id: str
    reference: str | None = Field(description="The case's reference; null in a dry run when one will be allocated")
    stage: str
    created: bool = Field(description="False: this row's case was created by an earlier import (or a dry run)")
    deadlines: list[ImportDeadlineOut] = Field(
        description="As imported (met, met_late, overdue = breached, pending, not_applicable); empty for a case an "
        "earlier import created: read it at /api/v1/cases/{reference}"
    )
    decisions: int = Field(description="How many past decisions the timeline records as imported")


class ImportReportOut(BaseModel):
    dry_run: bool
    file_name: str
    sha256: str
    rows: int
    created: int
    cases: list[ImportedCaseOut]
    errors: list[ImportErrorOut]


@router.post("", response_model=ImportReportOut, openapi_extra=_BODY, responses={422: {"description": "Errors"}})
async def import_cases(
    caller: Importer,
    context: Context,
    request: Request,
    response: Response,
    dry_run: Annotated[bool, Query(description="List what would be created and every error; create nothing")] = False,
    file_name: Annotated[str | None, Query(max_length=200, description="The file's name (raw body)")] = None,
) -> ImportReportOut:
    """Import reviews in progress: each row becomes a case at its stage with its real dates. Send the file as
    multipart `file`, or as the body (`text/csv` or `application/json`). A file with any error imports nothing
    (422 lists every error by row and column); importing the same rows again creates nothing twice."""
    name, content = await _file(request, file_name)
    result = await imports.import_file(context, caller=caller, file_name=name, content=content, dry_run=dry_run)
    report = _report(result)
    if result.errors and not dry_run:
        detail = f"The file has {len(result.errors)} error(s); nothing was imported."
        raise ProblemError(422, "Invalid request", detail, extra=report.model_dump(mode="json"))
    if result.created:
        response.status_code = status.HTTP_201_CREATED
    return report


async def _file(request: Request, file_name: str | None) -> tuple[str, bytes]:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=2) as form:
            upload = form.get("file") or next((v for v in form.values() if isinstance(v, UploadFile)), None)
            if not isinstance(upload, UploadFile):
                raise ProblemError(422, "Invalid request", "Send the import file as the multipart field `file`.")
            content = await upload.read(MAX_BYTES + 1)
            name = file_name or upload.filename or "import"
    else:
        content = await request.body()
        name = file_name or ("import.json" if "json" in content_type else "import.csv")
    if len(content) > MAX_BYTES:
        raise ProblemError(413, "Too large", f"An import file may be at most {MAX_BYTES // (1024 * 1024)} MB.")
    return name, content


def _report(result: imports.ImportResult) -> ImportReportOut:
    cases = [
        ImportedCaseOut(
            row=plan.row.row,
            board_case_id=plan.row.board_case_id,
            reference=result.created.get(plan.row.row)
            or (plan.existing.reference if plan.existing else plan.row.reference),
            stage=plan.built.case.stage.value if plan.built else plan.existing.stage if plan.existing else "",
            created=plan.row.row in result.created,
            deadlines=[
                ImportDeadlineOut(key=key, due=tracked.schedule.due, status=tracked.status.value)
                for key, tracked in (plan.built.case.deadlines.items() if plan.built else ())
            ],
            decisions=sum(1 for outcome in plan.built.outcomes if outcome.kind == "decision") if plan.built else 0,
        )
        for plan in sorted(result.planned, key=lambda p: p.row.row)
    ]
    return ImportReportOut(
        dry_run=result.dry_run,
        file_name=result.source.file_name,
        sha256=result.source.sha256,
        rows=result.rows,
        created=len(result.created),
        cases=cases,
        errors=[ImportErrorOut(row=e.row, column=e.column, message=e.message) for e in result.errors],
    )
