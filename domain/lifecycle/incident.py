"""The incident notice (001 §1): the local authority's duty to tell Ofsted and the relevant LSCB(s) within five
working days of becoming aware of a notifiable incident, which the system carries out on its behalf.

Each recipient has a deadline of its own, met by delivery to that recipient alone: ``notify_ofsted`` (met by
whichever reached Ofsted first, the system's notice or the local authority's own, which it records),
``notify_lscb`` (the board: met on ``notified_on``, when the case reached it; later than the five working days
is recorded as the LSCB told late) and ``notify_lscb:<CODE>`` per other relevant LSCB named on the case. The
National Panel is told of decisions, not incidents.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.case_file import CaseFile, TrackedDeadline
from domain.case_messages import DeadlineStatus, NoticeKind, OfstedNotifiedByLA, ScheduledDeadline
from domain.lifecycle.clocks import add_deadline, cancel, meet
from domain.lifecycle.outcome import NoticeRequest, Outcome
from domain.roles import Recipient
from domain.uk_time import end_of_day

OFSTED_DEADLINE = "notify_ofsted"
LSCB_DEADLINE = "notify_lscb"
INCIDENT_DEADLINES = (OFSTED_DEADLINE, LSCB_DEADLINE)


def other_lscb(code: str) -> str:
    """The recipient for another LSCB, by board code: ``lscb:KENT``."""
    return f"lscb:{code}"


def other_lscb_deadline(code: str) -> str:
    """That LSCB's own deadline: ``notify_lscb:KENT``."""
    return f"{LSCB_DEADLINE}:{code}"


def met_on(deadline: TrackedDeadline, day: date, now: datetime) -> None:
    """Met on ``day`` (by the end of it, never later than now): late only if ``day`` is after the due date."""
    deadline.met_at = min(end_of_day(day), now)
    if day <= deadline.schedule.due:
        deadline.status = DeadlineStatus.MET
        deadline.breached_at = None  # an earlier breach was the system not knowing, not the duty missed
    else:
        deadline.status = DeadlineStatus.MET_LATE
        deadline.breached_at = deadline.breached_at or deadline.schedule.due_at


def start_incident_deadlines(
    case: CaseFile, schedules: dict[str, ScheduledDeadline], now: datetime, lscb_told_on: date | None = None
) -> list[Outcome]:
    """Start the per-recipient deadlines of a notifiable case (or mark them not applicable), settle the board's own
    (told on ``lscb_told_on``, by default ``notified_on``) and the local authority's own notice to Ofsted if already
    recorded. Returns what to record."""
    told_on = lscb_told_on or case.notified_on
    for key in INCIDENT_DEADLINES:
        if key in schedules:
            add_deadline(case, schedules[key], now)
    if not case.assessment.notifiable:
        for key in INCIDENT_DEADLINES:
            cancel(case, key)
        return []
    outcomes: list[Outcome] = []
    lscb = schedules.get(LSCB_DEADLINE)
    if lscb is not None:
        for code in case.incident.other_lscbs:
            _add_other_lscb(case, lscb, code, now)
        board = case.deadlines[LSCB_DEADLINE]
        met_on(board, told_on, now)
        if board.status == DeadlineStatus.MET_LATE:
            outcomes.append(
                Outcome(
                    "deadline_breached",
                    f"The LSCB was told late: notified on {told_on.isoformat()}, after the 5 working days "
                    f"(due {board.schedule.due.isoformat()})",
                    details={"key": LSCB_DEADLINE, "notified_on": told_on.isoformat()},
                )
            )
        else:
            outcomes.append(Outcome("deadline_met", f"The LSCB was notified on {told_on.isoformat()}"))
    recorded = case.ofsted_notified_by_la
    if recorded is not None and OFSTED_DEADLINE in case.deadlines:
        met_on(case.deadlines[OFSTED_DEADLINE], recorded.notified_on, now)
        outcomes.append(
            Outcome(
                "deadline_met",
                f"Ofsted was notified by the local authority on {recorded.notified_on.isoformat()}; "
                "the system does not send Ofsted a second notice",
                details={"key": OFSTED_DEADLINE, "notified_by": recorded.notified_by},
            )
        )
    return outcomes


def name_other_lscbs(case: CaseFile, codes: list[str], now: datetime) -> tuple[str, ...]:
    """LSCBs named after the incident notice went out: their deadlines start (as the board's did), and the
    recipients still owed the notice are returned."""
    board = case.deadlines.get(LSCB_DEADLINE)
    if board is None or not case.assessment.notifiable:
        return ()
    for code in codes:
        _add_other_lscb(case, board.schedule, code, now)
    return tuple(other_lscb(code) for code in codes)


def _add_other_lscb(case: CaseFile, lscb: ScheduledDeadline, code: str, now: datetime) -> None:
    key = other_lscb_deadline(code)
    if key in case.deadlines:
        return
    title = f"Notify the {code} LSCB of the incident"
    add_deadline(case, lscb.model_copy(update={"key": key, "title": title}), now)


def incident_recipients(case: CaseFile) -> dict[str, str]:
    """Each incident-notice deadline the case has, by key, with the recipient whose delivery meets it."""
    keys = {OFSTED_DEADLINE: Recipient.OFSTED.value}
    keys.update({other_lscb_deadline(code): other_lscb(code) for code in case.incident.other_lscbs})
    return {key: recipient for key, recipient in keys.items() if key in case.deadlines}


def incident_notice(case: CaseFile, only: tuple[str, ...] | None = None) -> NoticeRequest | None:
    """The incident notice still owed: Ofsted (unless it already has it, from the local authority), the board's
    LSCB and every other relevant LSCB; ``only`` limits it to those recipients (LSCBs named later)."""
    if not case.assessment.notifiable:
        return None
    ofsted = case.deadlines.get(OFSTED_DEADLINE)
    wanted = [Recipient.LSCB.value, *(other_lscb(code) for code in case.incident.other_lscbs)]
    if ofsted is not None and ofsted.is_open:
        wanted.insert(0, Recipient.OFSTED.value)
    recipients = tuple(r for r in wanted if r not in case.incident_notice_to and (only is None or r in only))
    if not recipients:
        return None
    case.incident_notice_to.extend(recipients)
    meets = {
        r: f"notify_{r}" if r.startswith("lscb:") else OFSTED_DEADLINE for r in recipients if r != Recipient.LSCB.value
    }
    facts = {"aware_on": case.aware_on.isoformat(), "grounds": "; ".join(case.assessment.notifiable_grounds)}
    return NoticeRequest(NoticeKind.INCIDENT_NOTIFICATION, recipients, "1", facts, meets=meets)


def delivered(case: CaseFile, key: str, recipient: str, now: datetime) -> Outcome | None:
    """A recipient got the notice that meets ``key``: met, unless it already was (by the local authority)."""
    deadline = case.deadlines.get(key)
    if deadline is None or not deadline.is_open:
        return None
    meet(case, key, now)
    who = "Ofsted" if recipient == Recipient.OFSTED.value else f"The {recipient.split(':', 1)[-1]} LSCB"
    return Outcome("deadline_met", f"{who} received the incident notice", details={"key": key})


def record_la_notice(case: CaseFile, notice: OfstedNotifiedByLA, now: datetime) -> str:
    """The local authority says it told Ofsted itself. The deadline counts whichever reached Ofsted first; the
    answer says which, for the timeline."""
    case.ofsted_notified_by_la = notice
    on = notice.notified_on.isoformat()
    deadline = case.deadlines.get(OFSTED_DEADLINE)
    if deadline is None or deadline.status == DeadlineStatus.NOT_APPLICABLE:
        return f"Local authority recorded that it notified Ofsted on {on} (kept as information)"
    if deadline.is_open:
        met_on(deadline, notice.notified_on, now)
        late = " (after the 5 working days)" if deadline.status == DeadlineStatus.MET_LATE else ""
        return f"Local authority recorded that it notified Ofsted on {on}{late}; the system will not send a duplicate"
    assert deadline.met_at is not None
    if end_of_day(notice.notified_on) < deadline.met_at:
        met_on(deadline, notice.notified_on, now)
        return f"Local authority recorded that it notified Ofsted on {on}, before the system's notice: counted"
    return f"Local authority recorded that it notified Ofsted on {on}; the system's notice reached Ofsted first"
