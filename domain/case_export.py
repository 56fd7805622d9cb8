"""The case file as a board takes it away (issue 17, point 3): one JSON document per case, versioned, whose JSON
Schema is published (``GET /api/v1/schemas/case-export.json``, committed as docs/schemas/case-export.v1.json).
Pure: the shape only; ``api/services/case_export.py`` fills it from the register.

A new field is a compatible change; renaming or removing one, or changing its meaning, is a new
``schema_version`` and a new schema file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = "1"
SCHEMA_FILE = f"case-export.v{SCHEMA_VERSION}.json"
SCHEMA_PATH = "/api/v1/schemas/case-export.json"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportedBy(_Part):
    user: str
    role: str = Field(description="The exporting role; 'operator' for the `scr export` command on the host")


class CaseHeader(_Part):
    reference: str = Field(description="e.g. NEL-2026-0001")
    board: str
    stage: str
    overdue: bool
    version: int = Field(description="The case's register version when exported (its ETag)")
    rule_pack: str
    rule_pack_version: str
    aware_on: date
    notified_on: date
    opened_by: str
    opened_at: datetime
    updated_at: datetime


class AwaitedEntry(_Part):
    """A decision the case waits for now: its kind, who may take it, by when."""

    kind: str
    roles: list[str]
    description: str
    due: date | None


class DeadlineEntry(_Part):
    key: str
    title: str
    rule: str
    source: str = Field(description="Where the rule comes from, citing the board's own procedure")
    due: date
    status: str = Field(description="pending, met, overdue, met_late or not_applicable")
    met_at: datetime | None
    breached_at: datetime | None


class DecisionEntry(_Part):
    at: datetime
    decision_kind: str | None = Field(description="e.g. chair, screening; as in POST .../decisions/{kind}")
    actor: str
    role: str
    summary: str
    rationale: str | None
    details: dict[str, Any]


class NoticeEntry(_Part):
    kind: str
    recipient: str
    address: str = Field(description="The recipient's addresses from the board's notice directory")
    subject: str
    status: str = Field(description="sending, sent (accepted by the mail relay) or rejected")
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class DocumentEntry(_Part):
    id: int
    kind: str
    kind_title: str
    filename: str
    content_type: str
    size: int
    sha256: str = Field(description="SHA-256 of the document's bytes (lower-case hex)")
    uploaded_by: str
    uploaded_role: str
    uploaded_at: datetime
    download_path: str = Field(description="The API path that downloads the document")
    archive_path: str = Field(description="Where a board archive holds the file, under the case's folder")


class TimelineEntry(_Part):
    at: datetime
    kind: str
    actor: str
    role: str
    summary: str
    rationale: str | None
    details: dict[str, Any]


class CaseExport(_Part):
    """One case's whole file."""

    model_config = ConfigDict(title="SCR case export", extra="forbid", frozen=True)

    schema_version: Literal["1"] = SCHEMA_VERSION
    exported_at: datetime
    exported_by: ExportedBy
    case: CaseHeader
    facts: dict[str, Any] = Field(description="The incident facts as the case now holds them")
    assessment: dict[str, Any] | None = Field(description="The criteria's assessment of the facts, once made")
    identifiers_included: bool = Field(
        description="Whether `identifiers` is given: only to the roles that may read a case's identifying details"
    )
    identifiers: dict[str, Any] | None = Field(
        description="The identifying details recorded for the anonymisation check (names, schools, ...)"
    )
    awaiting: list[AwaitedEntry] = Field(description="The decisions the case waits for now")
    deadlines: list[DeadlineEntry]
    decisions: list[DecisionEntry] = Field(description="Every accepted decision, oldest first, with who and why")
    notices: list[NoticeEntry]
    documents: list[DocumentEntry]
    timeline: list[TimelineEntry] = Field(description="Every recorded event of the case, oldest first")


def case_export_schema() -> dict[str, Any]:
    """The published JSON Schema of ``CaseExport`` (draft 2020-12)."""
    schema = CaseExport.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_FILE,
        **schema,
    }
