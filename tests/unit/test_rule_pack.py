"""The "SCR 2015" rule pack and deadline computation (domain/rule_pack.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar
from domain.roles import Recipient, Role
from domain.rule_pack import (
    SCR_2015,
    CaseEvent,
    DeadlineRule,
    Direction,
    Period,
    PeriodUnit,
    RulePack,
    Source,
    compute_deadlines,
    get_rule_pack,
)

# Hand-written England & Wales bank holidays 2016-2017 (gov.uk), so this file does not need `holidays`.
BANK_HOLIDAYS = frozenset(
    date(y, m, d)
    for y, m, d in [
        (2016, 1, 1), (2016, 3, 25), (2016, 3, 28), (2016, 5, 2), (2016, 5, 30), (2016, 8, 29),
        (2016, 12, 26), (2016, 12, 27),
        (2017, 1, 2), (2017, 4, 14), (2017, 4, 17), (2017, 5, 1), (2017, 5, 29), (2017, 8, 28),
        (2017, 12, 25), (2017, 12, 26),
    ]
)  # fmt: skip
CAL = WorkingDayCalendar(BANK_HOLIDAYS, first_year=2016, last_year=2017)
SEEDS = Path("/work/shared/seeds")


def _due(key: str, event: CaseEvent, on: date) -> date:
    deadlines = [d for d in compute_deadlines(SCR_2015, CAL, {event: on}) if d.key == key]
    assert len(deadlines) == 1
    return deadlines[0].due


# --- worked examples (scr-process.md) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "event", "on", "due"),
    [
        ("notify_ofsted", CaseEvent.AWARE, date(2016, 3, 24), date(2016, 4, 4)),
        ("notify_ofsted", CaseEvent.AWARE, date(2016, 12, 22), date(2017, 1, 3)),
        ("prepublication_notice", CaseEvent.PUBLICATION_PLANNED, date(2017, 5, 3), date(2017, 4, 21)),
        ("review_completion", CaseEvent.INITIATED, date(2016, 4, 20), date(2016, 10, 20)),
        ("website_minimum", CaseEvent.PUBLISHED, date(2016, 5, 4), date(2017, 5, 4)),
        ("chair_decision", CaseEvent.NOTIFIED, date(2016, 1, 31), date(2016, 2, 29)),
        # More calendar-month edges: clamping without a leap day, and across a year end.
        ("chair_decision", CaseEvent.NOTIFIED, date(2017, 1, 31), date(2017, 2, 28)),
        ("chair_decision", CaseEvent.NOTIFIED, date(2016, 12, 31), date(2017, 1, 31)),
        ("review_completion", CaseEvent.INITIATED, date(2016, 8, 31), date(2017, 2, 28)),
        ("website_minimum", CaseEvent.PUBLISHED, date(2016, 2, 29), date(2017, 2, 28)),
    ],
)
def test_worked_examples(key: str, event: CaseEvent, on: date, due: date) -> None:
    assert _due(key, event, on) == due


def test_calendar_month_deadlines_are_not_moved_off_bank_holidays() -> None:
    # "Within one month" names a date; a bank holiday or weekend does not extend it.
    assert _due("chair_decision", CaseEvent.NOTIFIED, date(2016, 11, 27)) == date(2016, 12, 27)
    assert _due("chair_decision", CaseEvent.NOTIFIED, date(2016, 12, 24)) == date(2017, 1, 24)
    assert _due("review_completion", CaseEvent.INITIATED, date(2016, 6, 25)) == date(2016, 12, 25)


# --- the pack matches scr-process.md "Deadlines" --------------------------------------------------


@pytest.mark.parametrize(
    ("key", "runs_from", "period", "who_acts", "documents", "rule_text"),
    [
        (
            "notify_ofsted",
            CaseEvent.AWARE,
            Period(5, PeriodUnit.WORKING_DAYS, Direction.AFTER),
            Role.LOCAL_AUTHORITY,
            [("001", "§1")],
            "5 working days after the local authority became aware of the incident",
        ),
        (
            "chair_decision",
            CaseEvent.NOTIFIED,
            Period(1, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            Role.INDEPENDENT_CHAIR,
            [("001", "§4")],
            "1 calendar month after the LSCB was notified of the incident",
        ),
        (
            "review_completion",
            CaseEvent.INITIATED,
            Period(6, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            Role.LEAD_REVIEWER,
            [("001", "§8")],
            "6 calendar months after the SCR was initiated",
        ),
        (
            "prepublication_notice",
            CaseEvent.PUBLICATION_PLANNED,
            Period(7, PeriodUnit.WORKING_DAYS, Direction.BEFORE),
            Role.BUSINESS_MANAGER,
            [("000", "Preparing to Publish SCRs"), ("001", "§11")],
            "7 working days before the planned publication date",
        ),
        (
            "website_minimum",
            CaseEvent.PUBLISHED,
            Period(12, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER),
            Role.PUBLISHER,
            [("000", "Period of Publication"), ("001", "§11")],
            "12 calendar months after the report was published",
        ),
    ],
)
def test_scr_2015_rules(
    key: str,
    runs_from: CaseEvent,
    period: Period,
    who_acts: Role,
    documents: list[tuple[str, str]],
    rule_text: str,
) -> None:
    rule = SCR_2015.rule(key)
    assert rule.runs_from is runs_from
    assert rule.period == period
    assert rule.who_acts is who_acts
    assert [(s.document[:3], s.section) for s in rule.sources] == documents
    assert rule.describe() == rule_text
    assert rule.reminder_working_days_before, "every deadline gets at least one reminder"
    assert all(s.summary.endswith(".") and len(s.summary) > 40 for s in rule.sources)


def test_pack_identity_and_order() -> None:
    assert (SCR_2015.name, SCR_2015.version) == ("SCR 2015", "1")
    assert [r.key for r in SCR_2015.rules] == [
        "notify_ofsted",
        "chair_decision",
        "review_completion",
        "prepublication_notice",
        "website_minimum",
        "notify_lscb",
    ]


def test_who_is_told() -> None:
    assert SCR_2015.rule("notify_ofsted").who_is_told == (Recipient.OFSTED, Recipient.LSCB)
    assert set(SCR_2015.rule("prepublication_notice").who_is_told) == {
        Recipient.OFSTED,
        Recipient.DFE,
        Recipient.NATIONAL_PANEL,
    }
    assert set(SCR_2015.rule("chair_decision").who_is_told) == {Recipient.OFSTED, Recipient.NATIONAL_PANEL}


def test_escalation_never_goes_back_to_the_party_who_missed_it() -> None:
    for rule in SCR_2015.rules:
        assert rule.who_acts not in rule.escalate_to, rule.key
    # Passing the website minimum only permits removal, so it is not a breach.
    assert SCR_2015.rule("website_minimum").escalate_to == ()
    assert all(r.escalate_to for r in SCR_2015.rules if r.key != "website_minimum")


def test_source_text() -> None:
    assert SCR_2015.rule("notify_ofsted").source_text() == "NEL SCR procedure (001) §1"
    assert SCR_2015.rule("chair_decision").source_text() == "NEL SCR procedure (001) §4"
    assert SCR_2015.rule("prepublication_notice").source_text() == (
        "NEL SCR report & publishing policy (000) 'Preparing to Publish SCRs'; NEL SCR procedure (001) §11"
    )


def test_unknown_document_is_cited_by_file_name() -> None:
    assert Source("999_x.txt", "§2", "Something.").cite() == "999_x.txt (999) §2"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not available")
def test_every_source_section_exists_in_its_seed_document() -> None:
    for rule in SCR_2015.rules:
        for source in rule.sources:
            text = (SEEDS / source.document).read_text(encoding="utf-8")
            if source.section.startswith("§"):
                number = source.section.removeprefix("§")
                assert re.search(rf"^{number}\. [A-Z]", text, re.MULTILINE), (rule.key, source.section)
            else:
                assert source.section in text, (rule.key, source.section)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not available")
def test_seeds_state_the_periods_the_pack_uses() -> None:
    policy = (SEEDS / "000_c495c0e14edff0dd.txt").read_text(encoding="utf-8")
    procedure = (SEEDS / "001_67df1401d00550cb.txt").read_text(encoding="utf-8")
    assert "at least 7 working days before publication" in policy
    assert "at least one week before publication" in procedure
    assert "within five working days of becoming aware" in procedure
    assert "within one month of notification" in procedure
    assert "within six months of initiating" in procedure
    assert "minimum of 12 months" in policy


# --- computing deadlines --------------------------------------------------------------------------


def test_compute_deadlines_all_events_in_pack_order() -> None:
    events = {  # deliberately not in pack order
        CaseEvent.PUBLISHED: date(2016, 5, 4),
        CaseEvent.AWARE: date(2016, 3, 24),
        CaseEvent.PUBLICATION_PLANNED: date(2017, 5, 3),
        CaseEvent.NOTIFIED: date(2016, 1, 31),
        CaseEvent.INITIATED: date(2016, 4, 20),
    }
    deadlines = compute_deadlines(SCR_2015, CAL, events)
    assert [(d.key, d.due) for d in deadlines] == [
        ("notify_ofsted", date(2016, 4, 4)),
        ("chair_decision", date(2016, 2, 29)),
        ("review_completion", date(2016, 10, 20)),
        ("prepublication_notice", date(2017, 4, 21)),
        ("website_minimum", date(2017, 5, 4)),
        ("notify_lscb", date(2016, 4, 4)),
    ]


def test_compute_deadlines_skips_rules_whose_event_has_no_date() -> None:
    assert compute_deadlines(SCR_2015, CAL, {}) == []
    deadlines = compute_deadlines(
        SCR_2015, CAL, {CaseEvent.INITIATED: date(2016, 4, 20), CaseEvent.AWARE: date(2016, 3, 24)}
    )
    assert [d.key for d in deadlines] == ["notify_ofsted", "review_completion", "notify_lscb"]


def test_computed_deadline_fields() -> None:
    d, lscb = compute_deadlines(SCR_2015, CAL, {CaseEvent.AWARE: date(2016, 3, 24)})
    assert (lscb.key, lscb.due, lscb.source) == ("notify_lscb", date(2016, 4, 4), "NEL SCR procedure (001) §1")
    assert d.title == SCR_2015.rule("notify_ofsted").title
    assert d.rule == "5 working days after the local authority became aware of the incident"
    assert d.source == "NEL SCR procedure (001) §1"
    assert d.who_acts == "local_authority"
    assert d.escalate_to == ("business_manager", "independent_chair")
    assert all(type(x) is str for x in (d.who_acts, *d.escalate_to))  # plain strings, not enums
    # Reminders 2 and 1 working days before Mon 4 Apr 2016: Thu 31 Mar and Fri 1 Apr.
    assert d.reminders == (date(2016, 3, 31), date(2016, 4, 1))


def test_reminders_skip_bank_holidays_and_are_ascending() -> None:
    (d,) = compute_deadlines(SCR_2015, CAL, {CaseEvent.PUBLICATION_PLANNED: date(2017, 5, 3)})
    # Due Fri 21 Apr 2017; 5 working days back crosses Easter Monday and Good Friday.
    assert SCR_2015.rule("prepublication_notice").reminder_working_days_before == (5, 2, 1)
    assert d.reminders == (date(2017, 4, 12), date(2017, 4, 19), date(2017, 4, 20))


def test_reminders_for_a_deadline_on_a_bank_holiday_fall_on_working_days_before_it() -> None:
    (d,) = compute_deadlines(SCR_2015, CAL, {CaseEvent.NOTIFIED: date(2016, 11, 27)})
    assert d.due == date(2016, 12, 27)
    assert d.reminders == (date(2016, 12, 19), date(2016, 12, 23))


@settings(max_examples=100, deadline=None)
@given(
    events=st.dictionaries(
        st.sampled_from(list(CaseEvent)),
        st.dates(min_value=date(2016, 3, 1), max_value=date(2016, 12, 31)),
    )
)
def test_deadline_properties(events: dict[CaseEvent, date]) -> None:
    deadlines = compute_deadlines(SCR_2015, CAL, events)
    assert {d.key for d in deadlines} == {r.key for r in SCR_2015.rules if r.runs_from in events}
    for d in deadlines:
        rule = SCR_2015.rule(d.key)
        start = events[rule.runs_from]
        assert list(d.reminders) == sorted(set(d.reminders))
        assert len(d.reminders) == len(rule.reminder_working_days_before)
        assert all(CAL.is_working_day(r) and r < d.due for r in d.reminders)
        if rule.period.unit is PeriodUnit.WORKING_DAYS:
            assert CAL.is_working_day(d.due)
            signed = rule.period.amount if rule.period.direction is Direction.AFTER else -rule.period.amount
            assert CAL.working_days_between(start, d.due) == (
                signed if rule.period.direction is Direction.AFTER or CAL.is_working_day(start) else signed + 1
            )
        else:
            assert d.due.day <= start.day
            assert d.due > start


@settings(max_examples=150, deadline=None)
@given(publication=st.dates(min_value=date(2016, 2, 1), max_value=date(2017, 12, 31)))
def test_prepublication_notice_always_satisfies_the_one_week_rule_too(publication: date) -> None:
    # 000 says 7 working days, 001 says one week; the pack's date must satisfy both.
    notice = SCR_2015.rule("prepublication_notice").period.apply(CAL, publication)
    assert notice <= publication - timedelta(weeks=1)
    assert CAL.working_days_between(notice, publication) == (7 if CAL.is_working_day(publication) else 6)


# --- periods, rules, packs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period(5, PeriodUnit.WORKING_DAYS, Direction.AFTER), "5 working days after"),
        (Period(1, PeriodUnit.WORKING_DAYS, Direction.BEFORE), "1 working day before"),
        (Period(1, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER), "1 calendar month after"),
        (Period(7, PeriodUnit.WORKING_DAYS, Direction.BEFORE), "7 working days before"),
        (Period(12, PeriodUnit.CALENDAR_MONTHS, Direction.BEFORE), "12 calendar months before"),
    ],
)
def test_period_describe(period: Period, text: str) -> None:
    assert period.describe() == text


@pytest.mark.parametrize(
    ("period", "start", "expected"),
    [
        (Period(2, PeriodUnit.WORKING_DAYS, Direction.AFTER), date(2016, 3, 24), date(2016, 3, 30)),
        (Period(2, PeriodUnit.WORKING_DAYS, Direction.BEFORE), date(2016, 3, 30), date(2016, 3, 24)),
        (Period(1, PeriodUnit.CALENDAR_MONTHS, Direction.BEFORE), date(2016, 3, 31), date(2016, 2, 29)),
        (Period(1, PeriodUnit.CALENDAR_MONTHS, Direction.AFTER), date(2016, 3, 31), date(2016, 4, 30)),
    ],
)
def test_period_apply(period: Period, start: date, expected: date) -> None:
    assert period.apply(CAL, start) == expected


def test_period_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Period(0, PeriodUnit.WORKING_DAYS, Direction.AFTER)


def _rule(key: str, **overrides: object) -> DeadlineRule:
    fields: dict[str, object] = {
        "key": key,
        "title": "t",
        "runs_from": CaseEvent.AWARE,
        "event_description": "x",
        "period": Period(1, PeriodUnit.WORKING_DAYS, Direction.AFTER),
        "who_acts": Role.PUBLISHER,
        "who_is_told": (),
        "sources": (Source("001_67df1401d00550cb.txt", "§1", "s."),),
        "reminder_working_days_before": (1,),
        "escalate_to": (),
    }
    fields.update(overrides)
    return DeadlineRule(**fields)  # type: ignore[arg-type]


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="no source"):
        _rule("a", sources=())
    with pytest.raises(ValueError, match="at least 1 working day"):
        _rule("a", reminder_working_days_before=(0,))


def test_pack_rejects_duplicate_keys() -> None:
    with pytest.raises(ValueError, match=r"repeats rule keys: \['a'\]"):
        RulePack("P", "1", (_rule("a"), _rule("b"), _rule("a")))


def test_unknown_rule_key() -> None:
    with pytest.raises(KeyError, match=r"no rule 'nope'.*notify_ofsted, chair_decision"):
        SCR_2015.rule("nope")


def test_get_rule_pack() -> None:
    assert get_rule_pack("SCR 2015", "1") is SCR_2015
    with pytest.raises(KeyError, match=r"unknown rule pack 'SCR 2015' version '2'; known packs: 'SCR 2015'"):
        get_rule_pack("SCR 2015", "2")
    with pytest.raises(KeyError, match="known packs"):
        get_rule_pack("Working Together 2018", "1")


def test_case_event_values_are_case_field_names() -> None:
    assert {e.value for e in CaseEvent} == {
        "aware_on",
        "notified_on",
        "initiated_on",
        "publication_on",
        "published_on",
    }
