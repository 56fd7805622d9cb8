"""A whole board's case files as one zip archive (issue 17, point 3): per case its JSON export, its PDF bundle and
its documents' files, plus the export's JSON Schema and a manifest listing every entry with its size and SHA-256.
Every case's export and the board's are audited, once the archive is complete.

Layout::

    manifest.json                       board, who, when, the cases, and every other entry's size and sha256
    schemas/case-export.v1.json         the JSON Schema the case.json files follow
    <REFERENCE>/case.json
    <REFERENCE>/case.pdf                (its own pages only: the documents are beside it)
    <REFERENCE>/documents/<id>-<kind>.<ext>   (as the case.json's documents[].archive_path says)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from api import audit
from api.services.case_export import Exporter, build_case_export, export_json, exported_entry, render
from domain.case_export import SCHEMA_FILE, case_export_schema
from store import register
from store.document_store import DocumentStore

MANIFEST = "manifest.json"
ARCHIVE_FORMAT = "scr-board-export-1"


@dataclass
class _Archive:
    """The zip being written, and the manifest's entries so far."""

    zip: zipfile.ZipFile
    entries: list[dict[str, Any]] = field(default_factory=list)

    async def add(self, path: str, data: bytes) -> None:
        self.entries.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        await asyncio.to_thread(self.zip.writestr, path, data)


async def write_board_archive(exporter: Exporter, store: DocumentStore, *, board: str, target: IO[bytes]) -> list[str]:
    """Write ``board``'s archive to ``target`` (a file open for binary writing); the references it holds.
    A document whose stored bytes are missing or corrupted fails the export: an archive is complete or absent."""
    async with exporter.sessions() as session:
        references = await register.board_references(session, board=board)
    audited: list[audit.AuditEntry] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive_zip:
        archive = _Archive(archive_zip)
        await archive.add(f"schemas/{SCHEMA_FILE}", json.dumps(case_export_schema(), indent=2).encode())
        for reference in references:
            export = await build_case_export(exporter, reference=reference)
            await archive.add(f"{reference}/case.json", export_json(export))
            await archive.add(f"{reference}/case.pdf", await render(export, "pdf"))
            for document in export.documents:
                await archive.add(f"{reference}/{document.archive_path}", await store.get(document.sha256))
            audited.append(exported_entry(export, "zip", board_export=board))
        manifest = {
            "format": ARCHIVE_FORMAT,
            "board": board,
            "exported_at": datetime.now(UTC).isoformat(),
            "exported_by": {"user": exporter.by.user, "role": exporter.by.role},
            "schema": f"schemas/{SCHEMA_FILE}",
            "cases": references,
            "entries": archive.entries,
        }
        await asyncio.to_thread(archive_zip.writestr, MANIFEST, json.dumps(manifest, indent=2))
    audited.append(audit.board_exported(board=board, references=references, entries=len(archive.entries)))
    async with exporter.sessions.begin() as session:
        for entry in audited:
            audit.add(session, entry, by=exporter.by)
    return references
