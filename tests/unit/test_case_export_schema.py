"""The case export's JSON Schema is published as a file (docs/schemas/) and served by the API: both are the
schema the code generates, so a change to the export's shape shows up here, in the same commit as the file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from api.app import create_app
from domain.case_export import SCHEMA_FILE, SCHEMA_PATH, case_export_schema
from store.settings import Settings

PUBLISHED = Path(__file__).parents[2] / "docs" / "schemas" / SCHEMA_FILE
REGENERATE = (
    '.venv/bin/python -c "import json; from domain.case_export import case_export_schema; '
    f"open('docs/schemas/{SCHEMA_FILE}', 'w').write(json.dumps(case_export_schema(), indent=2) + '\\n')\""
)


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert committed == case_export_schema(), f"the export's shape changed: regenerate with {REGENERATE}"


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(case_export_schema())


def test_the_api_serves_the_schema_at_its_published_path() -> None:
    assert SCHEMA_PATH in create_app(Settings()).openapi()["paths"]
