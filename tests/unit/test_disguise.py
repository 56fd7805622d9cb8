"""Matching survives disguise: the scanner folds the text and the recorded details the same way (NFKC, format
characters removed, diacritics folded, look-alike letters mapped to Latin, case ignored, line breaks crossed),
and still reports the text as it stands in the document, at its place."""

from __future__ import annotations

import unicodedata

import pytest

from domain.anonymisation import CaseIdentifiers, Category, TextSection, fold, scan

FAMILY = CaseIdentifiers(names=["Jayden Lee Smith", "Zoë Brontë", "Lee-Smith Ward"])


def hits(text: str) -> list[tuple[str, str, str]]:
    return [(h.category.value, h.matched, h.place.describe()) for h in scan([TextSection(text=text)], FAMILY)]


@pytest.mark.parametrize(
    ("disguised", "why"),
    [
        ("Jay\u200bden", "zero-width space"),
        ("Jay\u200c\u200dden", "zero-width non-joiner and joiner"),
        ("Jay\u2060den", "word joiner"),
        ("\ufeffJayden", "byte order mark"),
        ("Jay\u00adden", "soft hyphen"),
        ("\u202eJayden\u202c", "bidi override"),
        ("\u2066Jay\u200eden\u2069", "bidi isolate and mark"),
        ("J\u0430yden", "Cyrillic a"),
        ("J\u0430yd\u0435n", "Cyrillic a and e"),
        ("J\u03b1yden", "Greek alpha"),
        ("\uff2a\uff41\uff59\uff44\uff45\uff4e", "fullwidth letters"),
        ("\U0001d409ayden", "mathematical bold J"),
        ("Jáydén", "diacritics"),
        ("Ja\u0301yden", "a combining accent"),
        ("JAYDEN", "capitals"),
        ("jAyDeN", "mixed case"),
        ("J a y d e n", "letter spacing"),
        ("Jay-\nden", "hyphenated at the end of a line"),
    ],
)
def test_a_disguised_name_is_found_as_it_stands(disguised: str, why: str) -> None:
    text = unicodedata.normalize("NFKC", f"The review of {disguised} was slow.")  # places are in NFKC text
    disguised = unicodedata.normalize("NFKC", disguised)
    [(category, matched, place)] = hits(text)
    assert category == "name_part", why
    # The text as it stands (a control character just outside the name is not part of the match).
    assert matched.strip("\ufeff\u202e\u202c\u2066\u2069") == disguised.strip("\ufeff\u202e\u202c\u2066\u2069")
    assert place == f"paragraph 1, line 1, character {text.index(matched) + 1}"


def test_a_full_name_across_lines_and_runs() -> None:
    assert hits("Seen:\nJayden\nLee\nSmith.") == [("name", "Jayden\nLee\nSmith", "paragraph 1, line 2, character 1")]
    assert hits("Lee-\nSmith Ward") == [("name", "Lee-\nSmith Ward", "paragraph 1, line 1, character 1")]


def test_recorded_diacritics_match_plain_letters_and_the_reverse() -> None:
    assert [h[:2] for h in hits("Zoe Bronte and ZOË BRONTË")] == [
        ("name", "Zoe Bronte"),
        ("name", "ZOË BRONTË"),
    ]


def test_folding_keeps_ordinary_text_and_the_patterns_still_work() -> None:
    assert fold("Ordinary text, 12 Acacia Avenue.") == "Ordinary text, 12 Acacia Avenue."
    assert fold("J\u0430y\u200bd\u00e9n") == "Jayden"
    found = scan([TextSection(text="Call 01472\u200b 123456 or mail a@b.org")], CaseIdentifiers(names=["Kelly"]))
    assert [h.category for h in found] == [Category.PHONE_NUMBER, Category.EMAIL]


def test_words_that_only_contain_a_name_are_not_hits() -> None:
    assert hits("Jaydenfield and Smithson, leeway") == []
