"""A case's whole file as ``domain.case_export.CaseExport``, read from the register and rendered as JSON or PDF;
every export audited. One service for the API (``api/routers/exports.py``), the board archive
(``api/services/board_export.py``) and the ``scr export`` command.

Who gets what: the API lets only the roles that read every kind of document export (``cases.export``), so the
file is whole; the identifying details recorded for the anonymisation check go only to the roles that may read
them (``identifiers.read``), and never into the PDF, which is the copy people print. The host command (no role)
exports everything: whoever runs it already holds the database."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api import audit
from api.errors import ProblemError
from api.permissions import PERMISSIONS
from api.services.case_export_appendix import append_documents, gather_appendix, sanitised_appendix
from api.services.case_export_pdf import render_case_pdf
from domain.case_export import (
    AwaitedEntry,
    CaseExport,
    CaseHeader,
    DeadlineEntry,
    DecisionEntry,
    DocumentEntry,
    ExportedBy,
    NoticeEntry,
    TimelineEntry,
)
from domain.documents import EXTENSIONS, KIND_TITLES, DocumentKind, may_read
from domain.roles import Role
from domain.rule_pack import cite_for_board
from store import documents as document_register
from store import register
from store.document_store import DocumentStore
from store.models import CaseDocument
from store.settings import Settings

ExportFormat = Literal["json", "pdf"]
MEDIA_TYPES: dict[str, str] = {"json": "application/json", "pdf": "application/pdf"}
DECISION = "decision"  # the audit kind of an accepted decision (domain/lifecycle)


@dataclass(frozen=True)
class Exporter:
    """Who exports (``role`` None: the host command, everything) and what it reads from."""

    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    by: audit.By
    role: Role | None

    @property
    def reads_identifiers(self) -> bool:
        return self.role is None or self.role in PERMISSIONS["identifiers.read"]

    def reads(self, kind: str) -> bool:
        return self.role is None or may_read(self.role, DocumentKind(kind))


def archive_path(document: CaseDocument) -> str:
    """A document's place under its case's folder in a board archive: by id and kind, never its uploaded name."""
    return f"documents/{document.id}-{document.kind}.{EXTENSIONS.get(document.content_type, 'bin')}"


async def build_case_export(exporter: Exporter, *, reference: str) -> CaseExport:
    """The case file as the register holds it now (404 for no such case); not audited (``export_case`` is)."""
    async with exporter.sessions() as session:
        case = await register.find_case(session, reference=reference)
        if case is None:
            raise ProblemError(404, "Not found", f"There is no case {reference}.")
        deadlines = await register.case_deadlines(session, reference=reference)
        events = await register.case_timeline(session, reference=reference)
        notices = await register.case_notices(session, reference=reference)
        documents = await document_register.list_documents(session, reference=reference)
        identifiers = (
            await document_register.get_identifiers(session, reference=reference)
            if exporter.reads_identifiers
            else None
        )
    procedure = exporter.settings.procedure_of(case.board)
    return CaseExport(
        exported_at=datetime.now(UTC),
        exported_by=ExportedBy(user=exporter.by.user, role=exporter.by.role),
        case=CaseHeader(
            reference=case.reference,
            board=case.board,
            stage=case.stage,
            overdue=case.overdue,
            version=case.snapshot_version,
            rule_pack=case.rule_pack,
            rule_pack_version=case.rule_pack_version,
            aware_on=case.aware_on,
            notified_on=case.notified_on,
            opened_by=case.created_by,
            opened_at=case.created_at,
            updated_at=case.updated_at,
        ),
        facts=dict(case.incident),
        assessment=dict(case.assessment) if case.assessment is not None else None,
        identifiers_included=exporter.reads_identifiers,
        identifiers=dict(identifiers.identifiers) if identifiers is not None else None,
        awaiting=[
            AwaitedEntry(
                kind=item["kind"], roles=list(item["roles"]), description=item["description"], due=item.get("due")
            )
            for item in case.awaiting
        ],
        deadlines=[
            DeadlineEntry(
                key=d.key,
                title=d.title,
                rule=d.rule,
                source=cite_for_board(d.source, procedure),
                due=d.due,
                status=d.status,
                met_at=d.met_at,
                breached_at=d.breached_at,
            )
            for d in deadlines
        ],
        decisions=[
            DecisionEntry(
                at=e.at,
                decision_kind=e.details.get("decision_kind"),
                actor=e.actor,
                role=e.role,
                summary=e.summary,
                rationale=e.rationale,
                details=dict(e.details),
            )
            for e in events
            if e.kind == DECISION
        ],
        notices=[
            NoticeEntry(
                kind=n.kind,
                recipient=n.recipient,
                address=n.address,
                subject=n.subject,
                status=n.status,
                attempts=n.attempts,
                created_at=n.created_at,
                sent_at=n.sent_at,
            )
            for n in notices
        ],
        documents=[_document_entry(d) for d in documents if exporter.reads(d.kind)],
        timeline=[
            TimelineEntry(
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                role=e.role,
                summary=e.summary,
                rationale=e.rationale,
                details=dict(e.details),
            )
            for e in events
        ],
    )


def _document_entry(document: CaseDocument) -> DocumentEntry:
    return DocumentEntry(
        id=document.id,
        kind=document.kind,
        kind_title=KIND_TITLES[DocumentKind(document.kind)],
        filename=document.filename,
        content_type=document.content_type,
        size=document.size,
        sha256=document.sha256,
        uploaded_by=document.uploaded_by,
        uploaded_role=document.uploaded_role,
        uploaded_at=document.uploaded_at,
        download_path=f"/api/v1/cases/{document.case_reference}/documents/{document.id}",
        archive_path=archive_path(document),
    )


def export_json(export: CaseExport) -> bytes:
    return export.model_dump_json(indent=2).encode()


async def render(export: CaseExport, export_format: ExportFormat, *, store: DocumentStore | None = None) -> bytes:
    """The export as JSON or as a PDF bundle; with ``store``, the bundle has the case's PDF documents appended."""
    if export_format == "json":
        return export_json(export)
    if store is None:
        return await asyncio.to_thread(render_case_pdf, export)
    gathered = await gather_appendix(store, export.documents)
    appendix = await asyncio.to_thread(sanitised_appendix, gathered)
    bundle = await asyncio.to_thread(render_case_pdf, export, files=appendix.notes)
    return await asyncio.to_thread(append_documents, bundle, appendix)


def exported_entry(export: CaseExport, export_format: str, *, board_export: str | None = None) -> audit.AuditEntry:
    return audit.case_exported(
        reference=export.case.reference,
        export_format=export_format,
        documents=len(export.documents),
        identifiers_included=export.identifiers_included,
        board_export=board_export,
    )


async def export_case(
    exporter: Exporter, *, reference: str, export_format: ExportFormat, store: DocumentStore
) -> bytes:
    """One case's file in ``export_format`` (a PDF with the case's PDF documents appended), audited (who, which
    format, how many documents; never content)."""
    export = await build_case_export(exporter, reference=reference)
    data = await render(export, export_format, store=store)
    await audit.record(exporter.sessions, exported_entry(export, export_format), by=exporter.by)
    return data
