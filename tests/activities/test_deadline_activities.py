"""Deadlines resolved to UK instants (activities/deadline_activities.py), with the real bank-holiday calendar.

Expected instants are written out by hand in UTC: British Summer Time ran 27 Mar - 30 Oct 2016 and
26 Mar - 29 Oct 2017, so the end of a day in London is 23:00 UTC in summer and 00:00 UTC (next day) in
winter, and 09:00 London is 08:00 UTC in summer and 09:00 UTC in winter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.testing import ActivityEnvironment

from activities.bank_holidays import build_calendar
from activities.deadline_activities import DeadlineActivities, schedule_deadlines
from domain.case_messages import ComputeDeadlinesInput, ScheduledDeadline

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def scheduled(**events: date) -> dict[str, ScheduledDeadline]:
    data = ComputeDeadlinesInput(rule_pack="SCR 2015", rule_pack_version="1", events=events)
    return {deadline.key: deadline for deadline in schedule_deadlines(data)}


def only(key: str, **events: date) -> ScheduledDeadline:
    deadlines = scheduled(**events)
    # Awareness also starts the LSCB's own deadline beside Ofsted's (001 §1).
    assert list(deadlines) == [key, "notify_lscb"] if key == "notify_ofsted" else [key]
    return deadlines[key]


def test_worked_example_aware_24_march_2016_notify_ofsted_by_4_april() -> None:
    # Good Friday 25 Mar and Easter Monday 28 Mar 2016 are not working days.
    deadline = only("notify_ofsted", aware_on=date(2016, 3, 24))

    assert deadline.due == date(2016, 4, 4)
    assert deadline.due_at == utc(2016, 4, 4, 23)  # midnight BST
    assert deadline.reminders_at == [utc(2016, 3, 31, 8), utc(2016, 4, 1, 8)]  # 09:00 BST
    assert deadline.title == "Notify Ofsted and the LSCB of the incident"
    assert deadline.rule == "5 working days after the local authority became aware of the incident"
    assert deadline.source == "NEL SCR procedure (001) §1"
    assert deadline.who_acts == "local_authority"
    assert deadline.escalate_to == ["business_manager", "independent_chair"]


@pytest.mark.parametrize(
    ("key", "events", "due", "due_at", "reminders_at"),
    [
        pytest.param(
            "chair_decision",
            {"notified_on": date(2016, 6, 15)},
            date(2016, 7, 15),
            utc(2016, 7, 15, 23),
            [utc(2016, 7, 8, 8), utc(2016, 7, 14, 8)],
            id="july-bst",
        ),
        pytest.param(
            "notify_ofsted",
            {"aware_on": date(2016, 12, 22)},
            date(2017, 1, 3),
            utc(2017, 1, 4, 0),
            # 26, 27 Dec 2016 and 2 Jan 2017 are bank holidays.
            [utc(2016, 12, 29, 9), utc(2016, 12, 30, 9)],
            id="january-gmt",
        ),
        pytest.param(
            "chair_decision",
            {"notified_on": date(2016, 2, 26)},
            date(2016, 3, 26),
            # The clocks go forward at 01:00 GMT on 27 Mar 2016: midnight that night is still GMT.
            utc(2016, 3, 27, 0),
            [utc(2016, 3, 18, 9), utc(2016, 3, 24, 9)],
            id="night-before-clocks-go-forward",
        ),
        pytest.param(
            "chair_decision",
            {"notified_on": date(2016, 9, 29)},
            date(2016, 10, 29),
            # The clocks go back at 02:00 BST on 30 Oct 2016: midnight that night is still BST.
            utc(2016, 10, 29, 23),
            [utc(2016, 10, 24, 8), utc(2016, 10, 28, 8)],
            id="night-before-clocks-go-back",
        ),
        pytest.param(
            "chair_decision",
            {"notified_on": date(2016, 10, 1)},
            date(2016, 11, 1),
            utc(2016, 11, 2, 0),
            [utc(2016, 10, 25, 8), utc(2016, 10, 31, 9)],  # one reminder in BST, the next in GMT
            id="reminders-either-side-of-clocks-going-back",
        ),
        pytest.param(
            "prepublication_notice",
            {"publication_on": date(2017, 5, 3)},
            date(2017, 4, 21),
            utc(2017, 4, 21, 23),
            # Good Friday 14 Apr and Easter Monday 17 Apr 2017 are skipped.
            [utc(2017, 4, 12, 8), utc(2017, 4, 19, 8), utc(2017, 4, 20, 8)],
            id="before-rule-over-easter",
        ),
        pytest.param(
            "prepublication_notice",
            {"publication_on": date(2017, 1, 5)},
            date(2016, 12, 22),
            utc(2016, 12, 23, 0),
            [utc(2016, 12, 15, 9), utc(2016, 12, 20, 9), utc(2016, 12, 21, 9)],
            id="before-rule-reaching-into-the-previous-year",
        ),
        pytest.param(
            "website_minimum",
            {"published_on": date(2016, 12, 30)},
            date(2017, 12, 30),
            utc(2017, 12, 30, 0),  # an earliest date: reached as the anniversary begins
            [utc(2017, 12, 21, 9)],
            id="twelve-months-from-late-december",
        ),
    ],
)
def test_due_instants_and_reminders_in_uk_time(
    key: str, events: dict[str, date], due: date, due_at: datetime, reminders_at: list[datetime]
) -> None:
    deadline = only(key, **events)

    assert deadline.due == due
    assert deadline.due_at == due_at
    assert deadline.reminders_at == reminders_at


def test_one_deadline_per_event_given_in_pack_order() -> None:
    deadlines = scheduled(aware_on=date(2016, 3, 24), notified_on=date(2016, 3, 29), initiated_on=date(2016, 4, 20))

    assert list(deadlines) == ["notify_ofsted", "chair_decision", "review_completion", "notify_lscb"]
    assert deadlines["chair_decision"].due == date(2016, 4, 29)
    assert deadlines["review_completion"].due == date(2016, 10, 20)
    assert scheduled() == {}


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=date(2016, 1, 1), max_value=date(2030, 12, 31)),
    event=st.sampled_from(["aware_on", "notified_on", "initiated_on", "publication_on", "published_on"]),
)
def test_reminders_go_out_at_nine_on_working_days_before_the_due_date(start: date, event: str) -> None:
    deadline = next(iter(scheduled(**{event: start}).values()))
    calendar = build_calendar(2015, 2033)

    london_due = deadline.due_at.astimezone(LONDON)
    assert deadline.due_at.utcoffset() == timedelta(0)
    # A deadline passes at the end of its day; the earliest removal date is reached at its start.
    day = deadline.due if deadline.key == "website_minimum" else deadline.due + timedelta(days=1)
    assert (london_due.date(), london_due.time()) == (day, time(0))
    assert deadline.reminders_at == sorted(set(deadline.reminders_at))
    assert deadline.reminders_at, "every SCR 2015 rule sends at least one reminder"
    for reminder in deadline.reminders_at:
        assert reminder.utcoffset() == timedelta(0)
        local = reminder.astimezone(LONDON)
        assert local.time() == time(9, 0)
        assert local.date() < deadline.due
        assert calendar.is_working_day(local.date())


async def test_the_activity_returns_the_schedule() -> None:
    data = ComputeDeadlinesInput(rule_pack="SCR 2015", rule_pack_version="1", events={"aware_on": date(2016, 3, 24)})

    result = await ActivityEnvironment().run(DeadlineActivities().compute_case_deadlines, data)

    assert [(d.key, d.due, d.due_at) for d in result] == [
        ("notify_ofsted", date(2016, 4, 4), utc(2016, 4, 4, 23)),
        ("notify_lscb", date(2016, 4, 4), utc(2016, 4, 4, 23)),
    ]


@pytest.mark.parametrize(("name", "version"), [("SCR 2099", "1"), ("SCR 2015", "2"), ("scr 2015", "1")])
async def test_an_unknown_rule_pack_is_a_clear_error(name: str, version: str) -> None:
    data = ComputeDeadlinesInput(rule_pack=name, rule_pack_version=version, events={"aware_on": date(2016, 3, 24)})

    with pytest.raises(KeyError) as raised:
        await DeadlineActivities().compute_case_deadlines(data)

    message = str(raised.value)
    assert f"unknown rule pack {name!r} version {version!r}" in message
    assert "known packs: 'SCR 2015' version '1'" in message


def test_an_unknown_event_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'became_aware' is not a valid CaseEvent"):
        scheduled(became_aware=date(2016, 3, 24))


async def test_closure_days_move_reminders_of_their_own_board_never_a_statutory_due_date() -> None:
    # Aware Thu 24 Mar 2016: due Mon 4 Apr, reminders on Thu 31 Mar and Fri 1 Apr. NEL closes on Fri 1 Apr:
    # the local authority's deadline stays 4 Apr (scr-process.md: weekends and bank holidays only), while NEL's
    # internal reminders fall on the days its office is open (Wed 30 and Thu 31 Mar). KEN is not closed.
    activities = DeadlineActivities({"NEL": [date(2016, 4, 1)], "KEN": []})

    def request(board: str) -> ComputeDeadlinesInput:
        return ComputeDeadlinesInput(
            rule_pack="SCR 2015", rule_pack_version="1", events={"aware_on": date(2016, 3, 24)}, board=board
        )

    nel_deadlines = await ActivityEnvironment().run(activities.compute_case_deadlines, request("NEL"))
    ken_deadlines = await ActivityEnvironment().run(activities.compute_case_deadlines, request("KEN"))
    nel = next(d for d in nel_deadlines if d.key == "notify_ofsted")
    ken = next(d for d in ken_deadlines if d.key == "notify_ofsted")

    assert nel.due == ken.due == date(2016, 4, 4)
    assert nel.due_at == ken.due_at == utc(2016, 4, 4, 23)
    assert nel.reminders_at == [utc(2016, 3, 30, 8), utc(2016, 3, 31, 8)]
    assert ken.reminders_at == [utc(2016, 3, 31, 8), utc(2016, 4, 1, 8)]


def test_the_twelve_months_on_the_website_are_reached_at_the_start_of_the_anniversary() -> None:
    # Published Wed 4 May 2016: the review may come down from 4 May 2017 itself (000 'Period of Publication').
    deadline = only("website_minimum", published_on=date(2016, 5, 4))

    assert deadline.due == date(2017, 5, 4)
    assert deadline.due_at == utc(2017, 5, 3, 23)  # midnight BST at the start of 4 May
