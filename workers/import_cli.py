"""`scr import FILE`: a board's reviews in progress, sent to the staff API's `POST /api/v1/imports` (issue 17) so
that the import is checked, authorised and audited exactly as through the API. Prints every error by row and
column, or what was (or, with --dry-run, would be) created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx


class ImportFailed(RuntimeError):
    """The import did not happen; the message says why, fit for stderr."""


def send_import(path: Path, *, api_url: str, token: str, dry_run: bool) -> dict[str, Any]:
    """The API's report of the import (or dry run) of ``path``; :class:`ImportFailed` if nothing was imported."""
    content_type = "application/json" if path.suffix.lower() == ".json" else "text/csv"
    try:
        response = httpx.post(
            api_url.rstrip("/") + "/api/v1/imports",
            params={"dry_run": str(dry_run).lower()},
            files={"file": (path.name, path.read_bytes(), content_type)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=600,
        )
    except (OSError, httpx.HTTPError) as error:
        raise ImportFailed(f"cannot import {path}: {error}") from None
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code == 422 and "errors" in body:
        raise ImportFailed(render(body))
    if response.status_code >= 400:
        raise ImportFailed(f"the API answered {response.status_code}: {body.get('detail', response.text)}")
    return body


def render(report: dict[str, Any]) -> str:
    """One line per error (row and column), else one per case created or that would be."""
    errors = report.get("errors") or []
    if errors:
        lines = [f"{report.get('file_name', 'file')}: {len(errors)} error(s); nothing imported"]
        for error in errors:
            where = f"row {error['row']}" if error["row"] else "file"
            lines.append(
                f"{where}, column {error['column']}: {error['message']}"
                if error["column"]
                else f"{where}: {error['message']}"
            )
        return "\n".join(lines)
    verb = "would import" if report.get("dry_run") else "imported"
    lines = [f"{report['file_name']}: {verb} {len(report['cases'])} review(s), {report['created']} created now"]
    for case in report["cases"]:
        state = (
            "created"
            if case["created"]
            else ("already imported" if case["reference"] and not report["dry_run"] else "")
        )
        reference = case["reference"] or "(allocated on import)"
        lines.append(f"row {case['row']}  {case['board_case_id']}  {reference}  {case['stage']}  {state}".rstrip())
    return "\n".join(lines)
