"""Folding text for matching: what a disguised name looks like once the disguise is taken off. Pure: no I/O.

Both a document's text and the recorded details are folded the same way: format characters dropped, diacritics
folded, letters of other scripts that look Latin mapped to their Latin skeleton. Each folded character keeps
the offset it came from, so a hit can be reported as the text stands in the document.
"""

from __future__ import annotations

import functools
import re
import unicodedata


def _pairs(lookalikes: str, latin: str) -> dict[str, str]:
    return dict(zip(lookalikes, latin, strict=True))


# Letters of other scripts that look like Latin ones (a subset of Unicode TR39 confusables.txt: Cyrillic,
# Greek, Armenian, Cherokee and Latin look-alikes of the basic Latin letters). Fullwidth and mathematical
# letters need no entry: NFKC maps them already.
_CONFUSABLES: dict[str, str] = {
    **_pairs("аеорсухѕіјԁһӏԛԝү", "aeopcyxsijdhlqwy"),  # Cyrillic small letters
    **_pairs("АВЕКМНОРСТХУЅІЈԚԜҮҺӀ", "ABEKMHOPCTXYSIJQWYHI"),  # Cyrillic capitals
    **_pairs("οναιρυχϲϳκτ", "ovaipuxcjkt"),  # Greek small letters
    **_pairs("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ", "ABEZHIKMNOPTYXC"),  # Greek capitals
    **_pairs("ɡɑıȷɩ", "gaiji"),  # Latin look-alikes (script g, alpha, dotless i and j, iota)
    **_pairs("օսհո", "ouhn"),  # Armenian
    **_pairs("ᎪᏴᏟᎬᎻᎫᏦᎷᏢᏚᎢᏔᏃ", "ABCEHJKMPSTWZ"),  # Cherokee capitals
}
# Characters that are letters to Unicode but draw nothing (Hangul fillers, the braille blank, the combining
# grapheme joiner): a name split by one looks whole.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
# Letters with a stroke or ligatures that do not decompose under NFD.
_FOLDS: dict[str, str] = {
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H", "ŧ": "t", "Ŧ": "T",
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ð": "d", "Ð": "D",
}  # fmt: skip


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` (already NFKC) folded for matching, and for each folded character the offset it came from.

    Format characters (Unicode category Cf: zero-width space/joiners U+200B-D, word joiner U+2060, BOM U+FEFF,
    soft hyphen U+00AD, bidi controls U+202A-E, U+2066-9, U+200E/F) are dropped; combining marks are dropped
    after NFD (diacritics folded); confusable letters become their Latin skeleton."""
    if text.isascii():  # nothing to fold (the common case, and the machine data)
        return text, list(range(len(text)))
    folded: list[str] = []
    offsets: list[int] = []
    for offset, character in enumerate(text):
        mapped = character if character.isascii() else _fold_character(character)
        for piece in mapped:
            folded.append(piece)
            offsets.append(offset)
    return "".join(folded), offsets


@functools.lru_cache(maxsize=4096)
def _fold_character(character: str) -> str:
    if unicodedata.category(character) == "Cf" or character in _INVISIBLE_LETTERS:
        return ""
    mapped = _CONFUSABLES.get(character) or _FOLDS.get(character)
    if mapped is None:
        mapped = "".join(c for c in unicodedata.normalize("NFD", character) if not unicodedata.combining(c))
        mapped = "".join(_CONFUSABLES.get(c) or _FOLDS.get(c) or c for c in mapped)
    return mapped


def fold(text: str) -> str:
    return fold_with_offsets(unicodedata.normalize("NFKC", text))[0]


_LINE_END_HYPHEN = re.compile(r"(?<=\w)[-\u2010]\s*\n\s*(?=\w)")
_LETTER_SPACED = re.compile(r"(?<!\w)(?:\w[ \u00a0]){2,}\w(?!\w)")


def views(text: str) -> list[tuple[str, list[int]]]:
    """The folded text, and when it has any, a second view with line-end hyphenation undone ("Jay-\\nden") and
    letter-spaced words closed up ("J a y d e n"), each with the offsets of its characters in ``text``."""
    folded, offsets = fold_with_offsets(text)
    gaps: list[tuple[int, int]] = [m.span() for m in _LINE_END_HYPHEN.finditer(folded)]
    for match in _LETTER_SPACED.finditer(folded):
        gaps += [(match.start() + i, match.start() + i + 1) for i in range(1, match.end() - match.start(), 2)]
    if not gaps:
        return [(folded, offsets)]
    dropped = {index for start, end in gaps for index in range(start, end)}
    kept = [index for index in range(len(folded)) if index not in dropped]
    return [(folded, offsets), ("".join(folded[i] for i in kept), [offsets[i] for i in kept])]
