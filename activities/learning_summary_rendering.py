"""Renders the learning summary's figures as one self-contained HTML page (with inline SVG charts) and as
Markdown (tables), from the Jinja2 templates in ``templates/learning_summary``.

Both renderings depend on the figures only (no clock), so the same figures give the same bytes: the content hash
says whether a re-run changed anything. HTML is autoescaped; in Markdown every value is escaped on output, so
staff-written text can neither become markup nor break a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from activities.learning_summary_charts import BAD, GOOD, NEUTRAL, PENDING, Row, Segment, bar_chart
from domain.learning_summary import (
    SOURCE_TITLES,
    ActionProgress,
    Finding,
    LearningSummaryFigures,
    key_figures,
)
from domain.lifecycle.referral import CHAIR_DECISION_TEXT

TEMPLATES = Path(__file__).with_name("templates") / "learning_summary"
RULE_LABELS = {
    "notify_ofsted": "Notify Ofsted",
    "chair_decision": "Chair's decision",
    "review_completion": "Review completion",
    "information_request": "Information requests",
    "prepublication_notice": "Pre-publication copies",
    "prepublication_steps": "Pre-publication steps",
    "action": "Actions",
}
STATE_TITLES = {"done": "done", "open": "open", "overdue": "overdue"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+|~&])")


@dataclass(frozen=True)
class CaseOverview:
    reference: str
    decided_on: date | None
    days_to_decision: int | None
    decided_on_time: bool | None
    report_accepted_on: date | None
    published_on: date | None
    actions: ActionProgress | None
    deadlines_missed: int


def render_html(figures: LearningSummaryFigures) -> str:
    return _environment(markdown=False).get_template("summary.html").render(_view(figures, charts=True))


def render_markdown(figures: LearningSummaryFigures) -> str:
    return _environment(markdown=True).get_template("summary.md").render(_view(figures, charts=False))


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def figure(value: float | None) -> str:
    """A number as staff read it (``19``, ``19.5``), or a dash when there is none."""
    return "–" if value is None else f"{value:g}"


def markdown_escape(value: Any) -> str:
    """One line of Markdown text that renders exactly as written (no markup, no HTML, no table breaks)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def markdown_quote(text: str) -> Markup:
    """Staff text as a Markdown block quote, paragraph breaks kept, every line escaped."""
    lines = [markdown_escape(line) if line.strip() else "" for line in str(text).splitlines()] or [""]
    return Markup("\n".join(f"> {line}".rstrip() for line in lines))  # noqa: S704 (escaped above)


def _finalize_markdown(value: Any) -> Any:
    return value if isinstance(value, Markup) else markdown_escape(value)


def _environment(*, markdown: bool) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML is escaped by Jinja; Markdown by ``finalize`` (HTML escaping would garble it, not protect it).
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize_markdown if markdown else None,
    )
    environment.filters["long_date"] = long_date
    environment.filters["quote"] = markdown_quote
    environment.filters["figure"] = figure
    return environment


def _view(figures: LearningSummaryFigures, *, charts: bool) -> dict[str, Any]:
    findings: dict[str, list[Finding]] = {}
    for finding in figures.findings:
        findings.setdefault(finding.reference, []).append(finding)
    view: dict[str, Any] = {
        "figures": figures,
        "key": key_figures(figures),
        "overview": _overview(figures),
        "findings_by_case": findings,
        "source_titles": SOURCE_TITLES,
        "rule_labels": RULE_LABELS,
        "state_titles": STATE_TITLES,
        "decision_titles": CHAIR_DECISION_TEXT,
        "charts": _charts(figures) if charts else {},
    }
    return view


def _overview(figures: LearningSummaryFigures) -> list[CaseOverview]:
    decisions = {d.reference: d for d in figures.decisions}
    publications = {p.reference: p for p in figures.publications}
    actions = {a.reference: a for a in figures.actions}
    accepted = {f.reference: f.on for f in figures.findings if f.source == "final_report"}
    missed: dict[str, int] = {}
    for rule in figures.compliance:
        for reference in rule.missed_references:
            missed[reference] = missed.get(reference, 0) + 1
    rows = []
    for reference in figures.references:
        decision = decisions.get(reference)
        publication = publications.get(reference)
        rows.append(
            CaseOverview(
                reference=reference,
                decided_on=decision.decided_on if decision else None,
                days_to_decision=decision.days if decision else None,
                decided_on_time=decision.on_time if decision else None,
                report_accepted_on=accepted.get(reference),
                published_on=publication.published_on if publication else None,
                actions=actions.get(reference),
                deadlines_missed=missed.get(reference, 0),
            )
        )
    return rows


def _charts(figures: LearningSummaryFigures) -> dict[str, Markup]:
    """Charts where one reads better than a table: comparing cases or rules at a glance."""
    charts: dict[str, Markup] = {}
    if figures.decisions:
        charts["decisions"] = bar_chart(
            "Days from awareness to the chair's decision",
            "One bar per case; green: decided within the chair_decision deadline, red: after it.",
            [
                Row(
                    d.reference,
                    [Segment(d.days, GOOD if d.on_time else BAD if d.on_time is False else NEUTRAL, "days")],
                    "days",
                )
                for d in figures.decisions
            ],
            legend=[Segment(0, GOOD, "within the deadline"), Segment(0, BAD, "after the deadline")],
        )
    if figures.publications:
        charts["publications"] = bar_chart(
            "Days from awareness to publication",
            "One bar per case published in the period.",
            [Row(p.reference, [Segment(p.days, NEUTRAL, "days")], "days") for p in figures.publications],
        )
    if figures.compliance:
        charts["compliance"] = bar_chart(
            "Deadlines met and missed, by rule",
            "One bar per deadline rule: green met on time, red missed (a breach).",
            [
                Row(RULE_LABELS.get(r.rule, r.rule), [Segment(r.met, GOOD, "met"), Segment(r.missed, BAD, "missed")])
                for r in figures.compliance
            ],
            legend=[Segment(0, GOOD, "met on time"), Segment(0, BAD, "missed (breach)")],
        )
    if figures.actions:
        charts["actions"] = bar_chart(
            "Action-plan progress by case",
            "One bar per case: done, open (not yet due) and overdue actions at the end of the period.",
            [
                Row(
                    a.reference,
                    [
                        Segment(a.done, GOOD, "done"),
                        Segment(a.open, PENDING, "open"),
                        Segment(a.overdue, BAD, "overdue"),
                    ],
                )
                for a in figures.actions
            ],
            legend=[Segment(0, GOOD, "done"), Segment(0, PENDING, "open"), Segment(0, BAD, "overdue")],
        )
    return charts
