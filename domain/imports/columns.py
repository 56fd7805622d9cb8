"""One row of an import file (issue 17): a review already under way at the board, at its current stage, with its
real dates. Each column is parsed on its own so that every problem is reported by row and column.

The columns are documented in README.md ("Importing reviews in progress"); ``COLUMNS`` is the one list of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.criteria import ChairDecision, IncidentFacts
from domain.decision_inputs import NonPublicationReason
from domain.free_text import checked_text
from domain.rule_pack import REGIME_START
from domain.stages import Stage

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REFERENCE = re.compile(r"^([A-Z]{2,16})-(\d{4})-(\d{4})$")
_BOARD_CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}

IMPORTABLE_STAGES = tuple(stage for stage in Stage if stage != Stage.NOTIFIED)
SCREENING_RECOMMENDATIONS = ("initiate_scr", "alternative_review", "no_review")
PUBLICATION_DECISIONS = ("publish", "do_not_publish")
PROCEEDINGS = ("criminal_trial", "inquest", "reporting_restriction", "other")
CHAIR_DECISIONS: tuple[str, ...] = get_args(ChairDecision)
NON_PUBLICATION_REASONS: tuple[str, ...] = get_args(NonPublicationReason)

# The real dates a row may give, in the order the review reaches them (each no earlier than the ones before).
DATE_COLUMNS = (
    "aware_on",
    "notified_on",
    "ofsted_notified_on",
    "screened_on",
    "chair_decision_on",
    "scrutiny_outcome_on",
    "initiated_on",
    "reviewers_named_on",
    "final_report_on",
    "publication_decision_on",
    "copies_sent_on",
    "publication_on",
    "published_on",
    "removed_on",
    "closed_on",
)
REQUIRED_COLUMNS = ("board_case_id", "board", "stage", "aware_on", "notified_on", "outcome", "abuse_or_neglect")
INCIDENT_COLUMNS = tuple(IncidentFacts.model_fields)
# Free text, held to the decisions' own rules (domain/free_text.py) and lengths.
FREE_TEXT = {
    "definitive_evidence": 10_000,
    "location": 200,
    "lead_reviewer": 200,
    "lead_reviewer_organisation": 200,
    "lead_reviewer_account": 128,
    "recorded_by": 200,
}
TEXT_COLUMNS = (
    "reference",
    "screening_recommendation",
    "chair_decision",
    "definitive_evidence",
    "publication_decision",
    "non_publication_reason",
    "proceedings",
    "location",
    "lead_reviewer",
    "lead_reviewer_organisation",
    "lead_reviewer_account",
    "recorded_by",
)
COLUMNS = tuple(dict.fromkeys(("board_case_id", "board", "stage", *DATE_COLUMNS, *INCIDENT_COLUMNS, *TEXT_COLUMNS)))


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (``column``) of one row (``row``: the file's line for CSV, 1-based)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"{where}, column {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class ImportRow(BaseModel):
    """A row that parsed: every value typed; whether the rules allow it is checked when its case is built."""

    model_config = ConfigDict(frozen=True)

    row: int
    board_case_id: str
    board: str
    stage: Stage
    reference: str | None = None
    aware_on: date
    notified_on: date
    incident: IncidentFacts
    dates: dict[str, date]  # every DATE_COLUMNS value given (aware_on and notified_on included)
    screening_recommendation: str | None = None
    chair_decision: ChairDecision | None = None
    definitive_evidence: str | None = None
    publication_decision: str | None = None
    non_publication_reason: NonPublicationReason | None = None
    proceedings: str | None = None
    location: str | None = None
    lead_reviewer: str | None = None
    lead_reviewer_organisation: str | None = None
    lead_reviewer_account: str | None = None  # the reviewer's sign-in: a lead reviewer acts on the cases naming it
    recorded_by: str | None = None

    def on(self, column: str) -> date | None:
        return self.dates.get(column)


class _Cells:
    """One row's raw cells and the problems found reading them."""

    def __init__(self, row: int, cells: dict[str, str]) -> None:
        self.row = row
        self.cells = {key.strip().lower(): value.strip() for key, value in cells.items() if key is not None}
        self.errors: list[RowError] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.row, column, message))

    def text(self, column: str) -> str | None:
        return self.cells.get(column) or None

    def free_text(self, column: str, longest: int) -> None:
        value = self.text(column)
        if value is None:
            return
        if len(value) > longest:
            self.error(column, f"is {len(value)} characters long; at most {longest}")
            return
        try:
            checked_text(value)
        except ValueError as invalid:
            self.error(column, str(invalid))

    def choice(self, column: str, allowed: tuple[str, ...]) -> str | None:
        """One of ``allowed``, whatever its case, with spaces or hyphens for underscores ("In review")."""
        value = self.text(column)
        if value is not None and value.lower().replace(" ", "_").replace("-", "_") in allowed:
            return value.lower().replace(" ", "_").replace("-", "_")
        if value is not None:
            self.error(column, f"'{value}' is not one of: {', '.join(allowed)}")
            return None
        return value

    def day(self, column: str, today: date) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        if not _ISO_DATE.fullmatch(value):
            self.error(column, f"{value} is not a date; give it as YYYY-MM-DD, e.g. 2016-03-24")
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.error(column, f"{value} is not a date (no such day)")
            return None
        if day > today and column != "publication_on":  # the planned date may be still to come
            self.error(column, f"{value} is in the future: an imported review records what has already happened")
        elif day < REGIME_START:
            self.error(column, f"{value} is before {REGIME_START.isoformat()}, when the SCR regulations came in")
        return day


def parse_row(
    row: int, cells: dict[str, str], today: date, default_board: str | None = None
) -> ImportRow | list[RowError]:
    """The row typed, or every problem with its cells (a missing required column, a bad date, an unknown stage).
    ``default_board``: the board of a row that names none (the importer acts for that one board only)."""
    found = _Cells(row, cells)
    if default_board is not None and found.text("board") is None:
        found.cells["board"] = default_board
    for column in REQUIRED_COLUMNS:
        if found.text(column) is None:
            found.error(column, "is required and is empty or missing")
    unknown = sorted(set(found.cells) - set(COLUMNS))
    for column in unknown:
        found.error(column, "is not a column of the import format (see README, 'Importing reviews in progress')")
    stage = found.choice("stage", tuple(s.value for s in IMPORTABLE_STAGES))
    dates = {column: day for column in DATE_COLUMNS if (day := found.day(column, today)) is not None}
    _check_order(found, dates)
    board_case_id = found.text("board_case_id")
    if board_case_id is not None and not _BOARD_CASE_ID.fullmatch(board_case_id):
        found.error("board_case_id", "use letters, digits and . _ / - only (at most 64)")
    board = (found.text("board") or "").upper()
    reference = found.text("reference")
    if reference is not None:
        match = _REFERENCE.fullmatch(reference.upper())
        if match is None:
            found.error("reference", f"'{reference}' is not a reference of this service (e.g. NEL-2016-0007)")
        elif match.group(1) != board:
            found.error("reference", f"'{reference}' is not a reference of board {board}")
        reference = reference.upper()
    for column, longest in FREE_TEXT.items():
        found.free_text(column, longest)
    incident = _incident(found)
    chosen = {
        "screening_recommendation": found.choice("screening_recommendation", SCREENING_RECOMMENDATIONS),
        "chair_decision": found.choice("chair_decision", CHAIR_DECISIONS),
        "publication_decision": found.choice("publication_decision", PUBLICATION_DECISIONS),
        "non_publication_reason": found.choice("non_publication_reason", NON_PUBLICATION_REASONS),
        "proceedings": found.choice("proceedings", PROCEEDINGS),
    }
    if found.errors or incident is None or stage is None or board_case_id is None:
        return found.errors
    return ImportRow(
        row=row,
        board_case_id=board_case_id,
        board=board,
        stage=Stage(stage),
        reference=reference,
        aware_on=dates["aware_on"],
        notified_on=dates["notified_on"],
        incident=incident,
        dates=dates,
        definitive_evidence=found.text("definitive_evidence"),
        location=found.text("location"),
        lead_reviewer=found.text("lead_reviewer"),
        lead_reviewer_organisation=found.text("lead_reviewer_organisation"),
        lead_reviewer_account=found.text("lead_reviewer_account"),
        recorded_by=found.text("recorded_by"),
        **chosen,
    )


def _check_order(found: _Cells, dates: dict[str, date]) -> None:
    """Each real date of the review's course is no earlier than the ones it reaches before it. Ofsted may hear
    before the board (only not before anyone was aware); the planned publication date is checked by the rules."""
    latest: tuple[str, date] | None = None
    for column in DATE_COLUMNS:
        day = dates.get(column)
        if day is None or column in _OFF_THE_CHAIN:
            continue
        if latest is not None and day < latest[1]:
            found.error(column, f"{day.isoformat()} is before {latest[0]} {latest[1].isoformat()}")
            continue
        latest = (column, day)
    told, aware = dates.get("ofsted_notified_on"), dates.get("aware_on")
    if told is not None and aware is not None and told < aware:
        found.error("ofsted_notified_on", f"{told.isoformat()} is before aware_on {aware.isoformat()}")


_OFF_THE_CHAIN = ("ofsted_notified_on", "publication_on")


def _incident(found: _Cells) -> IncidentFacts | None:
    """The incident facts from their own columns, checked by the same model as opening a case."""
    values: dict[str, Any] = {}
    for column, field in IncidentFacts.model_fields.items():
        value = found.text(column)
        if value is None:
            continue
        if field.annotation is bool:
            lowered = value.lower()
            if lowered not in _TRUE | _FALSE:
                found.error(column, f"'{value}' is not true or false")
                continue
            values[column] = lowered in _TRUE
        elif column == "other_lscbs":
            values[column] = tuple(code for code in re.split(r"[\s;,]+", value) if code)
        elif column == "age_at_incident":
            values[column] = value
        else:  # a choice: "Died" or "not suspected" read as the model's "died" and "not_suspected"
            values[column] = value.lower().replace(" ", "_").replace("-", "_")
    if any(error.column in INCIDENT_COLUMNS for error in found.errors):
        return None
    try:
        return IncidentFacts.model_validate(values)
    except ValidationError as invalid:
        for problem in invalid.errors():
            column = str(problem["loc"][0]) if problem["loc"] else "outcome"
            if found.text(column) is None and column in REQUIRED_COLUMNS:
                continue  # already reported as missing
            found.error(column, problem["msg"])
        return None
