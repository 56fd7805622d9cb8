"""The learning summary's HTML and Markdown: same figures, same bytes; staff text never becomes markup."""

from __future__ import annotations

import re
from datetime import date

from activities.learning_summary_charts import BAD, GOOD, LABEL_WIDTH, VALUE_WIDTH, WIDTH, Row, Segment, bar_chart
from activities.learning_summary_rendering import markdown_escape, render_html, render_markdown
from domain.learning_summary import (
    DecisionTiming,
    Finding,
    LearningSummaryFigures,
    RuleCompliance,
    ScreenedText,
)

HOSTILE = "Agencies <script>alert('x')</script> | *did not* share [this](http://x) & more\n\nSecond paragraph"


def summary(**changes: object) -> LearningSummaryFigures:
    base = LearningSummaryFigures(
        board="NEL",
        year=2025,
        as_at=date(2025, 12, 31),
        references=["NEL-2025-0001", "NEL-2025-0002"],
        findings=[
            Finding(
                reference="NEL-2025-0001", source="final_report", on=date(2025, 6, 16), text=ScreenedText(text=HOSTILE)
            )
        ],
        recommendations=[],
        decisions=[
            DecisionTiming(
                reference="NEL-2025-0001",
                aware_on=date(2025, 1, 6),
                decided_on=date(2025, 1, 20),
                decision="initiate_scr",
                days=14,
                due=date(2025, 2, 8),
                on_time=True,
            ),
            DecisionTiming(
                reference="NEL-2025-0002",
                aware_on=date(2025, 3, 3),
                decided_on=date(2025, 4, 22),
                decision="initiate_scr",
                days=50,
                due=date(2025, 4, 5),
                on_time=False,
            ),
        ],
        publications=[],
        compliance=[RuleCompliance(rule="chair_decision", title="Chair's decision", due=2, met=1, missed=1)],
        actions=[],
    )
    return base.model_copy(update=changes)


def test_the_same_figures_render_the_same_bytes() -> None:
    assert render_html(summary()) == render_html(summary())
    assert render_markdown(summary()) == render_markdown(summary())


def test_html_escapes_staff_text_and_draws_charts_where_they_read_better() -> None:
    html = render_html(summary())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    # Time to decision and compliance have charts; with nothing published, no publication chart.
    assert html.count("<svg") == 2
    assert 'aria-label="Days from awareness to the chair&#x27;s decision.' in html
    assert "14 days" in html
    assert "50 days" in html
    assert "1 met, 1 missed" in html


def test_markdown_keeps_staff_text_as_text() -> None:
    markdown = render_markdown(summary())
    quoted = [line for line in markdown.splitlines() if line.startswith(">")]
    assert quoted == [
        r"> Agencies \<script\>alert('x')\</script\> \| \*did not\* share \[this\](http://x) \& more",
        ">",
        "> Second paragraph",
    ]
    assert "<svg" not in markdown
    assert "| NEL-2025-0002 | 3 March 2025 | 22 April 2025 | 50 | 5 April 2025 (late) |" in markdown


def test_a_year_still_running_says_so() -> None:
    running = summary(as_at=date(2025, 11, 21))
    assert "as at the end of 21 November 2025 (the year is not over)" in render_markdown(running)
    assert "for the year to 31 December 2025" in render_markdown(summary())


def test_markdown_escaping_leaves_no_table_breaks_or_markup() -> None:
    assert markdown_escape("a | b\nc <b>") == r"a \| b c \<b\>"


def test_a_bar_is_as_long_as_its_value_and_stacked_parts_add_up() -> None:
    chart = str(
        bar_chart(
            "t",
            "d",
            [
                Row("<A>", [Segment(10, GOOD, "days")], "days"),
                Row("B", [Segment(15, GOOD, "met"), Segment(5, BAD, "missed")]),
            ],
        )
    )
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)"', chart)]
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH  # the longest row (20) fills it
    assert widths == [plot / 2, plot * 3 / 4, plot / 4]  # 10 of 20; then 15 and 5 of 20
    assert "&lt;A&gt;" in chart
    assert "<A>" not in chart
