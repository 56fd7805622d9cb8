"""`scr deadlines` (workers/deadline_cli.py): the worked examples of scr-process.md, output shapes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.rule_pack import SCR_2015
from workers.cli import app

runner = CliRunner()


def _json(*args: str) -> dict[str, str]:
    result = runner.invoke(app, ["deadlines", *args, "--json"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


@pytest.mark.parametrize(
    ("args", "key", "due"),
    [
        (["--aware-on", "2016-03-24"], "notify_ofsted", "2016-04-04"),  # Good Friday and Easter Monday skipped
        (["--aware-on", "2016-12-22"], "notify_ofsted", "2017-01-03"),  # Christmas and New Year substitutes
        (["--publication-on", "2017-05-03"], "prepublication_notice", "2017-04-21"),  # May Day skipped
        (["--initiated-on", "2016-04-20"], "review_completion", "2016-10-20"),
        (["--published-on", "2016-05-04"], "website_minimum", "2017-05-04"),
        (["--notified-on", "2016-01-31"], "chair_decision", "2016-02-29"),  # clamped to the month's end
    ],
)
def test_worked_examples(args: list[str], key: str, due: str) -> None:
    # Awareness starts Ofsted's deadline and the LSCB's beside it (001 §1).
    extra = {"notify_lscb": due} if key == "notify_ofsted" else {}
    assert _json(*args) == {key: due, **extra}


def test_json_maps_every_determined_key_to_its_iso_date_and_prints_nothing_else() -> None:
    result = runner.invoke(
        app,
        [
            "deadlines",
            "--aware-on",
            "2016-03-24",
            "--notified-on",
            "2016-03-29",
            "--initiated-on",
            "2016-04-20",
            "--publication-on",
            "2017-05-03",
            "--published-on",
            "2016-05-04",
            "--json",
        ],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line: the object
    assert json.loads(result.stdout) == {
        "notify_ofsted": "2016-04-04",
        "chair_decision": "2016-04-29",
        "review_completion": "2016-10-20",
        "prepublication_notice": "2017-04-21",
        "website_minimum": "2017-05-04",
        "notify_lscb": "2016-04-04",
    }
    assert list(json.loads(result.stdout)) == [rule.key for rule in SCR_2015.rules]
    assert result.stderr == ""


def test_only_the_deadlines_the_dates_determine() -> None:
    assert set(_json("--aware-on", "2016-03-24", "--publication-on", "2017-05-03")) == {
        "notify_ofsted",
        "prepublication_notice",
        "notify_lscb",
    }


def test_table_shows_key_due_date_with_weekday_rule_and_source() -> None:
    result = runner.invoke(app, ["deadlines", "--aware-on", "2016-03-24", "--publication-on", "2017-05-03"])

    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["key", "due", "rule", "source"]
    assert len(rows) == 3
    notify, notice, lscb = rows
    assert lscb.startswith("notify_lscb")
    assert "Mon 2016-04-04" in lscb
    assert notify.startswith("notify_ofsted")
    assert "Mon 2016-04-04" in notify
    assert SCR_2015.rule("notify_ofsted").describe() in notify
    assert notify.endswith(SCR_2015.rule("notify_ofsted").source_text())
    assert "Fri 2017-04-21" in notice
    assert "7 working days before the planned publication date" in notice
    assert "(000)" in notice
    assert "(001) §11" in notice


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--aware-on", "2017-02-30"),
        ("--aware-on", "tomorrow"),
        ("--published-on", "24/03/2016"),
        ("--initiated-on", ""),
    ],
)
def test_an_invalid_date_is_a_one_line_error_and_status_2(option: str, value: str) -> None:
    result = runner.invoke(app, ["deadlines", option, value])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("scr deadlines: ")
    assert f"{option} {value!r} is not a date" in result.stderr
    assert "YYYY-MM-DD" in result.stderr


def test_an_invalid_date_fails_even_with_json() -> None:
    result = runner.invoke(app, ["deadlines", "--aware-on", "2016-03-24", "--publication-on", "2017-13-01", "--json"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--publication-on '2017-13-01' is not a date" in result.stderr


def test_no_dates_is_an_error_naming_the_options() -> None:
    result = runner.invoke(app, ["deadlines"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "give at least one date" in result.stderr
    for option in ("--aware-on", "--notified-on", "--initiated-on", "--publication-on", "--published-on"):
        assert option in result.stderr


def test_dates_the_calendar_cannot_reach_are_an_error_not_a_crash() -> None:
    result = runner.invoke(app, ["deadlines", "--published-on", "9999-06-01"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("scr deadlines: cannot compute deadlines from --published-on 9999-06-01")
    assert result.stderr.count("\n") == 1


def test_the_installed_console_script() -> None:
    scr = Path(sys.executable).with_name("scr")
    result = subprocess.run(
        [str(scr), "deadlines", "--aware-on", "2016-12-22", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["notify_ofsted"] == "2017-01-03"


def test_board_closure_days_never_move_a_statutory_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Aware Thu 24 Mar 2016 → Mon 4 Apr (Good Friday and Easter Monday skipped); the board being closed on
    # Tue 29 Mar does not give the local authority another day: only weekends and bank holidays count (001 §1).
    monkeypatch.setenv("SCR_CLOSURE_DAYS", "2016-03-29")
    result = runner.invoke(app, ["deadlines", "--aware-on", "2016-03-24", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notify_ofsted"] == "2016-04-04"


def test_a_bad_closure_day_setting_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCR_CLOSURE_DAYS", "2016-03-29,Easter")
    result = runner.invoke(app, ["deadlines", "--aware-on", "2016-03-24"])
    assert result.exit_code == 2
    assert "SCR_CLOSURE_DAYS" in result.stderr
    assert "'Easter' is not a date" in result.stderr
