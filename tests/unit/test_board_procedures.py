"""Which procedure a board's deadlines cite (issue 19, point 8): the seed board (NEL) its documents section by
section, any other board its own procedure, configured or by default."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from pydantic import ValidationError
from temporalio.testing import ActivityEnvironment

from activities.deadline_activities import DeadlineActivities
from domain.case_contract import board_of_workflow, case_workflow_id
from domain.case_messages import AdhocDeadline, ComputeDeadlinesInput
from domain.rule_pack import SCR_2015, cite_for_board
from store.settings import Settings


def test_the_seed_board_cites_the_rule_pack_as_written() -> None:
    source = SCR_2015.rule("notify_ofsted").source_text()
    assert cite_for_board(source, None) == source == "NEL SCR procedure (001) §1"


def test_another_board_cites_its_own_procedure_in_place_of_neles_documents_and_keeps_national_sources() -> None:
    kent = "Kent SCR procedure"
    assert cite_for_board("NEL SCR procedure (001) §1", kent) == kent
    assert cite_for_board("NEL SCR procedure (001) §11; Kent briefing (004)", kent) == f"{kent}; Kent briefing (004)"
    both = "NEL SCR report & publishing policy (000) 'Preparing to Publish SCRs'; NEL SCR procedure (001) §11"
    assert cite_for_board(both, kent) == kent
    for rule in SCR_2015.rules:
        assert "NEL" not in cite_for_board(rule.source_text(), kent), rule.key


def test_settings_give_each_board_its_procedure() -> None:
    settings = Settings(boards="NEL,KEN,SEL", board_procedures="ken = Kent  Safeguarding SCR procedure ;")
    assert settings.procedure_of("KEN") == "Kent Safeguarding SCR procedure"
    assert settings.procedure_of("SEL") == "SEL SCR procedure"
    assert settings.procedure_of("NEL") is None
    assert Settings(board_procedures="NEL=North East Lincolnshire SCR procedure").procedure_of("NEL") == (
        "North East Lincolnshire SCR procedure"
    )


@pytest.mark.parametrize("value", ["KEN", "KEN=", "=Kent", "K3N=Kent"])
def test_a_malformed_procedure_setting_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="is not BOARD=title"):
        Settings(board_procedures=value)


def test_the_board_comes_from_a_case_workflow_id() -> None:
    assert board_of_workflow(case_workflow_id("KEN-2026-0001")) == "KEN"
    assert board_of_workflow("scr-case-KEN-2026-0001-ab12cd") == "KEN"
    assert board_of_workflow("scr-learning-summary-KEN-2026") is None


@pytest.mark.parametrize(
    ("workflow_id", "sources"),
    [
        # notify_ofsted and notify_lscb (both from awareness), then the information request.
        ("scr-case-KEN-2026-0001", ["Kent SCR procedure"] * 3),
        ("scr-case-SEL-2026-0001", ["SEL SCR procedure"] * 3),
        (
            "scr-case-NEL-2026-0001",
            ["NEL SCR procedure (001) §1", "NEL SCR procedure (001) §1", "NEL SCR procedure (001) §8"],
        ),
    ],
)
async def test_the_deadline_activity_cites_its_cases_board(workflow_id: str, sources: list[str]) -> None:
    settings = Settings(boards="NEL,KEN,SEL", board_procedures="KEN=Kent SCR procedure")
    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(environment.info, workflow_id=workflow_id)
    adhoc = AdhocDeadline(
        key="information_request:IR1",
        title="Information from Police (IR1)",
        due=date(2026, 6, 1),
        reminder_working_days_before=[1],
        rule="due date set in the information request",
        source="NEL SCR procedure (001) §8",
        who_acts="business_manager",
        escalate_to=[],
    )
    data = ComputeDeadlinesInput(
        rule_pack="SCR 2015", rule_pack_version="1", events={"aware_on": date(2026, 3, 2)}, adhoc=[adhoc]
    )

    result = await environment.run(DeadlineActivities({}, settings.procedure_of).compute_case_deadlines, data)

    assert [d.source for d in result] == sources  # the rule pack's deadline, then the ad-hoc one
