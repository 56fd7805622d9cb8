"""Clients written against the released API keep working: the OpenAPI schema only gains.

``openapi_baseline.json`` is the schema as released before the "one decision in one place" redesign (commit
4a9b09c). A change that removes an operation, a parameter, a response or a schema property, or that makes a
client send something new, fails here. When a break is intended (a new major version), regenerate the baseline
with ``create_app(Settings()).openapi()`` in the same commit and say why in its message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from store.settings import Settings

BASELINE: dict[str, Any] = json.loads((Path(__file__).parent / "openapi_baseline.json").read_text())
Operation = tuple[str, str]


@pytest.fixture(scope="module")
def current() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings()).openapi()
    return schema


def _operations(schema: dict[str, Any]) -> dict[Operation, dict[str, Any]]:
    return {(path, method): op for path, ops in schema["paths"].items() for method, op in ops.items()}


def _parameters(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["name"], p["in"]): p for p in op.get("parameters", [])}


_PROSE = frozenset({"description", "title", "examples"})


def _same_or_wider(old: Any, new: Any) -> bool:
    """``new`` accepts and means what ``old`` did: prose may change, and an enum may gain values (a request may
    send any old value still; the issue asked for new ones, e.g. custody 'other_custody')."""
    if isinstance(old, dict) and isinstance(new, dict):
        if "enum" in old:
            return (
                "enum" in new
                and set(old["enum"]) <= set(new["enum"])
                and _same_or_wider(
                    {k: v for k, v in old.items() if k != "enum"}, {k: v for k, v in new.items() if k != "enum"}
                )
            )
        keys = (set(old) | set(new)) - _PROSE
        return all(k in old and k in new and _same_or_wider(old[k], new[k]) for k in keys)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same_or_wider(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def compatibility_breaks(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a client of ``old`` would notice in ``new``: lost operations, parameters, responses and properties,
    changed parameter schemas, and anything newly required of it. Prose and new enum values are not breaks."""
    breaks: list[str] = []
    new_ops = _operations(new)
    for key, old_op in _operations(old).items():
        label = f"{key[1].upper()} {key[0]}"
        if key not in new_ops:
            breaks.append(f"{label}: removed")
            continue
        new_op = new_ops[key]
        old_params, new_params = _parameters(old_op), _parameters(new_op)
        for name, param in old_params.items():
            if name not in new_params:
                breaks.append(f"{label}: parameter {name} removed")
            elif new_params[name]["schema"] != param["schema"]:
                breaks.append(f"{label}: parameter {name} schema changed")
        for name, param in new_params.items():
            if name not in old_params and param.get("required"):
                breaks.append(f"{label}: new required parameter {name}")
        if old_op.get("requestBody") != new_op.get("requestBody"):
            breaks.append(f"{label}: request body changed")
        for status in old_op.get("responses", {}):
            if status not in new_op.get("responses", {}):
                breaks.append(f"{label}: response {status} removed")
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, old_schema in old.get("components", {}).get("schemas", {}).items():
        if name not in new_schemas:
            breaks.append(f"schema {name}: removed")
            continue
        new_schema = new_schemas[name]
        for prop, definition in old_schema.get("properties", {}).items():
            if not _same_or_wider(definition, new_schema.get("properties", {}).get(prop)):
                breaks.append(f"schema {name}: property {prop} removed or changed")
        for prop in set(new_schema.get("required", [])) - set(old_schema.get("required", [])):
            if name.endswith("Input") or name.endswith("In"):
                breaks.append(f"schema {name}: {prop} newly required of clients")
    return breaks


def test_the_schema_only_gains_on_the_released_one(current: dict[str, Any]) -> None:
    assert compatibility_breaks(BASELINE, current) == []


def test_the_redesign_added_versions_and_idempotency_keys(current: dict[str, Any]) -> None:
    operations = _operations(current)
    case_read = operations[("/api/v1/cases/{reference}", "get")]
    assert ("min_version", "query") in _parameters(case_read)
    assert "ETag" in case_read["responses"]["200"]["headers"]
    chair = operations[("/api/v1/cases/{reference}/decisions/chair", "post")]
    assert _parameters(chair)[("idempotency-key", "header")].get("required") is False


def test_the_check_notices_a_lost_parameter_and_a_new_required_one() -> None:
    """The comparison itself: a client-visible break is reported, in words."""
    old = {
        "paths": {
            "/x": {"get": {"parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}}], "responses": {}}}
        }
    }
    new = {
        "paths": {
            "/x": {
                "get": {"parameters": [{"name": "b", "in": "query", "required": True, "schema": {}}], "responses": {}}
            }
        }
    }
    assert compatibility_breaks(old, new) == [
        "GET /x: parameter ('a', 'query') removed",
        "GET /x: new required parameter ('b', 'query')",
    ]


def test_prose_and_new_enum_values_are_not_breaks_but_a_lost_enum_value_is() -> None:
    def custody(values: list[str], description: str) -> dict[str, Any]:
        prop = {"anyOf": [{"enum": values, "type": "string"}, {"type": "null"}], "description": description}
        return {"paths": {}, "components": {"schemas": {"IncidentFacts": {"properties": {"custody": prop}}}}}

    old = custody(["remand"], "Where")
    assert compatibility_breaks(old, custody(["remand", "other_custody"], "Where, or any other custody")) == []
    assert compatibility_breaks(old, custody(["police_custody"], "Where")) == [
        "schema IncidentFacts: property custody removed or changed"
    ]


def test_a_property_may_gain_enum_values_but_not_lose_them() -> None:
    def schema(*values: str) -> dict[str, Any]:
        return {"paths": {}, "components": {"schemas": {"X": {"properties": {"o": {"enum": list(values)}}}}}}

    old, gained, lost = schema("a", "b"), schema("a", "b", "c"), schema("a")
    assert compatibility_breaks(old, gained) == []
    assert compatibility_breaks(old, lost) == ["schema X: property o removed or changed"]
