"""The free-text rule every input model applies (domain/free_text.py)."""

from __future__ import annotations

import re

import pytest

from domain.decision_inputs import AppointReviewersInput, Reviewer
from domain.free_text import checked_text, text_fields


@pytest.mark.parametrize("text", ["A reason", "Line one\nline two", "Tab\tseparated\r\n", "Zoë's café", "日本語"])
def test_ordinary_text_passes(text: str) -> None:
    assert checked_text(text) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a\x00b", "U+0000"),
        ("a\x7fb", "U+007F"),
        ("a\x85b", "U+0085"),
        ("a\ud800b", "unpaired surrogate"),
        ("\u200b\u200c\u200d\u2060\ufeff", "visible text"),
        ("\u202e\u2066 \u00ad", "visible text"),
        ("\u0301\u0301", "visible text"),  # combining accents with nothing to sit on
        ("\n\t ", "visible text"),
    ],
)
def test_control_characters_and_invisible_text_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        checked_text(text)


def test_text_fields_name_each_string_by_its_request_path() -> None:
    decision = AppointReviewersInput(
        reviewers=[Reviewer(name="A", organisation="B", independence_statement="C", account="acct")]
    )
    assert dict(text_fields(decision)) == {
        "kind": "reviewers",
        "reviewers.0.name": "A",
        "reviewers.0.organisation": "B",
        "reviewers.0.independence_statement": "C",
        "reviewers.0.account": "acct",
    }
