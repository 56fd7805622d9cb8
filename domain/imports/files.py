"""Reading an import file: CSV with a header row, or JSON (a list of row objects, or ``{"rows": [...]}``), into
typed rows and every problem by row and column. Nothing here decides what the rules allow (``building``)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.imports.columns import ImportRow, RowError, parse_row
from domain.imports.messages import ImportSource

MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class ParsedFile:
    source: ImportSource
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_file(file_name: str, content: bytes, today: date, default_board: str | None = None) -> ParsedFile:
    """Every row of the file, typed, and every problem found; JSON if it starts with ``[`` or ``{``, else CSV."""
    parsed = ParsedFile(ImportSource(file_name=file_name, sha256=hashlib.sha256(content).hexdigest()))
    if len(content) > MAX_BYTES:
        parsed.errors.append(RowError(0, "", f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB"))
        return parsed
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        parsed.errors.append(RowError(0, "", "the file is not UTF-8 text"))
        return parsed
    raw = _json_rows(text, parsed) if text.lstrip()[:1] in ("[", "{") else _csv_rows(text, parsed)
    if len(raw) > MAX_ROWS:
        parsed.errors.append(RowError(0, "", f"the file has {len(raw)} rows; import at most {MAX_ROWS} at a time"))
        return parsed
    if not raw and not parsed.errors:
        parsed.errors.append(RowError(0, "", "the file has no rows"))
    seen: dict[str, int] = {}
    for number, cells in raw:
        result = parse_row(number, cells, today, default_board)
        if isinstance(result, list):
            parsed.errors.extend(result)
            continue
        key = f"{result.board}/{result.board_case_id}"
        if key in seen:
            message = f"'{result.board_case_id}' is also row {seen[key]}'s: each review appears once"
            parsed.errors.append(RowError(number, "board_case_id", message))
            continue
        if result.reference is not None and result.reference in seen:
            message = f"{result.reference} is also row {seen[result.reference]}'s: each case has its own reference"
            parsed.errors.append(RowError(number, "reference", message))
            continue
        seen[key] = number
        if result.reference is not None:
            seen[result.reference] = number
        parsed.rows.append(result)
    return parsed


def _csv_rows(text: str, parsed: ParsedFile) -> list[tuple[int, dict[str, str]]]:
    """Rows numbered by the file's line (the header is line 1), blank lines skipped."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        for cells in reader:
            if None in cells:
                parsed.errors.append(RowError(reader.line_num, "", "the row has more cells than the header"))
                continue
            values = {key: value or "" for key, value in cells.items()}
            if any(value.strip() for value in values.values()):
                rows.append((reader.line_num, values))
    except csv.Error as error:
        parsed.errors.append(RowError(reader.line_num, "", f"not readable as CSV: {error}"))
    return rows


def _json_rows(text: str, parsed: ParsedFile) -> list[tuple[int, dict[str, str]]]:
    """Rows numbered from 1 in the order given; values may be strings, numbers, booleans, null or lists."""
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        parsed.errors.append(RowError(0, "", f"not readable as JSON: {error.msg} at line {error.lineno}"))
        return []
    items = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(items, list):
        parsed.errors.append(RowError(0, "", 'JSON must be a list of row objects, or {"rows": [...]}'))
        return []
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            parsed.errors.append(RowError(number, "", "each row must be an object of column: value"))
            continue
        # The incident facts may come as one object, as for opening a case: its keys are columns.
        flat = dict(item)
        facts = flat.get("incident")
        if isinstance(facts, dict):
            del flat["incident"]
            flat.update(facts)
        rows.append((number, {str(key): _cell(value) for key, value in flat.items()}))
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)
