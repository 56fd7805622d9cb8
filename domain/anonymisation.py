"""The anonymisation gate's scanner: finds a case's identifying details in a document's text. Pure: no I/O.

It looks for what the business manager recorded on the case (each name and each part of a name, dates of
birth in the common written formats, addresses and their street line, postcodes, schools, other terms) and
for identifier patterns that never belong in a published report (NHS numbers with a valid check digit,
National Insurance numbers, UK phone numbers, email addresses, UK postcodes).

Each hit says what it matched by *category* (never which recorded identifier), the matched text as it stands
in the document, and its place: part (body, header, footer, properties), page, paragraph, line and character.

Matching survives disguise: both the text and the recorded details are folded before matching (NFKC, format
characters such as zero-width spaces, soft hyphens and bidi controls removed, diacritics folded, letters from
other scripts that look Latin mapped to their Latin skeleton after Unicode TR39), case is ignored, and a name
may run across line breaks. The matched text and its place are still those of the (NFKC) document text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.text_folding import fold, views

__all__ = ["fold"]  # re-exported: the store and the tests fold text as the scanner does


class Category(StrEnum):
    NAME = "name"
    NAME_PART = "name_part"
    DATE_OF_BIRTH = "date_of_birth"
    ADDRESS = "address"
    POSTCODE = "postcode"
    SCHOOL = "school"
    OTHER_IDENTIFIER = "other_identifier"
    NHS_NUMBER = "nhs_number"
    NI_NUMBER = "ni_number"
    PHONE_NUMBER = "phone_number"
    EMAIL = "email"


CATEGORY_TITLES: dict[Category, str] = {
    Category.NAME: "a recorded name",
    Category.NAME_PART: "part of a recorded name",
    Category.DATE_OF_BIRTH: "a recorded date of birth",
    Category.ADDRESS: "a recorded address",
    Category.POSTCODE: "a postcode",
    Category.SCHOOL: "a recorded school",
    Category.OTHER_IDENTIFIER: "a recorded identifying term",
    Category.NHS_NUMBER: "an NHS number",
    Category.NI_NUMBER: "a National Insurance number",
    Category.PHONE_NUMBER: "a UK phone number",
    Category.EMAIL: "an email address",
}


def _no_control_characters(value: str) -> str:
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise ValueError("must be one line of text without control characters")
    return value


Item = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300), AfterValidator(_no_control_characters)
]
MAX_ITEMS = 100

_POSTCODE_EXACT = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")


def normalise_postcode(text: str) -> str:
    """``ab1  2cd`` → ``AB1 2CD``."""
    compact = "".join(text.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}"


class CaseIdentifiers(BaseModel):
    """The identifying details recorded on a case. Kept in the database only: never in Temporal payloads,
    logs, audit rows or emails. Validation messages never repeat a value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    names: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS, description="Child's and family's names")
    dates_of_birth: list[date] = Field(default_factory=list, max_length=MAX_ITEMS)
    addresses: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    postcodes: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    schools: list[Item] = Field(default_factory=list, max_length=MAX_ITEMS)
    other: list[Item] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Other identifying terms (nicknames, places, ...)"
    )

    @field_validator("postcodes")
    @classmethod
    def _uk_postcodes(cls, values: list[str]) -> list[str]:
        normalised = []
        for position, value in enumerate(values, start=1):
            if not _POSTCODE_EXACT.match("".join(value.split()).upper()):
                raise ValueError(f"postcode {position} is not a UK postcode (e.g. DN31 1HU)")
            normalised.append(normalise_postcode(value))
        return normalised

    def counts(self) -> dict[str, int]:
        """How many of each were recorded: what audit rows may say about them."""
        return {
            "names": len(self.names),
            "dates_of_birth": len(self.dates_of_birth),
            "addresses": len(self.addresses),
            "postcodes": len(self.postcodes),
            "schools": len(self.schools),
            "other": len(self.other),
        }

    def is_empty(self) -> bool:
        return not any(self.counts().values())


class TextSection(BaseModel):
    """A stretch of a document's text: a PDF page, a Word paragraph, a whole text file, the properties."""

    model_config = ConfigDict(frozen=True)

    text: str
    part: str = "body"  # body, header, footer, properties, "image 2 alt text", "comment 3", ...
    page: int | None = None
    paragraph: int | None = None  # given when the section is one paragraph (Word); else counted from blank lines
    recorded_only: bool = False
    """True for machine data no reader sees as prose (XML attributes, PDF object strings): only the details
    recorded on the case are looked for there, not identifier patterns (which would match ids and hashes)."""


class Place(BaseModel):
    model_config = ConfigDict(frozen=True)

    part: str = "body"
    page: int | None = None
    paragraph: int
    line: int  # within the page (PDF), the paragraph (Word) or the file (text)
    character: int  # 1-based, within the line
    offset: int  # 0-based, within the section's (NFKC-normalised) text

    def describe(self) -> str:
        where = [] if self.part == "body" else [self.part]
        if self.page is not None:
            where.append(f"page {self.page}")
        where += [f"paragraph {self.paragraph}", f"line {self.line}", f"character {self.character}"]
        return ", ".join(where)


class Hit(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: Category
    recorded: bool  # True: matches an identifier recorded on the case; False: an identifier pattern
    matched: str  # the text as it stands in the document (shown to the publisher; never put in audit rows)
    place: Place


def match_key(category: str, matched: str) -> str:
    """How an accepted hit is recognised again: category and matched text, case and spacing ignored."""
    return f"{category}:{' '.join(unicodedata.normalize('NFKC', matched).casefold().split())}"


# Pattern building


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SPACE = r"[\s\u00a0]+"
_LIST_SPACE = r"[\s\u00a0,]+"
_NAME_PARTICLES = frozenset({"de", "da", "di", "du", "del", "der", "den", "van", "von", "le", "la", "y", "bin", "ibn"})
_SCHOOL_WORDS = _words(
    """school schools primary secondary infant infants junior juniors nursery academy college high grammar
    community church england ce cofe c of e rc catholic methodist free special pupil referral unit upper lower
    middle first and the"""
)
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _token(text: str) -> str:
    escaped = re.escape(text)
    # A hyphenated name may break at its hyphen, at the end of a line.
    return escaped.replace("'", "['\u2018\u2019]").replace(r"\-", "[-\u2010\u2011\u2013][ \t\u00a0]*\n?[ \t\u00a0]*")


def _phrase(text: str, separator: str = _SPACE) -> str:
    return separator.join(_token(part) for part in re.split(r"[\s,]+", text.strip()) if part)


def _bounded(pattern: str) -> str:
    return rf"(?<!\w)(?:{pattern})(?!\w)"


def _name_parts(name: str) -> list[str]:
    parts = []
    for raw in re.split(r"[\s\-\u2010\u2011\u2013]+", name):
        part = raw.strip(".,()\"'\u2018\u2019")
        if len(part) >= 2 and part.casefold() not in _NAME_PARTICLES:
            parts.append(part)
    return parts


def _month(month: int) -> str:
    full = _MONTHS[month - 1]
    short = full[:3]
    options = [full, short + r"\.?"] if full != short else [full]
    if month == 9:
        options.append(r"sept\.?")
    return "(?:" + "|".join(options) + ")"


def _date_patterns(day: date) -> str:
    d, m, y = day.day, day.month, day.year
    dd = rf"0?{d}" if d < 10 else str(d)
    mm = rf"0?{m}" if m < 10 else str(m)
    yy = rf"(?:{y}|{y % 100:02d})"  # two-digit years only with slashes
    ordinal = r"(?:st|nd|rd|th)?"
    month = _month(m)
    forms = [
        rf"{y}-{mm}-{dd}|{y}/{mm}/{dd}|{y}\.{mm}\.{dd}",  # 2014-03-05
        rf"{dd}/{mm}/{yy}",  # 05/03/2014, 5/3/14
        rf"{dd}\.{mm}\.{y}|{dd}-{mm}-{y}",  # 05.03.2014, 05-03-2014 (not 5.3.14: section numbers look like that)
        rf"{dd}{ordinal}{_SPACE}(?:of{_SPACE})?{month},?{_SPACE}{y}",  # 5 March 2014, 5th of March, 2014
        rf"{month}{_SPACE}{dd}{ordinal},?{_SPACE}{y}",  # March 5, 2014
    ]
    return rf"(?<![\w/.\-])(?:{'|'.join(forms)})(?![\w/]|[.\-]\d)"


def _postcode_pattern(postcode: str) -> str:
    compact = "".join(postcode.split())
    return rf"(?<![A-Za-z0-9]){re.escape(compact[:-3])}[ \t\u00a0]*{re.escape(compact[-3:])}(?![A-Za-z0-9])"


def _address_patterns(address: str) -> list[str]:
    patterns = [_bounded(_phrase(address, _LIST_SPACE))]
    street = re.split(r",", address, maxsplit=1)[0].strip()
    number = re.match(r"^(?:(?:flat|apartment|unit)\s+\w+[\s,]+)?\d+[a-z]?\s+", street, re.IGNORECASE)
    street_name = street[number.end() :] if number else street
    if len(street_name) >= 4:
        patterns.append(_bounded(rf"(?:\d+[a-z]?{_SPACE})?{_phrase(street_name)}"))
    return patterns


def _school_patterns(school: str) -> list[str]:
    patterns = [_bounded(_phrase(school))]
    words = school.split()
    core: list[str] = []
    for word in words:
        if word.strip(".,'\u2019").casefold() in _SCHOOL_WORDS:
            break
        core.append(word)
    if core and len(core) < len(words) and len(" ".join(core)) >= 4:
        generic = "|".join(re.escape(word) for word in sorted(_SCHOOL_WORDS, key=len, reverse=True))
        patterns.append(_bounded(rf"{_phrase(' '.join(core))}(?:{_SPACE}(?:{generic})(?!\w))*"))
    return patterns


@dataclass(frozen=True)
class _Rule:
    category: Category
    recorded: bool
    rank: int  # lower wins when two hits cover the same text
    pattern: re.Pattern[str]
    check: str | None = None  # a validator name for pattern hits


_POSTCODE_ANY = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?[ \t\u00a0]*\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])")
_NHS = re.compile(r"(?<![\w/.\-])\d{3}([ \-]?)\d{3}\1\d{4}(?![\w/]|[.\-]\d)")
_NI = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"[ \u00a0]?\d{2}[ \u00a0]?\d{2}[ \u00a0]?\d{2}[ \u00a0]?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ \u00a0\-]?(?:\(0\)[ \u00a0\-]?)?|\(?0)(?:\d\)?[ \u00a0\-]?){8,9}\d(?![\d\w])")
_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![\w\-])")


def valid_nhs_number(text: str) -> bool:
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    remainder = sum(digit * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def valid_uk_phone(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    if digits.startswith("44") and text.lstrip().startswith("+"):
        digits = digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    return len(digits) in (10, 11) and digits[0] == "0" and digits[1] in "1235789"


_CHECKS = {"nhs": valid_nhs_number, "phone": valid_uk_phone}

_PATTERN_RULES: tuple[_Rule, ...] = (
    _Rule(Category.EMAIL, False, 20, _EMAIL),
    _Rule(Category.NHS_NUMBER, False, 21, _NHS, "nhs"),
    _Rule(Category.NI_NUMBER, False, 22, _NI),
    _Rule(Category.PHONE_NUMBER, False, 23, _PHONE, "phone"),
    _Rule(Category.POSTCODE, False, 24, _POSTCODE_ANY),
)


class IdentifierScanner:
    """Compiled once per case's identifiers; scans any number of documents."""

    def __init__(self, identifiers: CaseIdentifiers) -> None:
        identifiers = _folded_identifiers(identifiers)
        rules: list[_Rule] = []

        def add(category: Category, rank: int, patterns: Iterable[str]) -> None:
            for pattern in dict.fromkeys(patterns):
                rules.append(_Rule(category, True, rank, re.compile(pattern, re.IGNORECASE)))

        full_names = {name.casefold() for name in identifiers.names}
        add(Category.NAME, 1, (_bounded(_phrase(name)) for name in identifiers.names))
        add(Category.DATE_OF_BIRTH, 2, (_date_patterns(day) for day in identifiers.dates_of_birth))
        add(Category.ADDRESS, 3, (p for address in identifiers.addresses for p in _address_patterns(address)))
        add(Category.POSTCODE, 4, (_postcode_pattern(postcode) for postcode in identifiers.postcodes))
        add(Category.SCHOOL, 5, (p for school in identifiers.schools for p in _school_patterns(school)))
        add(Category.OTHER_IDENTIFIER, 6, (_bounded(_phrase(term)) for term in identifiers.other))
        parts = {
            part.casefold(): part
            for name in identifiers.names
            for part in _name_parts(name)
            if part.casefold() not in full_names
        }
        add(Category.NAME_PART, 7, (_bounded(_token(part)) for part in parts.values()))
        self._rules = (*rules, *_PATTERN_RULES)

    def scan(self, sections: Sequence[TextSection]) -> list[Hit]:
        """Hits in order; a hit in machine data (``recorded_only``) only when no other section has that text."""
        hits: list[Hit] = []
        for section in sections:
            if not section.recorded_only:
                hits.extend(self._scan_section(section))
        keys = {match_key(hit.category.value, hit.matched) for hit in hits}
        for section in sections:
            if section.recorded_only:
                for hit in self._scan_section(section):
                    key = match_key(hit.category.value, hit.matched)
                    if key not in keys:
                        keys.add(key)
                        hits.append(hit)
        return hits

    def _scan_section(self, section: TextSection) -> list[Hit]:
        text = unicodedata.normalize("NFKC", section.text)
        found: list[tuple[int, int, _Rule]] = []
        for folded, offsets in views(text):
            for rule in self._rules:
                if section.recorded_only and not rule.recorded:
                    continue
                for match in rule.pattern.finditer(folded):
                    if rule.check is not None and not _CHECKS[rule.check](match.group()):
                        continue
                    # Back to the document's own text: the matched text as it stands, disguise included.
                    found.append((offsets[match.start()], offsets[match.end() - 1] + 1, rule))
        # A hit inside a larger or better one (a name part within the full name, a name inside an email
        # address) is not reported separately.
        found.sort(key=lambda item: (item[0], -(item[1] - item[0]), item[2].rank))
        kept: list[tuple[int, int, _Rule]] = []
        for start, end, rule in found:
            if any(k_start <= start and end <= k_end for k_start, k_end, _ in kept):
                continue
            kept.append((start, end, rule))
        locator = _Locator(text, section)
        return [
            Hit(category=rule.category, recorded=rule.recorded, matched=text[start:end], place=locator.place(start))
            for start, end, rule in kept
        ]


class _Locator:
    def __init__(self, text: str, section: TextSection) -> None:
        self._section = section
        self._lines = [0, *(m.end() for m in re.finditer(r"\n", text))]
        self._paragraphs = [0, *(m.end() for m in re.finditer(r"\n[ \t\u00a0]*\n\s*", text))]

    def place(self, offset: int) -> Place:
        line = bisect.bisect_right(self._lines, offset)
        paragraph = self._section.paragraph or bisect.bisect_right(self._paragraphs, offset)
        return Place(
            part=self._section.part,
            page=self._section.page,
            paragraph=paragraph,
            line=line,
            character=offset - self._lines[line - 1] + 1,
            offset=offset,
        )


def _folded_identifiers(identifiers: CaseIdentifiers) -> CaseIdentifiers:
    return identifiers.model_copy(
        update={
            field: [fold(value) for value in getattr(identifiers, field)]
            for field in ("names", "addresses", "schools", "other")
        }
    )


def scan(sections: Sequence[TextSection], identifiers: CaseIdentifiers) -> list[Hit]:
    return IdentifierScanner(identifiers).scan(sections)
