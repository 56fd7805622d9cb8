"""Issue 17: reading an import file by row and column, and building each row's case at its stage with its real
dates, the rules checked by the lifecycle's own handlers (pure: the deadlines from the same function the workflow's
activity and `scr deadlines` use)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest

from activities.deadline_activities import schedule_deadlines
from domain.case_file import CaseFile, new_case_file
from domain.case_messages import Actor, ComputeDeadlinesInput, DeadlineStatus, OpenCaseInput
from domain.imports.building import BuiltCase, RowRefused, build_case, deadline_events
from domain.imports.columns import ImportRow
from domain.imports.files import parse_file
from domain.imports.messages import ImportSource
from domain.imports.schema import row_schema
from domain.roles import Role
from domain.rule_pack import SCR_2015
from domain.uk_time import london_date
from tests.support.import_rows import STAGE_COUNTS, bad_rows, review_rows, to_csv, to_json

NOW = datetime.now(UTC)
TODAY = london_date(NOW)
SOURCE = ImportSource(file_name="legacy.csv", sha256="0" * 64)


def build(row: ImportRow) -> BuiltCase:
    opening = OpenCaseInput(
        reference=f"{row.board}-2016-0001",
        board=row.board,
        aware_on=row.aware_on,
        notified_on=row.notified_on,
        incident=row.incident,
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        opened_by=Actor(user="bm", role=Role.BUSINESS_MANAGER),
    )
    base: CaseFile = new_case_file(opening)
    base.statutory_notices = True
    schedules = schedule_deadlines(
        ComputeDeadlinesInput(
            rule_pack=SCR_2015.name, rule_pack_version=SCR_2015.version, events=deadline_events(row), board=row.board
        )
    )
    return build_case(base, row, schedules, NOW, SOURCE)


def parsed_rows(content: bytes, name: str = "legacy.csv") -> list[ImportRow]:
    parsed = parse_file(name, content, TODAY)
    assert parsed.errors == []
    return parsed.rows


def test_every_row_of_the_realistic_file_becomes_a_case_at_its_stage() -> None:
    rows = parsed_rows(to_csv(review_rows("NEL", TODAY)))
    assert len(rows) == 50
    stages = {}
    for row in rows:
        built = build(row)
        stages[row.board_case_id] = built.case.stage.value
        assert built.case.stage == row.stage
        assert built.outcomes[0].kind == "case_imported"
        assert built.outcomes[0].details["imported"]["row"] == row.row
    assert sorted(set(stages.values())) == sorted(STAGE_COUNTS)


def test_json_reads_as_csv_does() -> None:
    rows = review_rows("NEL", TODAY)
    from_csv = [r.model_dump(exclude={"row"}) for r in parsed_rows(to_csv(rows))]
    from_json = [r.model_dump(exclude={"row"}) for r in parsed_rows(to_json(rows), "legacy.json")]
    assert from_csv == from_json


def test_deadlines_are_settled_from_the_real_dates() -> None:
    notified = date(2016, 3, 1)
    cells = {
        "board_case_id": "X-1",
        "board": "NEL",
        "stage": "in_review",
        "aware_on": "2016-02-26",
        "notified_on": notified.isoformat(),
        "outcome": "died",
        "abuse_or_neglect": "known",
        "screening_recommendation": "initiate_scr",
        "chair_decision": "initiate_scr",
        "chair_decision_on": "2016-04-15",  # more than a month after notification: met late
    }
    (row,) = parsed_rows(to_csv([cells]))
    case = build(row).case
    assert case.deadlines["chair_decision"].status == DeadlineStatus.MET_LATE
    assert case.deadlines["notify_lscb"].status == DeadlineStatus.MET
    # no date in the file that Ofsted was told, and the five working days long gone: breached as of the import
    assert case.deadlines["notify_ofsted"].status == DeadlineStatus.OVERDUE
    assert case.deadlines["review_completion"].status == DeadlineStatus.OVERDUE  # six months from 2016-04-15
    assert case.initiated_on == date(2016, 4, 15)
    on_time = build(next(iter(parsed_rows(to_csv([{**cells, "chair_decision_on": "2016-03-20"}]))))).case
    assert on_time.deadlines["chair_decision"].status == DeadlineStatus.MET


@pytest.mark.parametrize("index", range(5))
def test_a_bad_row_names_its_column_and_what_is_wrong(index: int) -> None:
    row, column, words = bad_rows("NEL", TODAY)[index]
    parsed = parse_file("bad.csv", to_csv([row]), TODAY)
    errors = list(parsed.errors)
    for good in parsed.rows:
        with pytest.raises(RowRefused) as refused:
            build(good)
        errors.extend(refused.value.errors)
    assert [e.column for e in errors] == [column], errors
    assert words in errors[0].message
    assert errors[0].row == 2
    assert str(errors[0]).startswith(f"row 2, column {column}: ")


def test_a_file_that_is_not_csv_or_json_says_so() -> None:
    assert "not readable as JSON" in str(parse_file("x.json", b"{nope", TODAY).errors[0])
    assert "no rows" in str(parse_file("x.csv", b"board_case_id,board\n", TODAY).errors[0])
    twice = to_csv(review_rows("NEL", TODAY)[:1] * 2)
    assert "also row 2" in str(parse_file("x.csv", twice, TODAY).errors[0])
    unknown = parse_file("x.csv", b"board_case_id,board,colour\nA,NEL,red\n", TODAY)
    assert "colour" in {e.column for e in unknown.errors}


def test_headers_and_choices_read_as_people_write_them() -> None:
    content = (
        b"Board_Case_ID,Board,Stage,Aware_On,Notified_On,Outcome,Abuse_Or_Neglect,Screening_Recommendation\n"
        b"A-1,nel,Awaiting chair decision,2016-03-01,2016-03-02,Died,Known,initiate-scr\n"
    )
    (row,) = parsed_rows(content)
    assert (row.board, row.stage.value, row.screening_recommendation) == (
        "NEL",
        "awaiting_chair_decision",
        "initiate_scr",
    )
    assert (row.incident.outcome, row.incident.abuse_or_neglect) == ("died", "known")


def test_the_documented_json_schema_is_the_format_and_the_fixture_follows_it() -> None:
    documented = json.loads((Path(__file__).parents[2] / "docs" / "import-row.schema.json").read_text())
    assert documented == row_schema(), "regenerate docs/import-row.schema.json from domain/imports/schema.py"
    for row in review_rows("NEL", TODAY):
        jsonschema.validate(row, documented)


def test_the_documented_example_imports() -> None:
    text = (Path(__file__).parents[2] / "docs" / "imports.md").read_text()
    example = text.split("```csv\n", 1)[1].split("```", 1)[0]
    rows = parsed_rows(example.encode())
    assert [build(row).case.stage.value for row in rows] == ["in_review", "published"]


def test_free_text_is_held_to_the_decisions_rules() -> None:
    row = {**review_rows("NEL", TODAY)[20], "recorded_by": "Business\x07unit", "location": "x" * 201}
    errors = {e.column: e.message for e in parse_file("x.csv", to_csv([row]), TODAY).errors}
    assert "control characters" in errors["recorded_by"]
    assert "at most 200" in errors["location"]


def test_json_may_give_the_incident_facts_as_one_object_as_opening_a_case_does() -> None:
    row = review_rows("NEL", TODAY)[20]
    nested = {key: value for key, value in row.items() if key not in ("outcome", "abuse_or_neglect")}
    nested["incident"] = {"outcome": row["outcome"], "abuse_or_neglect": row["abuse_or_neglect"]}
    (flat,) = parsed_rows(to_json([row]), "x.json")
    (from_nested,) = parsed_rows(to_json([nested]), "x.json")
    assert from_nested == flat


def test_what_a_stage_implies_need_not_be_given() -> None:
    on_hold = next(row for row in review_rows("NEL", TODAY) if row["stage"] == "publication_on_hold")
    del on_hold["publication_decision"], on_hold["publication_decision_on"]
    (row,) = parsed_rows(to_csv([on_hold]))
    assert build(row).case.stage.value == "publication_on_hold"
    awaiting = next(row for row in review_rows("NEL", TODAY) if row["stage"] == "awaiting_chair_decision")
    del awaiting["screening_recommendation"]
    (row,) = parsed_rows(to_csv([awaiting]))
    assert build(row).case.screening is None


@pytest.mark.parametrize(
    ("stage", "kinds"),
    [
        ("closed_without_review", ["screening", "chair", "scrutiny_outcome"]),
        ("alternative_review", ["screening", "chair", "scrutiny_outcome"]),
        (
            "removed",
            [
                "screening",
                "chair",
                "reviewers",
                "final_report",
                "publication",
                "prepublication_copies",
                "published",
                "removal",
            ],
        ),
    ],
)
def test_each_past_decision_is_on_the_timeline_once_at_its_real_date(stage: str, kinds: list[str]) -> None:
    cells = next(row for row in review_rows("NEL", TODAY) if row["stage"] == stage)
    (row,) = parsed_rows(to_csv([cells]))
    decisions = [o for o in build(row).outcomes if o.kind == "decision"]
    assert [o.details["decision_kind"] for o in decisions] == kinds
    for outcome in decisions:
        assert outcome.at is not None
        assert london_date(outcome.at).isoformat() == outcome.details["imported"]["decided_on"]
        assert outcome.details["imported"]["row"] == 2


def test_a_reference_given_twice_is_an_error() -> None:
    rows = review_rows("NEL", TODAY)[:2]
    rows = [row | {"reference": "NEL-2016-0007"} for row in rows]
    errors = parse_file("x.csv", to_csv(rows), TODAY).errors
    assert [(e.row, e.column) for e in errors] == [(3, "reference")]
    assert "also row 2's" in errors[0].message


def test_a_row_may_leave_out_its_board_when_the_importer_has_one() -> None:
    row = {k: v for k, v in review_rows("NEL", TODAY)[0].items() if k != "board"}
    assert [e.column for e in parse_file("x.csv", to_csv([row]), TODAY).errors] == ["board"]
    (parsed,) = parse_file("x.csv", to_csv([row]), TODAY, default_board="NEL").rows
    assert parsed.board == "NEL"
