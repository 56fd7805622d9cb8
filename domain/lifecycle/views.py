"""What a case shows: its snapshot for the register and the API, and its status for operators."""

from __future__ import annotations

from domain.case_file import CaseFile, TrackedDeadline
from domain.case_messages import CaseSnapshot, DeadlineStatus
from domain.lifecycle.registry import awaiting


def next_deadline(case: CaseFile) -> TrackedDeadline | None:
    open_deadlines = [d for d in case.deadlines.values() if d.is_open]
    return min(open_deadlines, key=lambda d: (d.schedule.due, d.schedule.key), default=None)


def snapshot(case: CaseFile) -> CaseSnapshot:
    upcoming = next_deadline(case)
    return CaseSnapshot(
        version=case.version,
        stage=case.stage.value,
        overdue=any(d.status == DeadlineStatus.OVERDUE for d in case.deadlines.values()),
        next_deadline_key=upcoming.schedule.key if upcoming else None,
        next_deadline_due=upcoming.schedule.due if upcoming else None,
        deadlines=case.deadline_records(),
        awaiting=awaiting(case),
    )


def operator_details(case: CaseFile) -> str:
    """Markdown for the Temporal UI: stage, next deadline, what is awaited, breaches. References only."""
    lines = [f"**{case.reference}** — stage `{case.stage.value}`"]
    upcoming = next_deadline(case)
    if upcoming:
        record = upcoming.record()
        lines.append(f"Next deadline: {record.title} due {record.due.isoformat()} ({record.status.value})")
    awaited = awaiting(case)
    if awaited:
        lines.append("Awaiting: " + "; ".join(f"{a.description} ({', '.join(a.roles)})" for a in awaited[:5]))
    breached = [d.schedule.title for d in case.deadlines.values() if d.breached_at is not None]
    if breached:
        lines.append("Breached: " + ", ".join(breached))
    return "\n\n".join(lines)
