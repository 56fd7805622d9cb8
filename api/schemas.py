"""Request and response bodies of the staff API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.criteria import IncidentFacts
from domain.rule_pack import REGIME_START

MAX_OFFSET = 2**31 - 1
"""Far beyond any register; larger values (e.g. 10**30) would overflow the database's integer and are 422."""


def _offset_in_range(value: int) -> int:
    # A validator rather than ``le``: the released OpenAPI schema of `offset` stays as it was (only gains).
    if value > MAX_OFFSET:
        raise ValueError(f"Input should be less than or equal to {MAX_OFFSET}")
    return value


PageLimit = Annotated[int, Query(ge=1, le=200)]
PageOffset = Annotated[int, Query(ge=0), AfterValidator(_offset_in_range)]


class OfstedNotifiedIn(BaseModel):
    """The local authority already notified Ofsted itself (001 §1): the system then sends Ofsted no notice."""

    model_config = ConfigDict(extra="forbid")

    notified_on: date = Field(description="The date the local authority notified Ofsted")
    notified_by: str = Field(min_length=1, max_length=200, description="Who at the local authority (a post or team)")


class OpenCaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board: str = Field(min_length=2, max_length=16, pattern=r"^[A-Za-z]+$", description="Board code, e.g. NEL")
    aware_on: date = Field(description="The date the local authority became aware of the incident")
    notified_on: date = Field(description="The date the safeguarding board was notified")
    incident: IncidentFacts
    ofsted_notified: OfstedNotifiedIn | None = Field(
        default=None, description="Set when the local authority has already notified Ofsted of the incident itself"
    )

    @field_validator("board")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("aware_on", "notified_on")
    @classmethod
    def _in_the_regime(cls, value: date) -> date:
        if value < REGIME_START:
            raise ValueError(
                f"{value.isoformat()} is before {REGIME_START.isoformat()}, when the SCR regulations (the Local "
                "Safeguarding Children Boards Regulations 2006) came into force: such a case is not for this service"
            )
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> OpenCaseRequest:
        if self.notified_on < self.aware_on:
            raise ValueError("notified_on cannot be before aware_on: the board is told after the local authority knows")
        if self.incident.deprivation_of_liberty_order and self.incident.age_at_incident is None:
            raise ValueError(
                "incident.age_at_incident is required with deprivation_of_liberty_order: the order applies to "
                "16- and 17-year-olds (001 §3)"
            )
        if self.board in self.incident.other_lscbs:
            raise ValueError(f"incident.other_lscbs names {self.board}, this case's own board: list only other LSCBs")
        if self.ofsted_notified is not None and self.ofsted_notified.notified_on < self.aware_on:
            raise ValueError("ofsted_notified.notified_on cannot be before aware_on")
        return self


class AwaitedOut(BaseModel):
    """A decision the case waits for: which decision kind, who may take it, and by when."""

    kind: str
    roles: list[str]
    description: str
    due: date | None = None


class DeadlineOut(BaseModel):
    key: str
    title: str
    due: date
    status: str
    rule: str
    source: str
    met_at: datetime | None = None
    breached_at: datetime | None = None


class NextDeadlineOut(BaseModel):
    key: str
    due: date


class CaseOut(BaseModel):
    reference: str
    board: str
    stage: str
    workflow_id: str
    rule_pack: str
    rule_pack_version: str
    aware_on: date
    notified_on: date
    incident: dict[str, Any]
    assessment: dict[str, Any] | None
    overdue: bool
    next_deadline: NextDeadlineOut | None
    deadlines: list[DeadlineOut]
    awaiting: list[AwaitedOut]
    breaches: list[str] = Field(description="Keys of deadlines that were missed; a breach stays on the case")
    created_at: datetime
    updated_at: datetime


class CaseSummaryOut(BaseModel):
    reference: str
    board: str
    stage: str
    overdue: bool
    next_deadline: NextDeadlineOut | None
    created_at: datetime


class CaseListOut(BaseModel):
    items: list[CaseSummaryOut]
    total: int
    limit: int
    offset: int


class TimelineEventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    role: str
    summary: str
    rationale: str | None
    details: dict[str, Any]


class TaskOut(BaseModel):
    reference: str
    board: str
    stage: str
    kind: str
    description: str
    due: date | None
    decide_at: str = Field(description="Where to send the decision")


class TaskListOut(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    database: bool
    temporal: bool
