"""Inline SVG bar charts for the learning summary's HTML: horizontal bars, one row per case or rule, each value
written beside its bar. No dependency and no script: the page stays one self-contained file. Every label is
escaped; a chart carries a text alternative (role="img" with a title and description)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 680
LABEL_WIDTH = 150
VALUE_WIDTH = 170
ROW_HEIGHT = 26
BAR_HEIGHT = 16
TOP = 8
LEGEND_HEIGHT = 24
FONT = 'font-family="system-ui, sans-serif" font-size="12"'

# Colour and a written word for each: the legend and the text alternative never rely on colour alone.
GOOD = "#2e7d32"
BAD = "#c62828"
NEUTRAL = "#1565c0"
PENDING = "#9e9e9e"


@dataclass(frozen=True)
class Segment:
    value: int | float
    colour: str
    name: str  # "on time", "late", "done" ...: the legend and the text alternative


@dataclass(frozen=True)
class Row:
    label: str
    segments: Sequence[Segment]
    note: str = ""  # written after the value, e.g. "days"

    @property
    def total(self) -> float:
        return float(sum(segment.value for segment in self.segments))


def bar_chart(title: str, description: str, rows: Sequence[Row], legend: Sequence[Segment] = ()) -> Markup:
    """One horizontal bar per row; a row of several segments is stacked. Empty rows draw nothing."""
    scale_max = max((row.total for row in rows), default=0.0) or 1.0
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    legend_height = LEGEND_HEIGHT if legend else 0
    height = TOP + len(rows) * ROW_HEIGHT + legend_height + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}. {escape(description)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
    ]
    for index, row in enumerate(rows):
        y = TOP + index * ROW_HEIGHT
        text_y = y + BAR_HEIGHT - 3
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{text_y}" text-anchor="end" {FONT}>{escape(row.label)}</text>')
        x = float(LABEL_WIDTH)
        for segment in row.segments:
            width = plot_width * float(segment.value) / scale_max
            if width > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" fill="{segment.colour}">'
                    f"<title>{escape(row.label)}: {_number(segment.value)} {escape(segment.name)}</title></rect>"
                )
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{text_y}" {FONT}>{escape(_value_text(row))}</text>')
    if legend:
        y = TOP + len(rows) * ROW_HEIGHT + 8
        x = LABEL_WIDTH
        for item in legend:
            parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{item.colour}"/>')
            parts.append(f'<text x="{x + 16}" y="{y + 10}" {FONT}>{escape(item.name)}</text>')
            x += 24 + 7 * len(item.name)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built above from escaped text and numbers only)


def _value_text(row: Row) -> str:
    """``14 days``; a stacked row names its parts: ``2 met, 1 missed``."""
    if len(row.segments) == 1:
        return f"{_number(row.total)} {row.note}".rstrip()
    return ", ".join(f"{_number(s.value)} {s.name}" for s in row.segments if s.value) or "none"


def _number(value: int | float) -> str:
    return f"{value:g}"
