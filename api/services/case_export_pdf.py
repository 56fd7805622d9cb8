"""The readable bundle of a case's file: a cover page (reference, board, stage, who exported it), then facts,
assessment, deadlines, decisions with their rationale, notices, documents and the timeline. Pure (bytes out).

The identifying details recorded for the anonymisation check are never printed: the JSON export carries them,
for the roles that may read them. The PDF's own fonts are the standard ones (Latin-1): other characters are
folded to their nearest Latin-1 form, or ``?``."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.case_export import CaseExport

SECTIONS = ("Facts", "Assessment", "Awaiting", "Deadlines", "Decisions", "Notices", "Documents", "Timeline")
RESTRICTED = "OFFICIAL-SENSITIVE: restricted staff data about a child. Do not forward beyond the review's people."
_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "..."}
    | {"\u2022": "-", "\u00b7": "-", "\u2192": "->", "\u2264": "<=", "\u2265": ">=", "\u00a0": " "}
)
LINE = 5.0


def latin1(text: str) -> str:
    folded = unicodedata.normalize("NFC", text.translate(_FOLD))
    return folded.encode("latin-1", "replace").decode("latin-1")


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


class _Bundle(FPDF):
    def __init__(self, export: CaseExport) -> None:
        super().__init__(format="A4")
        self.export = export
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(f"Case file {export.case.reference}")
        self.set_subject(RESTRICTED)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=7)
        self.cell(0, 4, latin1(f"{self.export.case.reference} - {RESTRICTED} - page {self.page_no()}"), align="C")

    def paragraph(self, value: str, *, size: float = 9, style: str = "") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, LINE, latin1(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, title: str, *, new_page: bool = True) -> None:
        if new_page:
            self.add_page()
        else:
            self.ln(4)
        self.start_section(title)
        self.paragraph(title, size=14, style="B")
        self.ln(2)

    def pairs(self, rows: Iterable[tuple[str, Any]]) -> None:
        for name, value in rows:
            self.paragraph(f"{name}: {_shown(value)}")

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[int]) -> None:
        if not rows:
            self.paragraph("None recorded.")
            return
        self.set_font("Helvetica", size=8)
        with self.table(col_widths=tuple(widths), text_align="LEFT", line_height=4) as table:
            for row in (header, *rows):
                cells = table.row()
                for value in row:
                    cells.cell(latin1(value if isinstance(value, str) else _shown(value)))

    def entry(self, title: str, rows: Iterable[tuple[str, Any]]) -> None:
        self.paragraph(title, style="B")
        self.pairs(rows)
        self.ln(2)


def render_case_pdf(export: CaseExport, *, files: Mapping[int, str] | None = None) -> bytes:
    """``files``: per document id, where the reader finds the file (appended, or why not); else the archive path."""
    pdf = _Bundle(export)
    case = export.case
    pdf.add_page()
    pdf.paragraph(f"Case file {case.reference}", size=20, style="B")
    pdf.ln(4)
    pdf.pairs(
        [
            ("Board", case.board),
            ("Stage", case.stage),
            ("Overdue", case.overdue),
            ("Rule pack", f"{case.rule_pack} v{case.rule_pack_version}"),
            ("Aware on", case.aware_on),
            ("Notified on", case.notified_on),
            ("Opened", f"{_shown(case.opened_at)} by {case.opened_by}"),
            ("Case version", case.version),
            ("Exported", f"{_shown(export.exported_at)} by {export.exported_by.user} ({export.exported_by.role})"),
            ("Export schema", f"case-export v{export.schema_version}"),
        ]
    )
    pdf.ln(4)
    pdf.paragraph(RESTRICTED, style="B")
    pdf.paragraph(
        "Identifying details recorded for the anonymisation check are not printed here; the JSON export carries "
        "them for the roles that may read them."
    )
    pdf.ln(2)
    pdf.paragraph("Contents: " + ", ".join(SECTIONS))

    pdf.heading("Facts")
    pdf.pairs(export.facts.items())
    pdf.heading("Assessment", new_page=False)
    if export.assessment:
        pdf.pairs(export.assessment.items())
    else:
        pdf.paragraph("Not yet assessed.")

    pdf.heading("Awaiting", new_page=False)
    pdf.grid(
        ("Decision", "Who may take it", "Due"),
        [(a.description, ", ".join(a.roles), a.due) for a in export.awaiting],
        (110, 50, 20),
    )

    pdf.heading("Deadlines")
    pdf.grid(
        ("Deadline", "Due", "Status", "Met", "Breached", "Rule and source"),
        [(d.title, d.due, d.status, d.met_at, d.breached_at, f"{d.rule} ({d.source})") for d in export.deadlines],
        (30, 18, 16, 24, 24, 68),
    )

    pdf.heading("Decisions")
    if not export.decisions:
        pdf.paragraph("None recorded.")
    for decision in export.decisions:
        pdf.entry(
            f"{_shown(decision.at)} - {decision.summary}",
            [
                ("Kind", decision.decision_kind),
                ("By", f"{decision.actor} ({decision.role})"),
                ("Rationale", decision.rationale),
                ("Details", decision.details or None),
            ],
        )

    pdf.heading("Notices")
    pdf.grid(
        ("Notice", "Recipient", "Status", "Created", "Sent", "Subject"),
        [(n.kind, n.recipient, n.status, n.created_at, n.sent_at, n.subject) for n in export.notices],
        (28, 22, 14, 26, 26, 64),
    )

    pdf.heading("Documents")
    if not export.documents:
        pdf.paragraph("None uploaded.")
    for document in export.documents:
        pdf.entry(
            f"{document.id}. {document.kind_title}: {document.filename}",
            [
                ("Type and size", f"{document.content_type}, {document.size} bytes"),
                ("Uploaded", f"{_shown(document.uploaded_at)} by {document.uploaded_by} ({document.uploaded_role})"),
                ("SHA-256", document.sha256),
                ("File", (files or {}).get(document.id, f"in a board archive at {document.archive_path}")),
            ],
        )

    pdf.heading("Timeline")
    for event in export.timeline:
        rows: list[tuple[str, Any]] = [("By", f"{event.actor} ({event.role})"), ("Kind", event.kind)]
        if event.rationale:
            rows.append(("Rationale", event.rationale))
        pdf.entry(f"{_shown(event.at)} - {event.summary}", rows)
    return bytes(pdf.output())
