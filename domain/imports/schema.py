"""The JSON Schema of one import row (docs/import-row.schema.json is this, written out; a test keeps them equal)."""

from __future__ import annotations

from typing import Any, get_args

from domain.criteria import IncidentFacts
from domain.imports.columns import (
    CHAIR_DECISIONS,
    COLUMNS,
    DATE_COLUMNS,
    IMPORTABLE_STAGES,
    NON_PUBLICATION_REASONS,
    PROCEEDINGS,
    PUBLICATION_DECISIONS,
    REQUIRED_COLUMNS,
    SCREENING_RECOMMENDATIONS,
)

_CHOICES: dict[str, tuple[str, ...]] = {
    "stage": tuple(stage.value for stage in IMPORTABLE_STAGES),
    "screening_recommendation": SCREENING_RECOMMENDATIONS,
    "chair_decision": CHAIR_DECISIONS,
    "publication_decision": PUBLICATION_DECISIONS,
    "non_publication_reason": NON_PUBLICATION_REASONS,
    "proceedings": PROCEEDINGS,
}


def row_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for column in COLUMNS:
        given = _property(column)
        # An optional column may be left empty or null.
        properties[column] = (
            given if column in REQUIRED_COLUMNS else {"anyOf": [given, {"type": "null"}, {"const": ""}]}
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": 'A review in progress, for POST /api/v1/imports (JSON: a list of these, or {"rows": [...]})',
        "type": "object",
        "properties": properties,
        "required": list(REQUIRED_COLUMNS),
        "additionalProperties": False,
    }


def _property(column: str) -> dict[str, Any]:
    if column in DATE_COLUMNS:
        return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    if column in _CHOICES:
        return {"enum": list(_CHOICES[column])}
    field = IncidentFacts.model_fields.get(column)
    if field is None:
        return {"type": "string", "minLength": 1}
    if field.annotation is bool:
        return {"type": ["boolean", "string"], "description": field.description or ""}
    if column == "other_lscbs":
        return {"type": ["array", "string"], "items": {"type": "string"}, "description": field.description or ""}
    if column == "age_at_incident":
        return {"type": ["integer", "string"], "description": field.description or ""}
    return {"enum": _literals(field.annotation), "description": field.description or ""}


def _literals(annotation: object) -> list[str]:
    """The values of a ``Literal`` (also inside ``Optional``)."""
    return [value for arg in get_args(annotation) for value in ([arg] if isinstance(arg, str) else _literals(arg))]
