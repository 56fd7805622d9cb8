"""The console's pagination (GOV.UK's pattern): the first, the last and the pages either side of the current one,
with gaps, so a list of 10,000 cases does not print 400 links on every page."""

from __future__ import annotations

from typing import cast

from api.console.pages import PAGE_SIZE, pagination


def items(page: int, total: int) -> list[dict[str, object]]:
    found = pagination("/console/cases", page, total, {"stage": "screening", "sort": ""})
    assert found is not None
    return cast(list[dict[str, object]], found["items"])


def numbers(page: int, total: int) -> list[object]:
    return [item.get("number", "…") for item in items(page, total)]


def test_one_page_needs_no_pagination() -> None:
    assert pagination("/console/cases", 1, PAGE_SIZE, {}) is None


def test_a_few_pages_are_all_shown() -> None:
    assert numbers(2, 3 * PAGE_SIZE) == [1, 2, 3]


def test_many_pages_show_the_ends_and_the_neighbours_of_the_current_one() -> None:
    pages = -(-10_000 // PAGE_SIZE)
    assert numbers(1, 10_000) == [1, 2, "…", pages]
    assert numbers(200, 10_000) == [1, "…", 199, 200, 201, "…", pages]
    assert numbers(pages, 10_000) == [1, "…", pages - 1, pages]
    assert numbers(3, 10_000) == [1, 2, 3, 4, "…", pages]


def test_links_keep_the_filters_and_mark_the_current_page() -> None:
    found = pagination("/console/cases", 200, 10_000, {"stage": "screening", "sort": ""})
    assert found is not None
    current = [item for item in items(200, 10_000) if item.get("current")]
    assert current == [{"number": 200, "href": "/console/cases?stage=screening&page=200", "current": True}]
    assert found["next"] == {"href": "/console/cases?stage=screening&page=201"}
    assert found["previous"] == {"href": "/console/cases?stage=screening&page=199"}
