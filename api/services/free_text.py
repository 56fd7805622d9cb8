"""Free text checked against the case's recorded identifying details before anything is recorded: a decision's
rationale or note reaches the timeline, notices and the register, where a child's name must never appear.

Only details recorded on the case count here (the gate's general patterns, such as phone numbers, are for
documents); the answer names the field and the kind of detail, never repeats the text."""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel

from api.errors import ProblemError
from domain.anonymisation import CATEGORY_TITLES, CaseIdentifiers, IdentifierScanner, TextSection
from domain.free_text import text_fields
from store.models import CaseIdentifierRecord


def _readings(text: str) -> list[str]:
    """The text as a reader sees it: compatibility forms folded (NFKC), invisible format characters (zero-width,
    soft hyphen, bidi controls) removed; and the same with accents dropped. A name disguised by any of these is
    still the name."""
    visible = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) != "Cf")
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", visible) if not unicodedata.combining(c))
    return list(dict.fromkeys((text, visible, unaccented)))


def check_free_text(record: CaseIdentifierRecord | None, body: BaseModel) -> None:
    """422 naming each field of ``body`` that holds an identifying detail of ``record`` (the details recorded on
    the case; None: none recorded)."""
    if record is None:
        return
    identifiers = CaseIdentifiers.model_validate(record.identifiers)
    if identifiers.is_empty():
        return
    scanner = IdentifierScanner(identifiers)
    errors = []
    for field, text in text_fields(body):
        sections = [TextSection(text=variant) for variant in _readings(text)]
        found = sorted({hit.category for hit in scanner.scan(sections) if hit.recorded})
        if found:
            kinds = " and ".join(CATEGORY_TITLES[category] for category in found)
            message = f"contains {kinds} of this case's child or family; describe them without identifying them"
            errors.append({"field": field, "message": message})
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) + ". Nothing was recorded."
        raise ProblemError(422, "Identifying details", detail, extra={"errors": errors})
