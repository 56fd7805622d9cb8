"""Typed messages exchanged between the API, the case workflow and its activities.

Plain data only (pydantic models, serialised by Temporal's pydantic data converter). Nothing here may
carry a child's or family's identifying details: cases are known by their reference.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.criteria import ChairDecision, IncidentFacts
from domain.decision_inputs import DecisionInput
from domain.local_practice import LocalPractice
from domain.publication_messages import CopyDocument
from domain.roles import Role


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True)


class Actor(_Message):
    user: str = Field(min_length=1, max_length=128)
    role: Role


class DeadlineStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    OVERDUE = "overdue"
    MET_LATE = "met_late"
    NOT_APPLICABLE = "not_applicable"


class ScheduledDeadline(_Message):
    """A deadline of the rule pack, resolved to dates and instants (UK time) by an activity."""

    key: str
    title: str
    due: date
    due_at: datetime  # end of the due day, Europe/London, as an aware UTC instant
    reminders_at: list[datetime]  # start of the reminder working days, ascending
    rule: str
    source: str
    who_acts: str
    escalate_to: list[str]


class DeadlineRecord(_Message):
    key: str
    title: str
    due: date
    status: DeadlineStatus
    rule: str
    source: str
    met_at: datetime | None = None
    breached_at: datetime | None = None


class AdhocDeadline(_Message):
    """A deadline staff set (an action's or an information request's due date): the rule pack does not
    give its date, but its reminders still fall on working days."""

    key: str
    title: str
    due: date
    reminder_working_days_before: list[int]
    rule: str
    source: str
    who_acts: str
    escalate_to: list[str]


class ComputeDeadlinesInput(_Message):
    rule_pack: str
    rule_pack_version: str
    events: dict[str, date] = Field(default_factory=dict)  # CaseEvent value -> date
    adhoc: list[AdhocDeadline] = Field(default_factory=list)
    local: dict[str, date] = Field(default_factory=dict)  # local-practice key -> the day its clock starts
    # Whose closure days move the reminders (never a statutory due date) and whose local-practice intervals apply.
    board: str | None = None


class OfstedNotifiedByLA(_Message):
    """The local authority's own notice to Ofsted of the incident: when, and who sent it (001 §1)."""

    notified_on: date
    notified_by: str = Field(min_length=1, max_length=200)


class OpenCaseInput(_Message):
    """The case workflow's input."""

    reference: str
    board: str
    aware_on: date
    notified_on: date
    incident: IncidentFacts
    rule_pack: str
    rule_pack_version: str
    opened_by: Actor
    practice: LocalPractice | None = None  # the board's local practice when the case opened; None: LEGACY
    ofsted_notified: OfstedNotifiedByLA | None = None  # the local authority told Ofsted itself, before opening


class AwaitedDecision(_Message):
    """A decision the case is waiting for: who may take it, and by when (if a deadline applies)."""

    kind: str
    roles: list[str]
    description: str
    due: date | None = None


class CaseSnapshot(_Message):
    """What the register shows of a case; the workflow sends a new one with every recorded event."""

    version: int
    stage: str
    overdue: bool
    next_deadline_key: str | None
    next_deadline_due: date | None
    deadlines: list[DeadlineRecord]
    awaiting: list[AwaitedDecision] = Field(default_factory=list)


class RecordCaseEventInput(_Message):
    reference: str
    business_key: str  # one audit row per key: activity retries record once
    kind: str
    actor: Actor
    at: datetime
    summary: str
    rationale: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    snapshot: CaseSnapshot
    assessment: dict[str, Any] | None = None
    incident: dict[str, Any] | None = None  # the facts as updated (a fact update), for the case row


class NoticeKind(StrEnum):
    INCIDENT_NOTIFICATION = "incident_notification"
    CHAIR_DECISION = "chair_decision"
    CASE_DECISION = "case_decision"
    REVIEWER_NAMES = "reviewer_names"
    NON_PUBLICATION = "non_publication"
    FINAL_PUBLICATION_DECISION = "final_publication_decision"
    PREPUBLICATION_COPY = "prepublication_copy"
    PUBLICATION_RESCHEDULED = "publication_rescheduled"  # a hold or a new date, to everyone who holds the date
    DEADLINE_REMINDER = "deadline_reminder"
    DEADLINE_ESCALATION = "deadline_escalation"
    REVIEW_REMINDER = "review_reminder"
    NOTICE_UNDELIVERED = "notice_undelivered"  # to the business manager: a notice the mail server refused
    LEARNING_SUMMARY = "learning_summary"  # the board's annual learning summary, to its partners


class SendNoticeInput(_Message):
    reference: str
    kind: NoticeKind
    occurrence: str  # with reference and kind, the business key that makes sending idempotent
    recipient: str  # a Recipient or Role value; the address comes from the worker's settings
    facts: dict[str, str] = Field(default_factory=dict)  # non-identifying values for the template
    attachments: list[CopyDocument] = Field(default_factory=list)  # documents attached (ids and hashes only)


class NoticeResult(_Message):
    business_key: str
    message_id: str
    newly_sent: bool


class DecisionRequest(_Message):
    """A staff decision as the API passes it to the case: who, and what."""

    actor: Actor
    decision: DecisionInput


class CaseState(_Message):
    """The live state of a case, as the workflow knows it (query and update results)."""

    reference: str
    stage: str
    overdue: bool
    deadlines: list[DeadlineRecord]
    awaiting: list[AwaitedDecision]
    chair_decision: ChairDecision | None = None
    snapshot_version: int
    next_deadline_key: str | None = None  # the soonest open deadline, as the register shows it
    next_deadline_due: date | None = None
    # The criteria and facts as the case now holds them (a fact update or recorded evidence changes them).
    assessment: dict[str, Any] | None = None
    incident: dict[str, Any] | None = None


class Refusal(StrEnum):
    """Why a decision was refused; the API maps these to 403, 409 and 422."""

    FORBIDDEN = "Forbidden"
    CONFLICT = "Conflict"
    INVALID = "Invalid"
