"""The annual learning summary's activities: compile the year's figures from the case register (screening every
piece of staff-written text with the anonymisation scanner), render and store them, and record the summary.

Each is idempotent: compiling reads only; rendering the same figures stores the same bytes under the same
SHA-256; recording writes the one row of the board and year.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities import public_learning_site
from activities.learning_summary_rendering import render_html, render_markdown
from domain.activity_contracts import COMPILE_LEARNING_SUMMARY, RECORD_LEARNING_SUMMARY, RENDER_LEARNING_SUMMARY
from domain.learning_summary import LearningSummaryFigures, compile_figures
from domain.learning_summary_messages import (
    CompileLearningSummaryInput,
    RecordedLearningSummary,
    RecordLearningSummaryInput,
    StoredLearningSummary,
    learning_summary_path,
)
from domain.public_learning import public_summary
from store import learning_register
from store.document_store import DocumentStore


class LearningSummaryActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: DocumentStore,
        *,
        public_base_url: str,
        site_dir: Path | None = None,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._base_url = public_base_url.rstrip("/")
        self._site = site_dir  # None: no public site (the public version is rendered and stored, not written)

    @activity.defn(name=COMPILE_LEARNING_SUMMARY.name)
    async def compile_learning_summary(self, data: CompileLearningSummaryInput) -> LearningSummaryFigures:
        """The board's figures of the year up to the end of ``as_at``; staff text screened against each case's
        recorded identifying details (which never leave this activity)."""
        async with self._sessions() as session:
            cases = await learning_register.board_register(session, board=data.board, as_at=data.as_at)
            identifiers = await learning_register.recorded_identifiers(
                session, references=[case.reference for case in cases]
            )
        figures = await asyncio.to_thread(
            lambda: compile_figures(
                board=data.board, year=data.year, as_at=data.as_at, cases=cases, identifiers=identifiers
            )
        )
        activity.logger.info(
            "learning summary compiled",
            extra={"board": data.board, "year": data.year, "cases": len(figures.references)},
        )
        return figures

    @activity.defn(name=RENDER_LEARNING_SUMMARY.name)
    async def render_learning_summary(self, figures: LearningSummaryFigures) -> StoredLearningSummary:
        """Render the HTML and Markdown and put both in the document store (by content: a retry stores nothing new),
        and the public version once the anonymisation gate has read it against every case's recorded details."""
        html, markdown = await asyncio.to_thread(lambda: (render_html(figures), render_markdown(figures)))
        public = public_summary(figures)
        async with self._sessions() as session:
            identifiers = await learning_register.recorded_identifiers(session, references=figures.references)
        found = await asyncio.to_thread(public_learning_site.gate_findings, public, identifiers)
        public_sha256 = None
        if not found:
            public_sha256 = await self._store.put(await asyncio.to_thread(public_learning_site.render_page, public))
        return StoredLearningSummary(
            html_sha256=await self._store.put(html.encode()),
            markdown_sha256=await self._store.put(markdown.encode()),
            public_html_sha256=public_sha256,
            public_withheld=f"the anonymisation gate found: {', '.join(found)}" if found else None,
        )

    @activity.defn(name=RECORD_LEARNING_SUMMARY.name)
    async def record_learning_summary(self, data: RecordLearningSummaryInput) -> RecordedLearningSummary:
        """The board's row for the year now names these renderings and this run; returns where staff read it."""
        async with self._sessions.begin() as session:
            await learning_register.save_summary(
                session,
                board=data.board,
                year=data.year,
                html_sha256=data.stored.html_sha256,
                markdown_sha256=data.stored.markdown_sha256,
                workflow_id=data.workflow_id,
                run_id=data.run_id,
                now=datetime.now(UTC),
            )
        public_location = None
        if self._site is not None:
            sha256 = data.stored.public_html_sha256
            page = await self._store.get(sha256) if sha256 is not None else None
            public_location = await public_learning_site.put_on_site(self._site, data.board, data.year, page)
        return RecordedLearningSummary(
            html_url=self._base_url + learning_summary_path(data.board, data.year, "html"),
            markdown_url=self._base_url + learning_summary_path(data.board, data.year, "md"),
            public_location=public_location,
        )
