"""What staff send for each decision (``POST /api/v1/cases/{reference}/decisions/{kind}``).

One model per decision kind, discriminated by ``kind``. Free text fields are for board members' reasons;
none of them may carry a child's or family's name (the anonymisation gate checks what gets published).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from domain.criteria import ChairDecision, IncidentFacts
from domain.free_text import checked_text
from domain.rule_pack import LATEST_CASE_DATE, REGIME_START

# Free text: no control characters but line breaks and tabs, and something visible (domain/free_text.py).
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000), AfterValidator(checked_text)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(checked_text)
]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def _possible_date(value: date) -> date:
    """A date a decision may name: not before the regime began, not beyond what the calendars cover."""
    if value < REGIME_START:
        raise ValueError(
            f"{value.isoformat()} is before {REGIME_START.isoformat()}, when the SCR regulations came into force"
        )
    if value > LATEST_CASE_DATE:
        raise ValueError(f"{value.isoformat()} is after {LATEST_CASE_DATE.isoformat()}: no case runs that long")
    return value


CaseDate = Annotated[date, AfterValidator(_possible_date)]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RecordScreeningInput(_Input):
    """The SCR sub-group's recommendation to the chair after screening the referral."""

    kind: Literal["screening"] = "screening"
    recommendation: Literal["initiate_scr", "alternative_review", "no_review"]
    rationale: Text


class RecordOfstedNotifiedInput(_Input):
    """The local authority notified Ofsted of the incident itself (001 §1): when, and who sent it. The system then
    sends Ofsted no second notice; the deadline counts whichever reached Ofsted first."""

    kind: Literal["ofsted_notified"] = "ofsted_notified"
    notified_on: date
    notified_by: ShortText = Field(description="Who at the local authority notified Ofsted (a post or team)")


class UpdateFactsInput(_Input):
    """The facts changed (the child later died, abuse is now suspected, concern about inter-agency working found):
    the criteria are assessed again, both assessments stay on the record, and the chair's decision reopens when
    its basis changed."""

    kind: Literal["facts_update"] = "facts_update"
    incident: IncidentFacts
    reason: Text
    definitive_evidence: Text | None = Field(
        default=None,
        description="The definitive evidence that agencies worked together well, when now recorded "
        "(regulation 5(2)(b)(ii)): until it is, a seriously harmed child's SCR is required unless it is.",
    )


class DecideChairInput(_Input):
    """The independent chair's decision whether to initiate a Serious Case Review."""

    kind: Literal["chair"] = "chair"
    decision: ChairDecision
    rationale: Text
    definitive_evidence: Text | None = Field(
        default=None,
        description="Required for 'do_not_initiate' (or an alternative review) on a seriously harmed child with "
        "abuse or neglect: the definitive evidence that agencies worked together well (regulation 5(2)(b)(ii)).",
    )


class RecordPeerChallengeInput(_Input):
    """Peer challenge from another board's chair (optional, at any stage)."""

    kind: Literal["peer_challenge"] = "peer_challenge"
    challenge: Text


class RespondPeerChallengeInput(_Input):
    kind: Literal["peer_response"] = "peer_response"
    response: Text


class RecordPanelAdviceInput(_Input):
    """National Panel advice, recorded by board staff with the panel's letter."""

    kind: Literal["panel_advice"] = "panel_advice"
    outcome: Literal["agrees", "challenges", "requests_information", "advises"]
    advice: Text
    letter_document: ShortText | None = Field(default=None, description="Reference of the panel's letter document")


class RecordPanelInformationInput(_Input):
    """The board provided the information the National Panel asked for while scrutinising a decision."""

    kind: Literal["panel_information"] = "panel_information"
    summary: Text
    documents: list[ShortText] = Field(default_factory=list, max_length=20, description="References of documents sent")


class RecordDfeAdviceInput(_Input):
    """DfE's advice on a decision not to publish, recorded by board staff (000)."""

    kind: Literal["dfe_advice"] = "dfe_advice"
    outcome: Literal["agrees", "challenges", "requests_information", "advises"]
    advice: Text
    letter_document: ShortText | None = Field(default=None, description="Reference of DfE's letter document")


class DecideScrutinyInput(_Input):
    """After panel scrutiny of a decision not to initiate an SCR ('do not initiate' or an alternative review): the
    chair confirms it (closed without review, or the alternative review goes ahead) or revises it."""

    kind: Literal["scrutiny_outcome"] = "scrutiny_outcome"
    outcome: Literal["confirm", "revise"]
    rationale: Text
    without_panel_advice_reason: Text | None = Field(
        default=None, description="Why the chair decides without the panel's advice, when none is recorded"
    )


class Reviewer(_Input):
    name: ShortText
    organisation: ShortText
    independence_statement: Text
    account: ShortText | None = Field(
        default=None,
        description="The reviewer's sign-in user id (the token's subject): a lead reviewer reads and acts on only "
        "the cases that name their account here (without an account, only a reviewer whose name is that user id).",
    )


class AppointReviewersInput(_Input):
    """Lead reviewer(s) named with their independence; the names go to the National Panel."""

    kind: Literal["reviewers"] = "reviewers"
    reviewers: list[Reviewer] = Field(min_length=1, max_length=5)


class StartReviewInput(_Input):
    kind: Literal["start_review"] = "start_review"
    rationale: Text
    without_panel_advice_reason: Text | None = Field(
        default=None, description="Why the review starts before the panel's advice on the reviewers arrived"
    )


class RequestInformationInput(_Input):
    """A request to an agency under s14B Children Act 2004: why it is necessary and proportionate."""

    kind: Literal["information_request"] = "information_request"
    request_id: Identifier
    agency: ShortText
    information: Text
    necessity: Text
    proportionality: Text
    due_on: CaseDate


class RecordInformationResponseInput(_Input):
    kind: Literal["information_response"] = "information_response"
    request_id: Identifier
    summary: Text


class RecordAgencyAccountInput(_Input):
    kind: Literal["agency_account"] = "agency_account"
    agency: ShortText
    summary: Text


class InvolvedOrganisation(_Input):
    name: ShortText
    representation: ShortText = Field(description="How it takes part in the review, e.g. 'panel member', 'IMR author'.")


class RecordOrganisationsInput(_Input):
    """The organisations involved with the child and family and their representation on the review (001 §9).
    Each record replaces the list: it is the review's current list."""

    kind: Literal["organisations"] = "organisations"
    organisations: list[InvolvedOrganisation] = Field(min_length=1, max_length=100)

    @field_validator("organisations")
    @classmethod
    def _each_once(cls, organisations: list[InvolvedOrganisation]) -> list[InvolvedOrganisation]:
        names = [o.name.casefold() for o in organisations]
        repeated = sorted({o.name for o in organisations if names.count(o.name.casefold()) > 1})
        if repeated:
            raise ValueError(f"each organisation once; repeated: {', '.join(repeated)}")
        return organisations


class RecordFamilyEngagementInput(_Input):
    """The family's engagement in the review (001 §13). Family members by relationship ("mother"), never by name."""

    kind: Literal["family_engagement"] = "family_engagement"
    engaged_on: date
    participation: Literal["invited", "met_reviewer", "contributed_in_writing", "declined", "not_contacted"]
    summary: Text


ParallelReviewType = Literal[
    "domestic_homicide_review",
    "safeguarding_adults_review",
    "child_death_review",
    "learning_disability_mortality_review",
    "other",
]


class LinkParallelReviewInput(_Input):
    """A parallel review of the same events (e.g. a Domestic Homicide Review), linked by its own reference, and how
    the two are coordinated (001 §13)."""

    kind: Literal["parallel_review"] = "parallel_review"
    review_type: ParallelReviewType
    reference: Identifier = Field(description="The parallel review's own reference, e.g. 'DHR-2026-03'.")
    coordination: Text


class RecordReviewDelayInput(_Input):
    """The review will overrun: the reason, and the learning and corrective action meanwhile."""

    kind: Literal["review_delay"] = "review_delay"
    reason: Text
    interim_learning: Text
    corrective_actions: Text
    expected_completion_on: CaseDate | None = None


class SubmitFinalReportInput(_Input):
    kind: Literal["final_report"] = "final_report"
    document: ShortText = Field(description="Reference of the overview report document")
    summary: Text


class QualityCheck(_Input):
    passed: bool
    comment: Text


class RecordQualityAssuranceInput(_Input):
    """Each quality rule, pass or fail with a comment; any fail returns the report to the reviewer."""

    kind: Literal["quality_assurance"] = "quality_assurance"
    checks: dict[Annotated[str, AfterValidator(checked_text)], QualityCheck]


class PlannedAction(_Input):
    action_id: Identifier
    description: Text
    owner_agency: ShortText
    due_on: CaseDate
    success_criteria: Text


class AgreeActionPlanInput(_Input):
    kind: Literal["action_plan"] = "action_plan"
    actions: list[PlannedAction] = Field(min_length=1, max_length=200)

    @field_validator("actions")
    @classmethod
    def _unique_ids(cls, actions: list[PlannedAction]) -> list[PlannedAction]:
        ids = [a.action_id for a in actions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"action ids must be unique; repeated: {', '.join(duplicates)}")
        return actions


class RecordActionProgressInput(_Input):
    kind: Literal["action_progress"] = "action_progress"
    action_id: Identifier
    progress: Text
    impact: Text | None = None
    complete: bool = False


NonPublicationReason = Literal[
    "harm_to_child_or_family", "identification_and_media", "court_order", "other_family_welfare", "other"
]
NON_PUBLICATION_REASONS: dict[str, str] = {
    "harm_to_child_or_family": "publication is likely to harm the child, siblings or family",
    "identification_and_media": "the child or family would be identified and face media interest",
    "court_order": "a court order or reporting restriction bars publication",
    "other_family_welfare": "other reasons concerning the welfare of the child, siblings or family",
    "other": "another reason, recorded on the case",
}


class DecidePublicationInput(_Input):
    """Publish on a date, or do not publish for compelling welfare reasons."""

    kind: Literal["publication"] = "publication"
    decision: Literal["publish", "do_not_publish"]
    publication_on: CaseDate | None = None
    reasons: Text
    non_publication_reason: NonPublicationReason | None = Field(
        default=None,
        description="Not publishing is 'for a range of reasons' (000): the one recorded, which the notice to DfE and "
        "the National Panel states. 'reasons' stays on the case.",
    )

    @model_validator(mode="after")
    def _date_when_publishing(self) -> DecidePublicationInput:
        if self.decision == "publish" and self.publication_on is None:
            raise ValueError("publication_on is needed to publish: the date the report goes on the website")
        return self


class DecideFinalPublicationInput(_Input):
    """After the panel's advice on non-publication: the chair's final decision, sent to Ofsted, DfE and the
    panel. The action information is published either way, on ``publication_on``."""

    kind: Literal["final_publication"] = "final_publication"
    decision: Literal["publish", "do_not_publish"]
    publication_on: CaseDate
    rationale: Text


class RecordProceedingsInput(_Input):
    """Parallel criminal proceedings, an inquest or a reporting restriction (003): publication waits for their end."""

    kind: Literal["proceedings"] = "proceedings"
    proceeding_id: Identifier
    proceeding: Literal["criminal_trial", "inquest", "reporting_restriction", "other"]
    status: Literal["started", "concluded"]
    note: Text | None = None


class UpdateBoardResponseInput(_Input):
    """The board's response updated after parallel proceedings concluded."""

    kind: Literal["board_response"] = "board_response"
    summary: Text


ConsentItem = Literal["professionals_informed", "family_supported", "media_strategy_ready", "chair_consent"]


class RecordPrepublicationInput(_Input):
    """One of the steps that must be recorded before publication."""

    kind: Literal["prepublication"] = "prepublication"
    item: ConsentItem
    note: Text


class MovePublicationDateInput(_Input):
    kind: Literal["publication_date"] = "publication_date"
    publication_on: CaseDate
    reason: Text


class SendCopiesInput(_Input):
    """Send the pre-publication copies again: to the recipients whose mail server refused them, or to all three
    when a document was uploaded again after the copies (000, 001 §11). The current versions are attached."""

    kind: Literal["prepublication_copies"] = "prepublication_copies"
    note: Text | None = None


class RecordPublishedInput(_Input):
    """The publisher publishes the review: the overview report, executive summary and board's response (only
    the response when the report is withheld) pass the anonymisation gate and go on the board's website."""

    kind: Literal["published"] = "published"


class ExtendRetentionInput(_Input):
    kind: Literal["retention"] = "retention"
    keep_until: CaseDate
    reason: Text


class RemoveFromWebsiteInput(_Input):
    kind: Literal["removal"] = "removal"
    reason: Text
    override_reason: Text | None = Field(
        default=None, description="The chair's reason to remove while actions are still open"
    )


class CompleteAlternativeReviewInput(_Input):
    kind: Literal["alternative_review_complete"] = "alternative_review_complete"
    learning: Text


class CloseCaseInput(_Input):
    kind: Literal["close"] = "close"
    learning_summary: Text


DecisionInput = Annotated[
    RecordScreeningInput
    | RecordOfstedNotifiedInput
    | UpdateFactsInput
    | RecordPanelInformationInput
    | RecordDfeAdviceInput
    | DecideChairInput
    | RecordPeerChallengeInput
    | RespondPeerChallengeInput
    | RecordPanelAdviceInput
    | DecideScrutinyInput
    | AppointReviewersInput
    | StartReviewInput
    | RequestInformationInput
    | RecordInformationResponseInput
    | RecordAgencyAccountInput
    | RecordOrganisationsInput
    | RecordFamilyEngagementInput
    | LinkParallelReviewInput
    | RecordReviewDelayInput
    | SubmitFinalReportInput
    | RecordQualityAssuranceInput
    | AgreeActionPlanInput
    | RecordActionProgressInput
    | DecidePublicationInput
    | DecideFinalPublicationInput
    | RecordProceedingsInput
    | UpdateBoardResponseInput
    | RecordPrepublicationInput
    | MovePublicationDateInput
    | SendCopiesInput
    | RecordPublishedInput
    | ExtendRetentionInput
    | RemoveFromWebsiteInput
    | CompleteAlternativeReviewInput
    | CloseCaseInput,
    Field(discriminator="kind"),
]
