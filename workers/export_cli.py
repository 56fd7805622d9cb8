"""``scr export``: a case's file or a board's archive, straight from the register and the document store of the
environment's settings, through the API's own export service (``api/services/case_export.py``). No role: whoever
runs it on the host already holds the database, so the export is whole (identifying details included in the
JSON). Audited as the operator's account on the host."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import IO

from api import audit
from api.services.board_export import write_board_archive
from api.services.case_export import Exporter, ExportFormat, export_case
from domain.roles import Role
from store.database import create_engine, session_factory
from store.document_store import document_store_from_settings
from store.settings import Settings


class ExportInputError(ValueError):
    """The command's options cannot be satisfied (exit status 2)."""


def host_operator() -> audit.By:
    return audit.By(user=f"cli:{getpass.getuser()}", role=Role.OPERATOR.value)


def check_options(*, case: str | None, board: str | None, export_format: ExportFormat, out: Path | None) -> None:
    if (case is None) == (board is None):
        raise ExportInputError("give either --case REFERENCE or --board BOARD")
    if board is not None and out is None:
        raise ExportInputError("a board's archive needs --out FILE.zip")
    if case is not None and export_format == "pdf" and out is None:
        raise ExportInputError("a PDF needs --out FILE.pdf")


async def run_export(
    settings: Settings, *, case: str | None, board: str | None, export_format: ExportFormat, target: IO[bytes]
) -> str:
    """Write the export (options as ``check_options`` allows) to ``target``; what was written, for the operator."""
    if board is not None and board.upper() not in settings.board_codes:
        raise ExportInputError(f"unknown board {board.upper()}; this deployment serves {', '.join(settings.boards)}")
    engine = create_engine(settings.database_url)
    exporter = Exporter(sessions=session_factory(engine), settings=settings, by=host_operator(), role=None)
    store = document_store_from_settings(settings)
    try:
        if board is not None:
            references = await write_board_archive(exporter, store, board=board.upper(), target=target)
            return f"board {board.upper()}: {len(references)} case file(s)"
        assert case is not None, "check_options asks for a case or a board"
        target.write(await export_case(exporter, reference=case.upper(), export_format=export_format, store=store))
        return f"case {case.upper()}: {export_format.upper()}"
    finally:
        await engine.dispose()
