"""Everything the case workflow knows about one case: the state it carries across continue-as-new.

Plain data; the rules that change it live in ``domain/lifecycle/``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from domain.case_messages import (
    DeadlineRecord,
    DeadlineStatus,
    OfstedNotifiedByLA,
    OpenCaseInput,
    ScheduledDeadline,
)
from domain.criteria import Assessment, ChairDecision, IncidentFacts, assess
from domain.imports.messages import ImportedCase
from domain.local_practice import LEGACY, LocalPractice
from domain.publication_messages import CopyDocument
from domain.stages import Stage

OnDue = Literal["breach", "retain", "review"]
"""What happens when a deadline's time comes: a breach (escalate, keep it on the case); for
``website_minimum`` the review may now come down (the case becomes 'retained'); a periodic review reminder."""


class TrackedDeadline(BaseModel):
    """A deadline with its clock: when reminders go out, when it is due, and what has happened."""

    schedule: ScheduledDeadline
    status: DeadlineStatus = DeadlineStatus.PENDING
    met_at: datetime | None = None
    breached_at: datetime | None = None
    reminders_sent: int = 0
    on_due: OnDue = "breach"
    escalate: bool = True  # False when the case was opened after the deadline had already passed

    @property
    def is_open(self) -> bool:
        return self.status in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE)

    def record(self) -> DeadlineRecord:
        return DeadlineRecord(
            key=self.schedule.key,
            title=self.schedule.title,
            due=self.schedule.due,
            status=self.status,
            rule=self.schedule.rule,
            source=self.schedule.source,
            met_at=self.met_at,
            breached_at=self.breached_at,
        )


class InformationRequest(BaseModel):
    request_id: str
    agency: str
    due_on: date
    answered_at: datetime | None = None


class Action(BaseModel):
    action_id: str
    description: str
    owner_agency: str
    due_on: date
    success_criteria: str
    progress: list[str] = Field(default_factory=list)
    impact: str | None = None
    completed_at: datetime | None = None


class CopySet(BaseModel):
    """One sending of the pre-publication copies: the versions attached and what the mail server did with them
    for each recipient. Only a delivery counts (000, 001 §11): a refusal leaves the recipient undelivered."""

    planned_on: date
    documents: list[CopyDocument]
    occurrences: list[str]  # each sending of these versions for this date (a resend after a refusal adds one)
    delivered: dict[str, datetime] = Field(default_factory=dict)  # recipient -> when the server accepted it
    refused: dict[str, str] = Field(default_factory=dict)  # recipient -> the server's answer


class Publication(BaseModel):
    planned_on: date | None = None
    report_withheld: bool = False  # not publishing: only the board's response and actions go up
    non_publication_pending: bool = False  # awaiting the panel's advice and the chair's final decision
    consent: dict[str, str] = Field(default_factory=dict)  # consent item -> note
    copies_sent_for: date | None = None  # the planned date the pre-publication copies announced
    # Cases started with the patch "prepublication-copies-delivered": the copies carry the documents and the
    # statutory notice is met on delivery. Earlier cases keep sending a notice without them.
    deliver_copies: bool = False
    copies: CopySet | None = None  # the newest versions sent (what may be published once delivered)
    published_on: date | None = None
    location: str | None = None
    keep_until: date | None = None
    removed_on: date | None = None


class CaseFile(BaseModel):
    reference: str
    board: str
    rule_pack: str
    rule_pack_version: str
    aware_on: date
    notified_on: date
    incident: IncidentFacts
    assessment: Assessment
    stage: Stage = Stage.NOTIFIED
    version: int = 0  # every recorded event increments it; the register keeps only the newest snapshot
    deadlines: dict[str, TrackedDeadline] = Field(default_factory=dict)
    screening: str | None = None
    chair_decision: ChairDecision | None = None
    initiated_on: date | None = None
    open_peer_challenges: int = 0
    panel_advice_count: int = 0
    panel_advice_mark: int = 0  # advice count when fresh advice became due (scrutiny, reviewers, non-publication)
    reviewers_named: bool = False
    information_requests: dict[str, InformationRequest] = Field(default_factory=dict)
    organisations: dict[str, str] = Field(default_factory=dict)  # organisation -> representation (001 §9)
    parallel_reviews: dict[str, str] = Field(default_factory=dict)  # its reference -> review type (001 §13)
    report_submissions: int = 0
    quality_failures: int = 0
    actions: dict[str, Action] = Field(default_factory=dict)
    active_proceedings: dict[str, str] = Field(default_factory=dict)  # id -> kind
    response_update_due: bool = False  # proceedings concluded: the board's response must be updated
    publication: Publication = Field(default_factory=Publication)
    retention_reviews: int = 0
    practice: LocalPractice | None = None  # None: opened before practice was a setting (LEGACY)
    counters: dict[str, int] = Field(default_factory=dict)  # occurrences per decision kind (business keys)
    # Issue 14 (statutory notices): set when the run starts under the patch, so a running case replays as it ran.
    statutory_notices: bool = False
    ofsted_notified_by_la: OfstedNotifiedByLA | None = None
    incident_notice_to: list[str] = Field(default_factory=list)  # recipients the incident notice was sent to
    definitive_evidence: str | None = None  # regulation 5(2)(b)(ii): no cause for concern, on the record
    panel_information_open: int = 0  # the panel's requests for information not yet answered
    dfe_advice_count: int = 0
    dfe_advice_mark: int = 0  # DfE's advice count when a decision not to publish asked for it

    def working_copy(self) -> CaseFile:
        """A deep copy for a decision to change, so that a refusal leaves this one as it was. Rebuilt from its own
        dump: 4-5x cheaper than ``model_copy(deep=True)``, which deep-copies every frozen part too. Every field
        survives the round trip (continue-as-new relies on it; tests/unit/test_case_file_copy.py checks it). A
        state the validators would not build afresh (one a newer validator refuses) is copied as it is: an error
        here would fail the workflow task and stall the case."""
        try:
            return CaseFile.model_validate(self.model_dump())
        except ValidationError:
            return self.model_copy(deep=True)

    def next_occurrence(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    @property
    def local_practice(self) -> LocalPractice:
        return self.practice or LEGACY

    def open_actions(self) -> list[Action]:
        return [a for a in self.actions.values() if a.completed_at is None]

    def deadline_records(self) -> list[DeadlineRecord]:
        return [d.record() for d in self.deadlines.values()]

    def summary_facts(self) -> dict[str, Any]:
        return {"reference": self.reference, "stage": self.stage.value}


def new_case_file(opening: OpenCaseInput) -> CaseFile:
    """A case as its opening facts start it, assessed against the criteria."""
    return CaseFile(
        reference=opening.reference,
        board=opening.board,
        rule_pack=opening.rule_pack,
        rule_pack_version=opening.rule_pack_version,
        aware_on=opening.aware_on,
        notified_on=opening.notified_on,
        incident=opening.incident,
        assessment=assess(opening.incident),
        practice=opening.practice,
        ofsted_notified_by_la=opening.ofsted_notified,
    )


class CaseWorkflowInput(BaseModel):
    """The case workflow's input: the opening facts, and on continue-as-new the case file so far."""

    opening: OpenCaseInput
    carried: CaseFile | None = None
    imported: ImportedCase | None = None  # a review already under way, taken in at its stage (issue 17)
