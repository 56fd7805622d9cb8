"""The learning summary's figures from small hand-made registers: every expected number is worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.anonymisation import CaseIdentifiers, IdentifierScanner
from domain.learning_summary import (
    UNCHECKED,
    WITHHELD,
    LearningSummaryFigures,
    RegisterCase,
    RegisterDeadline,
    RegisterDecision,
    compile_figures,
    key_figures,
    screen_text,
    summary_as_at,
    summary_year,
)
from domain.uk_time import LONDON

YEAR = 2025
YEAR_END = date(2025, 12, 31)
FAMILY = CaseIdentifiers(names=["Jayden Lee Smith"], postcodes=["DN31 1HU"])


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON).astimezone(UTC)


def decision(day: date, kind: str, rationale: str | None = None, **details: Any) -> RegisterDecision:
    return RegisterDecision(at=at(day), kind=kind, rationale=rationale, details={"decision_kind": kind, **details})


def deadline(key: str, due: date, status: str, met_on: date | None = None, hour: int = 10) -> RegisterDeadline:
    return RegisterDeadline(key=key, title=key, due=due, status=status, met_at=at(met_on, hour) if met_on else None)


def case(
    reference: str, aware_on: date, *decisions: RegisterDecision, deadlines: list[RegisterDeadline] | None = None
) -> RegisterCase:
    return RegisterCase(
        reference=reference,
        aware_on=aware_on,
        notified_on=aware_on,
        decisions=list(decisions),
        deadlines=deadlines or [],
    )


def figures(
    *cases: RegisterCase, identifiers: dict[str, CaseIdentifiers] | None = None, as_at: date = YEAR_END
) -> LearningSummaryFigures:
    known = identifiers if identifiers is not None else {c.reference: FAMILY for c in cases}
    return compile_figures(board="NEL", year=YEAR, as_at=as_at, cases=cases, identifiers=known)


def checks(*, plain_english: bool) -> dict[str, Any]:
    """What a quality assurance decision records: each rule passed or failed, with a comment."""
    return {
        "sound_analysis": {"passed": True, "comment": "ok"},
        "plain_english": {"passed": plain_english, "comment": "-"},
    }


def plan(day: date, *actions: tuple[str, date]) -> RegisterDecision:
    return decision(
        day,
        "action_plan",
        actions=[
            {
                "action_id": action_id,
                "description": "Share information",
                "owner_agency": "Health",
                "due_on": due.isoformat(),
                "success_criteria": "Audited",
            }
            for action_id, due in actions
        ],
    )


def done(day: date, action_id: str) -> RegisterDecision:
    return decision(day, "action_progress", "Done", action_id=action_id, complete=True, impact=None)


# -- the year and the period ----------------------------------------------------------------------------------


def test_a_run_without_a_year_reports_on_the_year_before_in_uk_time() -> None:
    assert summary_year(datetime(2026, 1, 15, 7, tzinfo=UTC)) == 2025
    # 23:30 UTC on 31 December is still 31 December in London (GMT): the year before that.
    assert summary_year(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == 2024
    # 23:30 UTC on 31 May 2026 is 1 June in London (BST): nothing changes mid-year.
    assert summary_year(datetime(2026, 5, 31, 23, 30, tzinfo=UTC)) == 2025


def test_a_finished_year_is_read_to_31_december_and_a_running_one_to_yesterday() -> None:
    assert summary_as_at(2025, datetime(2026, 1, 15, 7, tzinfo=UTC)) == date(2025, 12, 31)
    assert summary_as_at(2026, datetime(2026, 11, 22, 13, tzinfo=UTC)) == date(2026, 11, 21)
    assert summary_as_at(2026, datetime(2026, 1, 1, 9, tzinfo=UTC)) == date(2025, 12, 31)  # not begun


# -- time to decision and to publication ------------------------------------------------------------------------


def test_time_to_decision_runs_from_awareness_to_the_first_chair_decision_of_the_year() -> None:
    on_time = case(
        "NEL-2025-0001",
        date(2025, 1, 6),
        decision(date(2025, 1, 20), "chair", "r", decision="initiate_scr"),
        deadlines=[deadline("chair_decision", date(2025, 2, 8), "met", date(2025, 1, 20))],
    )
    late = case(
        "NEL-2025-0002",
        date(2025, 3, 3),
        decision(date(2025, 4, 22), "chair", "r", decision="do_not_initiate"),
        decision(date(2025, 6, 2), "chair", "r", decision="initiate_scr"),  # revised after scrutiny: not counted
        deadlines=[deadline("chair_decision", date(2025, 4, 5), "met_late", date(2025, 4, 22))],
    )
    last_year = case(
        "NEL-2024-0009", date(2024, 12, 1), decision(date(2024, 12, 20), "chair", "r", decision="initiate_scr")
    )
    result = figures(on_time, late, last_year)
    assert [(d.reference, d.days, d.on_time, d.decision) for d in result.decisions] == [
        ("NEL-2025-0001", 14, True, "initiate_scr"),  # 6 Jan -> 20 Jan
        ("NEL-2025-0002", 50, False, "do_not_initiate"),  # 3 Mar -> 22 Apr: 28 + 22
    ]
    key = key_figures(result)
    assert (key.decisions, key.decisions_on_time, key.median_days_to_decision) == (2, 1, 32.0)


def test_time_to_publication_runs_from_awareness_and_from_initiation() -> None:
    published = case(
        "NEL-2025-0001",
        date(2025, 1, 6),
        decision(date(2025, 1, 20), "chair", "r", decision="initiate_scr"),
        decision(date(2025, 8, 15), "published", location="/public/reviews/NEL-2025-0001/"),
    )
    result = figures(published)
    [publication] = result.publications
    # 6 Jan -> 15 Aug: 25 + 28 + 31 + 30 + 31 + 30 + 31 + 15; 20 Jan -> 15 Aug: 14 days fewer.
    assert (publication.days, publication.days_from_initiation) == (221, 207)
    assert key_figures(result).median_days_to_publication == 221.0


def test_a_publication_after_the_period_is_not_counted() -> None:
    published = case("NEL-2025-0001", date(2025, 1, 6), decision(date(2026, 2, 1), "published"))
    assert figures(published).publications == []


# -- deadline compliance -----------------------------------------------------------------------------------------


def test_a_deadline_counts_as_met_only_by_the_end_of_its_due_day_in_uk_time() -> None:
    rows = [
        deadline("notify_ofsted", date(2025, 3, 10), "met", date(2025, 3, 10), hour=23),  # 23:00 on the day: met
        deadline("chair_decision", date(2025, 4, 5), "met_late", date(2025, 4, 22)),  # late: missed
        deadline("review_completion", date(2025, 10, 22), "overdue"),  # never met: missed
        deadline("action:A1", date(2025, 9, 30), "met", date(2025, 9, 15)),
        deadline("action:A2", date(2025, 11, 28), "pending"),  # due, its timer not yet run: still missed
        deadline("action:A3", date(2026, 3, 31), "pending"),  # due after the period: not counted
        deadline("prepublication_notice", date(2025, 8, 6), "not_applicable"),  # cancelled: not counted
        deadline("website_minimum", date(2025, 9, 1), "met", date(2025, 9, 2)),  # not an obligation
        deadline("retention_review:1", date(2025, 10, 1), "met", date(2025, 10, 2)),  # nor this
        deadline("notify_ofsted", date(2024, 12, 30), "overdue"),  # last year
    ]
    result = figures(case("NEL-2025-0001", date(2025, 3, 3), deadlines=rows))
    assert [(r.rule, r.due, r.met, r.missed) for r in result.compliance] == [
        ("notify_ofsted", 1, 1, 0),
        ("chair_decision", 1, 0, 1),
        ("review_completion", 1, 0, 1),
        ("action", 2, 1, 1),
    ]
    assert result.compliance[1].missed_references == ["NEL-2025-0001"]
    key = key_figures(result)
    assert (key.deadlines_due, key.deadlines_missed) == (5, 3)


# -- action plans --------------------------------------------------------------------------------------------------


def test_actions_are_done_open_or_overdue_at_the_end_of_the_period() -> None:
    earlier = case(
        "NEL-2024-0001",
        date(2024, 2, 5),
        plan(date(2024, 7, 22), ("D1", date(2024, 10, 31)), ("D2", date(2025, 3, 31)), ("D3", date(2025, 6, 30))),
        done(date(2024, 10, 1), "D1"),  # done before the year: not counted again
        done(date(2025, 2, 10), "D2"),
    )
    current = case(
        "NEL-2025-0001",
        date(2025, 1, 6),
        plan(date(2025, 6, 23), ("A1", date(2025, 9, 30)), ("A2", date(2025, 12, 31)), ("A3", date(2026, 3, 31))),
        done(date(2025, 9, 15), "A1"),
        done(date(2026, 1, 5), "A3"),  # after the period: still open on 31 December
    )
    result = figures(earlier, current)
    assert [(a.reference, a.done, a.open, a.overdue) for a in result.actions] == [
        ("NEL-2024-0001", 1, 0, 1),
        ("NEL-2025-0001", 1, 1, 1),  # A2 was due on the last day and not done by its end: overdue
    ]
    # Recommendations are the actions agreed in the year, with their state.
    assert [(r.action_id.text, r.state) for r in result.recommendations] == [
        ("A1", "done"),
        ("A2", "overdue"),
        ("A3", "open"),
    ]
    key = key_figures(result)
    assert (key.actions_done, key.actions_open, key.actions_overdue) == (2, 1, 2)


def test_while_the_year_runs_an_action_due_later_is_open() -> None:
    running = case("NEL-2025-0001", date(2025, 1, 6), plan(date(2025, 6, 23), ("A1", date(2025, 9, 30))))
    assert [r.state for r in figures(running, as_at=date(2025, 9, 29)).recommendations] == ["open"]
    assert [r.state for r in figures(running, as_at=date(2025, 9, 30)).recommendations] == ["overdue"]


# -- findings ---------------------------------------------------------------------------------------------------------


def test_findings_come_from_the_accepted_report_interim_learning_alternative_reviews_and_closure() -> None:
    reviewed = case(
        "NEL-2025-0001",
        date(2025, 1, 6),
        decision(date(2025, 5, 1), "final_report", "First draft", document="d", submission=1),
        decision(date(2025, 5, 8), "quality_assurance", checks=checks(plain_english=False)),
        decision(date(2025, 6, 2), "final_report", "Agencies did not share information.", document="d", submission=2),
        decision(date(2025, 6, 16), "quality_assurance", checks=checks(plain_english=True)),
        decision(date(2025, 3, 1), "review_delay", "Trial", interim_learning="Follow up referrals."),
        decision(date(2025, 11, 3), "close", "Learning embedded in training."),
    )
    alternative = case(
        "NEL-2025-0002", date(2025, 4, 1), decision(date(2025, 10, 1), "alternative_review_complete", "Good practice.")
    )
    result = figures(reviewed, alternative)
    assert [(f.reference, f.source, f.on, f.text.text) for f in result.findings] == [
        ("NEL-2025-0001", "final_report", date(2025, 6, 16), "Agencies did not share information."),
        ("NEL-2025-0001", "interim_learning", date(2025, 3, 1), "Follow up referrals."),
        ("NEL-2025-0001", "closure", date(2025, 11, 3), "Learning embedded in training."),
        ("NEL-2025-0002", "alternative_review", date(2025, 10, 1), "Good practice."),
    ]
    assert key_figures(result).reports_accepted == 1


def test_a_report_accepted_before_the_year_is_not_this_years_finding() -> None:
    reviewed = case(
        "NEL-2024-0001",
        date(2024, 1, 6),
        decision(date(2024, 6, 2), "final_report", "Old finding", document="d", submission=1),
        decision(date(2024, 6, 16), "quality_assurance", checks=checks(plain_english=True)),
    )
    assert figures(reviewed).findings == []


# -- the anonymisation screen -------------------------------------------------------------------------------------


def test_each_flagged_passage_is_withheld_and_the_rest_kept() -> None:
    screened = screen_text("Jayden Lee Smith moved to DN31 1HU; Smith's GP was not told.", IdentifierScanner(FAMILY))
    assert screened.text == f"{WITHHELD} moved to {WITHHELD}; {WITHHELD}'s GP was not told."
    assert (screened.withheld, screened.unchecked) == (3, False)


def test_text_is_kept_whole_when_nothing_is_flagged() -> None:
    assert screen_text("Agencies did not share information.", IdentifierScanner(FAMILY)).withheld == 0


def test_a_case_without_recorded_identifiers_has_its_text_withheld_whole() -> None:
    screened = screen_text("Agencies did not share information.", None)
    assert (screened.text, screened.unchecked) == (UNCHECKED, True)


def test_the_screen_reads_compatibility_forms_as_the_scanner_does() -> None:
    # A full-width name is the same name after NFKC normalisation: withheld, offsets still right.
    screened = screen_text("Seen: Ｊａｙｄｅｎ, then home.", IdentifierScanner(FAMILY))
    assert screened.text == f"Seen: {WITHHELD}, then home."


@pytest.mark.parametrize("recorded", [None, CaseIdentifiers()])
def test_compiling_screens_every_text_with_its_own_cases_identifiers(recorded: CaseIdentifiers | None) -> None:
    named = case(
        "NEL-2025-0001",
        date(2025, 1, 6),
        decision(date(2025, 6, 2), "final_report", "Jayden was seen.", document="d", submission=1),
        decision(date(2025, 6, 16), "quality_assurance", checks=checks(plain_english=True)),
        plan(date(2025, 6, 23), ("A1", date(2025, 9, 30))),
    )
    other = case("NEL-2025-0002", date(2025, 4, 1), decision(date(2025, 10, 1), "close", "Jayden was seen."))
    identifiers = {"NEL-2025-0001": FAMILY} | ({"NEL-2025-0002": recorded} if recorded is not None else {})
    result = figures(named, other, identifiers=identifiers)
    texts = {(f.reference, f.text.text) for f in result.findings}
    assert texts == {("NEL-2025-0001", f"{WITHHELD} was seen."), ("NEL-2025-0002", UNCHECKED)}
    assert "Jayden" not in result.model_dump_json()
    assert key_figures(result).passages_withheld == 2
