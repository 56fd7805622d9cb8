"""Resolves a case's statutory deadlines to dates and instants.

This runs as an activity because the bank-holiday calendar comes from the ``holidays`` library, which
cannot run in the workflow sandbox and whose data changes between versions: recording the result in the
workflow history keeps replay independent of the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date

from temporalio import activity

from activities.bank_holidays import build_calendar
from domain import local_practice
from domain.activity_contracts import COMPUTE_CASE_DEADLINES
from domain.case_contract import board_of_workflow
from domain.case_messages import ComputeDeadlinesInput, ScheduledDeadline
from domain.local_practice import LocalIntervals
from domain.rule_pack import CaseEvent, cite_for_board, compute_deadlines, get_rule_pack
from domain.uk_time import end_of_day, start_of_day, start_of_working_day

# Years either side of the case's dates that the calendar must know: a 12-month rule from a
# late-December date, or a "before" rule from early January, reaches into the neighbouring year.
_YEARS_BEFORE = 1
_YEARS_AFTER = 2


def schedule_deadlines(
    data: ComputeDeadlinesInput,
    closures: Iterable[date] = (),
    procedure: str | None = None,
    intervals: LocalIntervals | None = None,
) -> list[ScheduledDeadline]:
    """The pack's deadlines for the given events, then the ad-hoc ones (staff-set due dates, reminders on
    working days), then the local-practice ones at the board's intervals. ``closures`` are the board's extra
    non-working days: they move reminders and local practice, never a statutory due date (scr-process.md,
    "Deadlines"). ``procedure`` is the board's own procedure, cited instead of the seed board's (``None``: the
    seed board's case, cited as the pack says)."""
    pack = get_rule_pack(data.rule_pack, data.rule_pack_version)
    events = {CaseEvent(name): day for name, day in data.events.items()}
    years = (
        [day.year for day in events.values()]
        + [item.due.year for item in data.adhoc]
        + [day.year for day in data.local.values()]
    )
    if not years:
        return []
    calendar = build_calendar(min(years) - _YEARS_BEFORE, max(years) + _YEARS_AFTER)
    office = replace(calendar, closures=frozenset(closures))
    scheduled = [
        _scheduled(
            key=deadline.key,
            title=deadline.title,
            due=deadline.due,
            reminders=deadline.reminders,
            rule=deadline.rule,
            source=cite_for_board(deadline.source, procedure),
            who_acts=deadline.who_acts,
            escalate_to=deadline.escalate_to,
            reached_at_start_of_day=deadline.reached_at_start_of_day,
        )
        for deadline in compute_deadlines(pack, calendar, events, office)
    ]
    for item in data.adhoc:
        reminders = sorted({office.subtract_working_days(item.due, n) for n in item.reminder_working_days_before})
        scheduled.append(
            _scheduled(
                key=item.key,
                title=item.title,
                due=item.due,
                reminders=reminders,
                rule=item.rule,
                source=cite_for_board(item.source, procedure),
                who_acts=item.who_acts,
                escalate_to=item.escalate_to,
            )
        )
    for key, start in data.local.items():
        if key != local_practice.PUBLICATION_DECISION:
            raise ValueError(f"unknown local-practice deadline {key!r}")
        days = (intervals or LocalIntervals()).publication_decision_days(data.board)
        scheduled.append(
            _scheduled(
                key=key,
                title=local_practice.PUBLICATION_DECISION_TITLE,
                due=office.add_working_days(start, 2 * days),
                reminders=[office.add_working_days(start, days)],
                rule=local_practice.publication_decision_rule(days),
                source=local_practice.PUBLICATION_DECISION_SOURCE,
                who_acts=local_practice.PUBLICATION_DECISION_WHO,
                escalate_to=local_practice.PUBLICATION_DECISION_ESCALATE,
            )
        )
    return scheduled


def _scheduled(
    *,
    key: str,
    title: str,
    due: date,
    reminders: Iterable[date],
    rule: str,
    source: str,
    who_acts: str,
    escalate_to: Iterable[str],
    reached_at_start_of_day: bool = False,
) -> ScheduledDeadline:
    return ScheduledDeadline(
        key=key,
        title=title,
        due=due,
        due_at=start_of_day(due) if reached_at_start_of_day else end_of_day(due),
        reminders_at=[start_of_working_day(day) for day in reminders],
        rule=rule,
        source=source,
        who_acts=who_acts,
        escalate_to=list(escalate_to),
    )


class DeadlineActivities:
    """``closures``: each board's closure days (a board not listed has none); ``procedure_of``: a board's own
    procedure, to cite (``None``: cite the seed board's); ``intervals``: the boards' local-practice intervals."""

    def __init__(
        self,
        closures: Mapping[str, Iterable[date]] | None = None,
        procedure_of: Callable[[str], str | None] = lambda _board: None,
        intervals: LocalIntervals | None = None,
    ) -> None:
        self._closures = {board: frozenset(days) for board, days in (closures or {}).items()}
        self._procedure_of = procedure_of
        self._intervals = intervals or LocalIntervals()

    @activity.defn(name=COMPUTE_CASE_DEADLINES.name)
    async def compute_case_deadlines(self, data: ComputeDeadlinesInput) -> list[ScheduledDeadline]:
        # Cases opened before the input named the board: it is the start of the reference in the workflow id.
        board = data.board
        if board is None and activity.in_activity():
            board = board_of_workflow(activity.info().workflow_id or "")
        procedure = self._procedure_of(board) if board is not None else None
        closures = self._closures.get(board or "", frozenset())
        return schedule_deadlines(data.model_copy(update={"board": board}), closures, procedure, self._intervals)
