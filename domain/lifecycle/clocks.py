"""Every deadline of a case on one clock: starting, meeting and cancelling deadlines, and what happens when
the time of a reminder or a due date comes (a reminder, a breach and its escalation, or the 12 months on the
website reached)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.calendar import add_calendar_months
from domain.case_file import CaseFile, OnDue, TrackedDeadline
from domain.case_messages import DeadlineStatus, NoticeKind, ScheduledDeadline
from domain.lifecycle.outcome import NoticeRequest, Outcome
from domain.local_practice import local_source
from domain.roles import Role
from domain.stages import Stage
from domain.uk_time import london_date, start_of_working_day

RETENTION_REVIEW = "retention_review"


def add_deadline(case: CaseFile, schedule: ScheduledDeadline, now: datetime, on_due: OnDue = "breach") -> None:
    """Start a clock. Reminders already in the past are not sent late; a deadline already passed when the
    case learns of it (a case opened late) is recorded as breached without escalating an old failure."""
    case.deadlines[schedule.key] = TrackedDeadline(
        schedule=schedule,
        on_due=on_due,
        reminders_sent=sum(1 for at in schedule.reminders_at if at <= now),
        escalate=schedule.due_at > now,
    )


def replace_deadline(case: CaseFile, schedule: ScheduledDeadline, now: datetime) -> None:
    """A moved date moves its clock: the old timers are dropped, the new ones start."""
    add_deadline(case, schedule, now)


def meet(case: CaseFile, key: str, now: datetime) -> None:
    deadline = case.deadlines.get(key)
    if deadline is None or not deadline.is_open:
        return
    late = deadline.status == DeadlineStatus.OVERDUE or now > deadline.schedule.due_at
    deadline.status = DeadlineStatus.MET_LATE if late else DeadlineStatus.MET
    deadline.met_at = now


def cancel(case: CaseFile, key: str) -> None:
    deadline = case.deadlines.get(key)
    if deadline is not None and deadline.status == DeadlineStatus.PENDING:
        deadline.status = DeadlineStatus.NOT_APPLICABLE


def finish(case: CaseFile, stage: Stage) -> None:
    """Close the case at ``stage``: nothing still pending applies any more."""
    case.stage = stage
    for key, deadline in case.deadlines.items():
        if deadline.status == DeadlineStatus.PENDING:
            cancel(case, key)


@dataclass(frozen=True)
class ClockEvent:
    at: datetime
    key: str
    summary: str  # names the deadline and its date, for the Temporal UI's timer summary


def next_clock_event(case: CaseFile) -> ClockEvent | None:
    """The soonest reminder or due time among the case's pending deadlines."""
    events = []
    for key, deadline in case.deadlines.items():
        if deadline.status != DeadlineStatus.PENDING:
            continue
        schedule = deadline.schedule
        if deadline.reminders_sent < len(schedule.reminders_at):
            at = schedule.reminders_at[deadline.reminders_sent]
            events.append(ClockEvent(at, key, f"{schedule.title}: reminder, due {schedule.due.isoformat()}"))
        else:
            events.append(ClockEvent(schedule.due_at, key, f"{schedule.title} due {schedule.due.isoformat()}"))
    return min(events, key=lambda e: (e.at, e.key), default=None)


def fire_clock(case: CaseFile, key: str, now: datetime) -> Outcome | None:
    """What happens when the time of ``key``'s next event has come: a reminder, or the due time itself."""
    deadline = case.deadlines[key]
    schedule = deadline.schedule
    if deadline.status != DeadlineStatus.PENDING:
        return None
    facts = {"title": schedule.title, "due": schedule.due.isoformat(), "rule": schedule.rule, "source": schedule.source}
    if deadline.reminders_sent < len(schedule.reminders_at):
        if schedule.reminders_at[deadline.reminders_sent] > now:
            return None
        deadline.reminders_sent += 1
        occurrence = f"{key}:{schedule.due.isoformat()}:{deadline.reminders_sent}"
        notice = NoticeRequest(NoticeKind.DEADLINE_REMINDER, (schedule.who_acts,), occurrence, facts)
        return Outcome(
            "deadline_reminder",
            f"Reminder sent: {schedule.title} due {schedule.due}",
            details={"key": key},
            notices=[notice],
        )
    if schedule.due_at > now:
        return None
    if deadline.on_due == "retain":
        deadline.status = DeadlineStatus.MET
        deadline.met_at = now
        return _retain(case, now)
    if deadline.on_due == "review":
        deadline.status = DeadlineStatus.MET
        deadline.met_at = now
        open_actions = open_action_ids(case)
        notice = NoticeRequest(NoticeKind.REVIEW_REMINDER, (Role.SUB_GROUP.value,), key, {"open_actions": open_actions})
        outcome = Outcome(
            "retention_review", "Periodic review: the review stays up while actions are open", notices=[notice]
        )
        _schedule_retention_review(case, now)
        return outcome
    deadline.status = DeadlineStatus.OVERDUE
    deadline.breached_at = now
    notices = (
        [
            NoticeRequest(
                NoticeKind.DEADLINE_ESCALATION, tuple(schedule.escalate_to), f"{key}:{schedule.due.isoformat()}", facts
            )
        ]
        if deadline.escalate and schedule.escalate_to
        else []
    )
    return Outcome(
        "deadline_breached",
        f"Deadline missed: {schedule.title} was due {schedule.due.isoformat()}",
        details={"key": key},
        notices=notices,
    )


def open_action_ids(case: CaseFile) -> str:
    return ", ".join(a.action_id for a in case.open_actions())


def _retain(case: CaseFile, now: datetime) -> Outcome:
    if case.stage != Stage.PUBLISHED:
        return Outcome("stage_changed", "12 months on the website reached")
    case.stage = Stage.RETAINED
    _schedule_retention_review(case, now)
    open_actions = open_action_ids(case)
    summary = "12 months on the website reached: the review may now be removed"
    if open_actions:
        summary += f" once its actions are complete (open: {open_actions})"
    return Outcome("stage_changed", summary)


def _schedule_retention_review(case: CaseFile, now: datetime) -> None:
    """While a retained review's actions are open, the sub-group reviews it periodically: local practice, off
    unless the board sets an interval (cases opened before it was a setting keep their monthly review)."""
    months = case.local_practice.retention_review_months
    if case.stage != Stage.RETAINED or not case.open_actions() or months == 0:
        return
    case.retention_reviews += 1
    due = add_calendar_months(london_date(now), months)
    key = f"{RETENTION_REVIEW}:{case.retention_reviews}"
    every = "monthly" if months == 1 else f"every {months} months"
    schedule = ScheduledDeadline(
        key=key,
        title=f"Periodic review ({every}) of a retained review with open actions",
        due=due,
        due_at=start_of_working_day(due),
        reminders_at=[],
        rule=f"{every} while actions are open",
        source=local_source("SCR_RETENTION_REVIEW_MONTHS"),
        who_acts=Role.SUB_GROUP.value,
        escalate_to=[],
    )
    add_deadline(case, schedule, now, on_due="review")
