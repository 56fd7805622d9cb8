"""Subjects and bodies of the notices. They name the case by reference only, never the child or family."""

from __future__ import annotations

from dataclasses import dataclass

from domain.case_messages import NoticeKind


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def render_notice(kind: NoticeKind, reference: str, facts: dict[str, str], case_url: str) -> RenderedNotice:
    match kind:
        case NoticeKind.INCIDENT_NOTIFICATION:
            subject = f"[{reference}] Notification of a serious child safeguarding incident"
            lines = [
                f"The Local Safeguarding Children Board has recorded a notifiable incident as case {reference}.",
                f"The local authority became aware of it on {facts.get('aware_on', 'an unrecorded date')}.",
                f"Grounds: {facts.get('grounds', 'see the case record')}",
            ]
        case NoticeKind.CHAIR_DECISION:
            subject = f"[{reference}] Independent chair's decision: {facts.get('decision_text', '')}".rstrip(": ")
            lines = [
                f"The independent chair has decided on case {reference}: {facts.get('decision_text', '')}.",
                f"Decided on {facts.get('decided_on', '')}.",
                "The rationale is recorded on the case.",
            ]
        case NoticeKind.DEADLINE_REMINDER:
            subject = f"[{reference}] Reminder: {facts.get('title', 'deadline')} due {facts.get('due', '')}"
            lines = [
                f"Case {reference}: {facts.get('title', 'a deadline')} is due by the end of {facts.get('due', '')}.",
                f"Rule: {facts.get('rule', '')} ({facts.get('source', '')}).",
            ]
        case NoticeKind.DEADLINE_ESCALATION:
            subject = f"[{reference}] Deadline missed: {facts.get('title', 'deadline')} was due {facts.get('due', '')}"
            lines = [
                f"Case {reference}: {facts.get('title', 'a deadline')} was due by the end of "
                f"{facts.get('due', '')} and has not been met.",
                f"Rule: {facts.get('rule', '')} ({facts.get('source', '')}).",
                "The breach is recorded on the case.",
            ]
    lines += ["", f"Case record: {case_url}", "", "This message contains no personal details by design."]
    return RenderedNotice(subject=subject, body="\n".join(lines) + "\n")
