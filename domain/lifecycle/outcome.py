"""What a decision or a clock event leaves behind: the audit entry, the notices it sends, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.case_file import CaseFile
from domain.case_messages import Actor, NoticeKind, Refusal
from domain.publication_messages import CopyDocument
from domain.roles import Role

SYSTEM = Actor(user="system", role=Role.OPERATOR)


class DecisionRefused(Exception):
    """A rule refuses the decision; ``refusal`` says how the API answers (403, 409 or 422)."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


def refuse(message: str, refusal: Refusal = Refusal.CONFLICT) -> DecisionRefused:
    return DecisionRefused(refusal, message)


@dataclass(frozen=True)
class NoticeRequest:
    """A notice to send once the decision is taken: one email per recipient, idempotent by occurrence."""

    kind: NoticeKind
    recipients: tuple[str, ...]
    occurrence: str
    facts: dict[str, str] = field(default_factory=dict)
    attachments: tuple[CopyDocument, ...] = ()  # documents sent with it (their bytes never enter the workflow)
    track_delivery: bool = False  # the case hears of each recipient's delivery or refusal (``deliveries``)
    # recipient -> the deadline its delivery meets; a recipient whose deadline is already met is not sent it
    meets: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    """What a decision or a clock event did: the audit entry, and the notices it sends."""

    kind: str
    summary: str
    rationale: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notices: list[NoticeRequest] = field(default_factory=list)
    assessment: dict[str, Any] | None = None  # a new assessment of the criteria, for the register's case row
    incident: dict[str, Any] | None = None  # new incident facts, likewise
    at: datetime | None = None  # when it happened, if not now: a decision imported with its real date (issue 17)


def decision_notice(case: CaseFile, recipients: tuple[str, ...], occurrence: str, text: str) -> NoticeRequest:
    """The board-internal notice of a decision: who should act next, and what was decided."""
    return NoticeRequest(
        NoticeKind.CASE_DECISION, recipients, occurrence, {"decision_text": text, "stage": case.stage.value}
    )
