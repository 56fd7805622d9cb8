"""The learning summary's activities against real SQLite and PostgreSQL registers holding a year of history
(tests/support/learning_harness.py) and a real document store. The expected figures are worked out by hand from the
dates in ``populate_year``'s docstring."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import ActivityEnvironment

from activities import public_learning_site
from activities.learning_summary_activities import LearningSummaryActivities
from domain.anonymisation import CaseIdentifiers
from domain.learning_summary import UNCHECKED, WITHHELD, KeyFigures, LearningSummaryFigures, key_figures
from domain.learning_summary_messages import (
    CompileLearningSummaryInput,
    RecordLearningSummaryInput,
    StoredLearningSummary,
)
from domain.public_learning import PublicLearning, PublicLearningSummary
from store.database import session_factory
from store.document_store import FilesystemDocumentStore
from store.models import LearningSummary
from tests.support.learning_harness import (
    ALTERNATIVE_LEARNING,
    CLEAN_FINDING,
    INTERIM_LEARNING,
    Year,
    populate_year,
)
from tests.support.publication_harness import record_identifiers

BOARD = "NEL"
YEAR = 2025
BASE_URL = "https://scr.lscb.example/"


def activities(engine: AsyncEngine, tmp_path: Path) -> LearningSummaryActivities:
    store = FilesystemDocumentStore(tmp_path / "documents")
    return LearningSummaryActivities(session_factory(engine), store, public_base_url=BASE_URL)


async def compile_year(engine: AsyncEngine, tmp_path: Path, as_at: date = date(YEAR, 12, 31)) -> LearningSummaryFigures:
    data = CompileLearningSummaryInput(board=BOARD, year=YEAR, as_at=as_at)
    return await ActivityEnvironment().run(activities(engine, tmp_path).compile_learning_summary, data)


async def test_the_years_figures_from_the_register(engine: AsyncEngine, tmp_path: Path) -> None:
    cases = await populate_year(engine, board=BOARD, year=YEAR)
    a, b, c, d = cases.published, cases.late, cases.alternative, cases.earlier
    figures = await compile_year(engine, tmp_path)

    # The other board's case and the case notified in the next year are not in it.
    assert figures.references == sorted([a, b, c, d])
    # A: 6 Jan -> 20 Jan; B: 3 Mar -> 22 Apr, after its deadline of 5 Apr; C: 1 May -> 20 May.
    assert [(t.reference, t.days, t.on_time) for t in figures.decisions] == [
        (a, 14, True),
        (b, 50, False),
        (c, 19, True),
    ]
    # A: published 15 Aug, 221 days after awareness, 207 after initiation.
    assert [(p.reference, p.days, p.days_from_initiation) for p in figures.publications] == [(a, 221, 207)]
    assert [(r.rule, r.due, r.met, r.missed, r.missed_references) for r in figures.compliance] == [
        ("notify_ofsted", 2, 2, 0, []),  # A and B, notified at once; C was not notifiable
        ("notify_lscb", 2, 2, 0, []),  # the board told on notified_on, within the 5 working days
        ("chair_decision", 3, 2, 1, [b]),
        ("review_completion", 2, 1, 1, [b]),  # B: due 22 Oct, accepted 20 Nov
        ("prepublication_notice", 1, 1, 0, []),
        ("prepublication_steps", 1, 1, 0, []),
        ("action", 4, 2, 2, sorted([a, d])),  # A1 and D2 on time; A2 and D3 never done
    ]
    assert [(p.reference, p.done, p.open, p.overdue) for p in figures.actions] == [
        (d, 1, 0, 1),  # D1 was done the year before: not counted
        (a, 1, 1, 1),
        (b, 0, 1, 0),
    ]
    assert [(r.reference, r.action_id.text, r.state) for r in figures.recommendations] == [
        (a, "A1", "done"),
        (a, "A2", "overdue"),
        (a, "A3", "open"),
        (b, "B1", "open"),
    ]
    findings = [(f.reference, f.source, f.on, f.text.text) for f in figures.findings]
    assert findings == [
        (a, "final_report", date(YEAR, 6, 16), CLEAN_FINDING),
        (b, "interim_learning", date(YEAR, 10, 1), INTERIM_LEARNING),
        (
            b,
            "final_report",
            date(YEAR, 11, 20),
            f"Health visitors saw {WITHHELD} often but did not share their concerns with the school nurse.",
        ),
        (c, "alternative_review", date(YEAR, 10, 1), UNCHECKED),  # no identifiers recorded on C
    ]
    # The planted names never leave the activity; C's text is withheld whole.
    dumped = figures.model_dump_json()
    for planted in ("Jayden", "Kelly", ALTERNATIVE_LEARNING):
        assert planted not in dumped
    assert (
        figures.recommendations[3].description.text
        == f"Train staff to ask {WITHHELD}'s question: who else knows this family?"
    )
    key = key_figures(figures)
    assert (key.deadlines_due, key.deadlines_missed, key.passages_withheld) == (
        15,
        4,
        3,
    )  # 13 + the two boards told of their incidents
    assert (key.median_days_to_decision, key.median_days_to_publication) == (19.0, 221.0)


async def test_rendered_documents_are_stored_by_content_and_name_cases_by_reference(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    cases: Year = await populate_year(engine, board=BOARD, year=YEAR)
    figures = await compile_year(engine, tmp_path)
    summaries = activities(engine, tmp_path)
    stored = await ActivityEnvironment().run(summaries.render_learning_summary, figures)
    again = await ActivityEnvironment().run(summaries.render_learning_summary, figures)
    assert again == stored  # same figures, same bytes: a retry or a re-run stores nothing new

    store = FilesystemDocumentStore(tmp_path / "documents")
    html = (await store.get(stored.html_sha256)).decode()
    markdown = (await store.get(stored.markdown_sha256)).decode()
    for text in (html, markdown):
        assert cases.published in text
        assert cases.other_board not in text
        assert "Jayden" not in text
        assert "Kelly" not in text
    assert html.count("<svg") == 4  # decisions, publications, compliance, actions
    assert "| Actions completed by their agreed date | 4 | 2 | 2 |" in markdown

    # Staff who record C's identifying details and run again see its learning.
    await record_identifiers(engine, cases.alternative)
    rerun = await compile_year(engine, tmp_path)
    assert [f.text.text for f in rerun.findings if f.reference == cases.alternative] == [ALTERNATIVE_LEARNING]


async def test_recording_a_summary_twice_keeps_one_row_naming_the_latest_run(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    summaries = activities(engine, tmp_path)
    first = StoredLearningSummary(html_sha256="a" * 64, markdown_sha256="b" * 64)
    second = StoredLearningSummary(html_sha256="c" * 64, markdown_sha256="d" * 64)
    env = ActivityEnvironment()
    for stored, run_id in ((first, "run-1"), (first, "run-1"), (second, "run-2")):
        recorded = await env.run(
            summaries.record_learning_summary,
            RecordLearningSummaryInput(
                board=BOARD, year=YEAR, stored=stored, workflow_id="scr-learning-summary-NEL-2025", run_id=run_id
            ),
        )
    assert recorded.html_url == "https://scr.lscb.example/api/v1/learning-summaries/NEL/2025.html"
    assert recorded.markdown_url == "https://scr.lscb.example/api/v1/learning-summaries/NEL/2025.md"
    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(LearningSummary)))
    assert [(r.board, r.year, r.html_sha256, r.markdown_sha256, r.run_id) for r in rows] == [
        (BOARD, YEAR, "c" * 64, "d" * 64, "run-2")
    ]
    assert rows[0].updated_at >= rows[0].created_at


async def test_the_public_version_on_the_site_has_figures_and_checked_learning_only(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    cases: Year = await populate_year(engine, board=BOARD, year=YEAR)
    figures = await compile_year(engine, tmp_path)
    site = tmp_path / "site"
    summaries = LearningSummaryActivities(
        session_factory(engine),
        FilesystemDocumentStore(tmp_path / "documents"),
        public_base_url=BASE_URL,
        site_dir=site,
    )
    env = ActivityEnvironment()
    stored = await env.run(summaries.render_learning_summary, figures)
    assert stored.public_html_sha256 is not None
    assert stored.public_withheld is None
    data = RecordLearningSummaryInput(board=BOARD, year=YEAR, stored=stored, workflow_id="w", run_id="r")
    recorded = await env.run(summaries.record_learning_summary, data)

    assert recorded.public_location == f"/public/learning/{BOARD}/{YEAR}/"
    page = (site / "learning" / BOARD / str(YEAR) / "index.html").read_text()
    assert str(escape(CLEAN_FINDING)) in page
    assert "Health visitors saw [withheld: possible identifying detail] often" in page
    # No case is named, no unchecked text (C has no identifiers recorded) and nobody's name reaches the public.
    for absent in (cases.published, cases.late, cases.alternative, cases.earlier, ALTERNATIVE_LEARNING, "Jayden"):
        assert absent not in page
    assert "1 passage(s) are in the board's own summary only" in page
    assert f'<a href="{BOARD}/{YEAR}/">{BOARD} {YEAR}</a>' in (site / "learning" / "index.html").read_text()


async def test_a_public_version_the_gate_finds_anything_in_is_not_published_and_an_old_one_comes_down(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    summary = PublicLearningSummary(
        board=BOARD,
        year=YEAR,
        as_at=f"{YEAR}-12-31",
        year_complete=True,
        key=KeyFigures(
            cases=1,
            reports_accepted=1,
            decisions=1,
            decisions_on_time=1,
            median_days_to_decision=3.0,
            publications=0,
            median_days_to_publication=None,
            deadlines_due=1,
            deadlines_missed=0,
            actions_done=0,
            actions_open=0,
            actions_overdue=0,
            passages_withheld=0,
        ),
        compliance=[],
        # One case's text naming another case's child: each case's own screen could not see it.
        learning=[PublicLearning(source="Final report", text="Agencies did not share what they knew of Tyler.")],
        recommendations=[],
        not_shown=0,
    )
    identifiers = {"NEL-2025-0001": CaseIdentifiers(names=["Tyler Brooks"]), "NEL-2025-0002": CaseIdentifiers()}
    assert public_learning_site.gate_findings(summary, identifiers) == ["name_part"]
    assert public_learning_site.gate_findings(summary, {"NEL-2025-0002": CaseIdentifiers()}) == []

    await public_learning_site.put_on_site(site, BOARD, YEAR, b"<p>earlier, clear</p>")
    assert (site / "learning" / BOARD / str(YEAR) / "index.html").exists()
    assert await public_learning_site.put_on_site(site, BOARD, YEAR, None) is None
    assert not (site / "learning" / BOARD / str(YEAR)).exists()
    assert "No annual summary is published yet." in (site / "learning" / "index.html").read_text()
