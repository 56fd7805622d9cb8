"""Steps the seeds do not require are a board's local practice: off unless set, cited as such, and a case keeps
what it opened with; cases opened before practice was a setting keep what they did (LEGACY)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain import lifecycle
from domain.case_file import Action, CaseFile
from domain.case_messages import Actor, DeadlineStatus, ScheduledDeadline
from domain.criteria import IncidentFacts, assess
from domain.decision_inputs import (
    DecidePublicationInput,
    RecordPrepublicationInput,
    RecordPublishedInput,
    RemoveFromWebsiteInput,
)
from domain.lifecycle import DecisionRefused
from domain.lifecycle.effects import ResolveDeadlines
from domain.local_practice import LEGACY, LocalPractice
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import end_of_day, start_of_day

NOW = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
CHAIR = Actor(user="c", role=Role.INDEPENDENT_CHAIR)
PUBLISHER = Actor(user="p", role=Role.PUBLISHER)
STEPS = ("professionals_informed", "family_supported", "media_strategy_ready")


def make_case(stage: Stage, practice: LocalPractice | None) -> CaseFile:
    facts = IncidentFacts.model_validate({"outcome": "died", "abuse_or_neglect": "known"})
    return CaseFile(
        reference="NEL-2026-0001",
        board="NEL",
        rule_pack="SCR 2015",
        rule_pack_version="1",
        aware_on=TODAY,
        notified_on=TODAY,
        incident=facts,
        assessment=assess(facts),
        stage=stage,
        practice=practice,
    )


def website_minimum(due: date) -> ScheduledDeadline:
    return ScheduledDeadline(
        key="website_minimum",
        title="Earliest date the published report may come off the website",
        due=due,
        due_at=start_of_day(due),
        reminders_at=[],
        rule="12 calendar months after the report was published",
        source="NEL SCR report & publishing policy (000) 'Period of Publication'",
        who_acts="publisher",
        escalate_to=[],
    )


def retained_with_open_action(practice: LocalPractice | None) -> CaseFile:
    case = make_case(Stage.PUBLISHED, practice)
    case.actions["A1"] = Action(
        action_id="A1", description="d", owner_agency="o", due_on=TODAY + timedelta(days=90), success_criteria="s"
    )
    lifecycle.add_deadline(case, website_minimum(TODAY), NOW - timedelta(days=1), on_due="retain")
    lifecycle.fire_clock(case, "website_minimum", NOW)
    assert case.stage == Stage.RETAINED
    return case


def test_a_new_case_has_no_periodic_retention_review_unless_the_board_sets_one() -> None:
    case = retained_with_open_action(LocalPractice())
    assert [key for key in case.deadlines if key.startswith("retention_review")] == []


def test_a_board_interval_schedules_the_review_cited_as_local_practice() -> None:
    case = retained_with_open_action(LocalPractice(retention_review_months=3))
    review = case.deadlines["retention_review:1"].schedule
    assert review.due == date(2026, 9, 10)
    assert review.source == "Local practice (setting SCR_RETENTION_REVIEW_MONTHS), not a statutory requirement"
    assert "NEL SCR procedure" not in review.source


def test_a_case_opened_before_practice_was_a_setting_keeps_its_monthly_review() -> None:
    case = retained_with_open_action(None)
    assert case.local_practice == LEGACY
    assert case.deadlines["retention_review:1"].schedule.due == date(2026, 7, 10)


def test_the_review_may_come_down_on_the_anniversary_itself_not_before() -> None:
    # Published 4 May 2016 → removable from 4 May 2017 (000 'Period of Publication': a minimum of 12 months).
    case = make_case(Stage.PUBLISHED, LocalPractice())
    lifecycle.add_deadline(case, website_minimum(date(2017, 5, 4)), NOW, on_due="retain")
    with pytest.raises(DecisionRefused, match="may come down from 2017-05-04"):
        lifecycle.check(case, PUBLISHER, RemoveFromWebsiteInput(reason="r"), date(2017, 5, 3))
    lifecycle.check(case, PUBLISHER, RemoveFromWebsiteInput(reason="r"), date(2017, 5, 4))


def test_without_the_chair_consent_practice_the_three_steps_are_enough_and_consent_is_refused() -> None:
    case = make_case(Stage.PRE_PUBLICATION, LocalPractice())
    case.publication.planned_on = TODAY
    assert {a.kind for a in lifecycle.awaiting(case)} == {"prepublication"}
    with pytest.raises(DecisionRefused, match="SCR_CHAIR_CONSENT_STEP"):
        lifecycle.check(case, CHAIR, RecordPrepublicationInput(item="chair_consent", note="n"), TODAY)
    for item in STEPS:
        case.publication.consent[item] = "done"
    assert [a.kind for a in lifecycle.awaiting(case)] == ["published"]
    lifecycle.check(case, PUBLISHER, RecordPublishedInput(), TODAY)


def test_with_the_practice_the_chair_consent_is_required_before_publishing() -> None:
    case = make_case(Stage.PRE_PUBLICATION, LocalPractice(chair_consent_step=True))
    case.publication.planned_on = TODAY
    for item in STEPS:
        case.publication.consent[item] = "done"
    with pytest.raises(DecisionRefused, match="chair_consent"):
        lifecycle.check(case, PUBLISHER, RecordPublishedInput(), TODAY)
    lifecycle.check(case, CHAIR, RecordPrepublicationInput(item="chair_consent", note="n"), TODAY)


@pytest.mark.parametrize(("days", "due"), [(1, date(2026, 9, 30)), (5, date(2026, 9, 26))])
def test_the_steps_deadline_is_the_boards_day_before_publication_and_says_so(days: int, due: date) -> None:
    case = make_case(Stage.PUBLICATION_DECISION, LocalPractice(publication_steps_days_before=days))
    decision = DecidePublicationInput(decision="publish", publication_on=date(2026, 10, 1), reasons="r")
    [resolve] = lifecycle.declared_effects(case, decision, TODAY)
    assert isinstance(resolve, ResolveDeadlines)
    [steps] = resolve.request.adhoc
    assert steps.due == due
    assert "chair" not in steps.title
    assert "Local practice (setting SCR_PUBLICATION_STEPS_DAYS_BEFORE)" in steps.source
    assert resolve.request.board == "NEL"


def test_the_pending_minimum_is_not_a_breach() -> None:
    case = make_case(Stage.PUBLISHED, LocalPractice())
    lifecycle.add_deadline(case, website_minimum(TODAY), NOW - timedelta(days=1), on_due="retain")
    assert lifecycle.next_clock_event(case) is not None
    assert case.deadlines["website_minimum"].schedule.due_at < end_of_day(TODAY)
    lifecycle.fire_clock(case, "website_minimum", NOW)
    assert case.deadlines["website_minimum"].status == DeadlineStatus.MET
