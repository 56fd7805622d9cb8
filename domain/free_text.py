"""What any free text a person sends must be: no control characters, and something a reader can see.

One rule for every free-text field (decision rationales and notes, the API's request bodies): NUL cannot be
stored by PostgreSQL, and other control characters hide or garble text on the timeline and in notices. A
rationale of only spaces or invisible characters (zero-width spaces, bidi marks, fillers) records no reason.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

ALLOWED_CONTROLS = frozenset("\n\r\t")
# Letters and symbols that render as blank space although Unicode does not class them as spaces.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(char: str) -> bool:
    if char.isspace() or char in _BLANK_LOOKING:
        return False
    # Format (Cf: zero-width, soft hyphen, bidi controls), control, unassigned and combining marks alone.
    return unicodedata.category(char) not in {"Cf", "Cc", "Cn", "Co", "Cs", "Mn", "Me"}


def checked_text(value: str) -> str:
    """``value`` if it has no control characters but line breaks and tabs, and something visible."""
    bad = next((c for c in value if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS), None)
    if bad is not None:
        raise ValueError(
            f"must not contain control characters (found U+{ord(bad):04X}); only line breaks and tabs are allowed"
        )
    if any(unicodedata.category(c) == "Cs" for c in value):
        # A lone surrogate (JSON "\ud800") is no character: no database can store it as text.
        raise ValueError("must be valid Unicode text (it holds an unpaired surrogate code point)")
    if not any(_visible(c) for c in value):
        raise ValueError("must have visible text, not only spaces or invisible characters")
    return value


def text_fields(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every string a model holds, with its field path as a request names it (``reviewers.0.name``)."""
    for name in type(model).model_fields:
        yield from _strings(getattr(model, name), f"{prefix}{name}")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from text_fields(value, f"{path}.")
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from _strings(item, f"{path}.{position}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
