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
        case NoticeKind.CASE_DECISION:
            subject = f"[{reference}] Case update: {facts.get('decision_text', '')}".rstrip(": ")
            lines = [
                f"Case {reference} ({facts.get('stage', '').replace('_', ' ')}): {facts.get('decision_text', '')}.",
                "Who decided, when and why is recorded on the case.",
            ]
        case NoticeKind.REVIEWER_NAMES:
            subject = f"[{reference}] Lead reviewer(s) appointed"
            lines = [
                f"The board has appointed the lead reviewer(s) for case {reference}: {facts.get('reviewers', '')}.",
                "Their independence statements are recorded on the case. The review starts once the",
                "National Panel's advice on the appointment is recorded.",
            ]
        case NoticeKind.NON_PUBLICATION:
            subject = f"[{reference}] Decision not to publish the Serious Case Review report"
            lines = [
                f"The independent chair has decided not to publish the report of case {reference}, for",
                "compelling reasons concerning the welfare of the child, siblings or family.",
                "The reasons are recorded on the case and available to you on request. The board will take",
                "the National Panel's advice into account before its final decision.",
            ]
        case NoticeKind.FINAL_PUBLICATION_DECISION:
            subject = f"[{reference}] Final publication decision"
            lines = [
                f"Final decision on case {reference}: {facts.get('decision_text', '')}.",
                f"Planned publication date: {facts.get('publication_on', '')}.",
            ]
        case NoticeKind.PREPUBLICATION_COPY:
            subject = f"[{reference}] Pre-publication copy: publication planned for {facts.get('publication_on', '')}"
            lines = [
                f"The board plans to publish {facts.get('what', 'the report')} of case {reference} on "
                f"{facts.get('publication_on', '')}.",
                "The documents are available to you through the case record ahead of publication.",
            ]
        case NoticeKind.REVIEW_REMINDER:
            subject = f"[{reference}] Monthly review: published review with open actions"
            lines = [
                f"Case {reference} has been on the website for over 12 months and stays up while actions are open.",
                f"Open actions: {facts.get('open_actions', '')}.",
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
