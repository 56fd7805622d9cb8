"""The public version of the annual learning summary on the site (000: learning "to the public via an annual
report"): gated, rendered, and written under ``learning/<BOARD>/<YEAR>/`` with an index of every year.

Fail closed: a page the gate finds anything in is not written, and an earlier page for that year comes down.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from activities.site_files import PUBLIC_PREFIX, site_environment, site_lock, write_if_changed
from domain.anonymisation import CaseIdentifiers, IdentifierScanner, TextSection
from domain.public_learning import PublicLearningSummary

FOLDER = "learning"


def gate_findings(summary: PublicLearningSummary, identifiers: Mapping[str, CaseIdentifiers]) -> list[str]:
    """What the gate finds in the page's staff-written text, by category (empty: clear). The public page says
    no passage's case, so every case's recorded details are checked against all of it, with the patterns."""
    recorded = [IdentifierScanner(i) for i in identifiers.values() if not i.is_empty()]
    scanners = recorded or [IdentifierScanner(CaseIdentifiers())]
    sections = [TextSection(text=text) for text in summary.texts()]
    return sorted({hit.category.value for scanner in scanners for hit in scanner.scan(sections)})


def render_page(summary: PublicLearningSummary) -> bytes:
    as_at = date.fromisoformat(summary.as_at)
    page = site_environment().get_template("learning_summary.html")
    return page.render(s=summary, root="../../../", as_at=f"{as_at.day} {as_at:%B %Y}").encode("utf-8")


def location(board: str, year: int) -> str:
    return f"{PUBLIC_PREFIX}/{FOLDER}/{board}/{year}/"


def learning_root(site: Path) -> Path:
    return site / FOLDER


async def put_on_site(site: Path, board: str, year: int, page: bytes | None) -> str | None:
    """Write the year's page (``None``: take any earlier one down) and the index; returns its location."""
    async with site_lock(site):
        await asyncio.to_thread(_write, learning_root(site), board, year, page)
    return location(board, year) if page is not None else None


def _write(root: Path, board: str, year: int, page: bytes | None) -> None:
    folder = root / board / str(year)
    if page is None:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        write_if_changed(folder / "index.html", page)
    write_index(root)


def write_index(root: Path) -> None:
    """The list of every year's summary on the site ("No annual summary is published yet" before the first), so
    the site's link to it always leads somewhere. Call under the site lock."""
    root.mkdir(parents=True, exist_ok=True)
    years = sorted(
        ((b.name, int(y.name)) for b in root.glob("*") if b.is_dir() for y in b.iterdir() if y.name.isdigit()),
        key=lambda item: (-item[1], item[0]),
    )
    summaries = [{"board": b, "year": y, "path": f"{b}/{y}/"} for b, y in years if (root / b / str(y)).is_dir()]
    index = site_environment().get_template("learning_index.html").render(root="../", summaries=summaries)
    write_if_changed(root / "index.html", index.encode("utf-8"))
