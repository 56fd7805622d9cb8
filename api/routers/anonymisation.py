"""The anonymisation gate through the API: the case's identifying details (recorded by the business manager,
kept in the database only), the check over the documents to publish, and the chair's acceptance of a hit.

Identifier values never reach logs, audit rows, Temporal or email: audit rows say how many were recorded, and
where an accepted hit was, not what it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.access import CaseAccess, ScopedCase
from api.context import Context, Documents
from api.routers.documents import MAX_ID, Text
from api.services import anonymisation
from domain.anonymisation import CATEGORY_TITLES, CaseIdentifiers, Category, Place
from domain.documents import DocumentKind
from store.anonymisation_gate import DocumentHit
from store.models import AcceptedHit

router = APIRouter(prefix="/api/v1/cases", tags=["anonymisation"])

NO_STORE = {"Cache-Control": "no-store"}


class IdentifiersOut(BaseModel):
    reference: str
    identifiers: CaseIdentifiers
    version: int
    updated_by: str
    updated_at: datetime


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    withheld: bool = Field(False, description="Check only the board's response (the report is not published)")
    document_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None,
        max_length=20,
        description="Check these documents instead of the latest overview report, executive summary and response",
    )


class HitOut(BaseModel):
    document_id: int
    document_kind: DocumentKind
    category: Category
    category_title: str
    recorded: bool = Field(description="True: a detail recorded on the case; False: an identifier pattern")
    matched_text: str
    place: Place
    place_text: str


class CheckedDocumentOut(BaseModel):
    id: int
    kind: DocumentKind
    publishable_sha256: str | None = Field(
        None, description="SHA-256 of the sanitised copy the check read: the exact bytes publication serves"
    )


class UnreadablePartOut(BaseModel):
    document_id: int
    document_kind: DocumentKind
    part: str = Field(description="Where in the document, e.g. 'page 3' or 'embedded content'")
    reason: str = Field(description="Why the check cannot read it: the document is not clear until it can")


class CheckOut(BaseModel):
    reference: str
    clear: bool = Field(description="True when no hit blocks publication and no required document is missing")
    documents: list[CheckedDocumentOut]
    missing: list[DocumentKind] = Field(description="Documents publication needs that have not been uploaded")
    hits: list[HitOut] = Field(description="Hits that block publication")
    accepted_hits: list[HitOut] = Field(description="Hits the chair accepted: they do not block")
    unreadable_parts: list[UnreadablePartOut] = Field(
        default_factory=list, description="Parts the check cannot read: they block publication (it fails closed)"
    )


class AcceptHitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: int = Field(ge=1, le=MAX_ID)
    matched_text: Text = Field(min_length=1, max_length=300)
    category: Category
    reason: Text = Field(min_length=10, max_length=2000, description="Why this text may be published")


class AcceptanceOut(BaseModel):
    id: int
    reference: str
    document_id: int
    category: Category
    matched_text: str
    reason: str
    accepted_by: str
    accepted_at: datetime
    places: list[str]


IdentifierWriter = Annotated[ScopedCase, Depends(CaseAccess("identifiers.write"))]
IdentifierReader = Annotated[ScopedCase, Depends(CaseAccess("identifiers.read"))]
Checker = Annotated[ScopedCase, Depends(CaseAccess("anonymisation.check"))]
Acceptor = Annotated[ScopedCase, Depends(CaseAccess("anonymisation.accept"))]


@router.put("/{reference}/identifiers", response_model=IdentifiersOut)
async def put_identifiers(
    scoped: IdentifierWriter, body: CaseIdentifiers, context: Context, response: Response
) -> IdentifiersOut:
    """Record the case's identifying details (replacing what was recorded): the names of the child and family,
    dates of birth, addresses, postcodes, schools and other identifying terms. The anonymisation check looks
    for them in every document to be published."""
    record = await anonymisation.put_identifiers(context, scoped=scoped, identifiers=body)
    response.headers.update(NO_STORE)
    return IdentifiersOut(
        reference=scoped.reference,
        identifiers=body,
        version=record.version,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


@router.get("/{reference}/identifiers", response_model=IdentifiersOut)
async def get_identifiers(scoped: IdentifierReader, context: Context, response: Response) -> IdentifiersOut:
    """The case's identifying details (business manager and independent chair only)."""
    record = await anonymisation.get_identifiers(context, scoped=scoped)
    response.headers.update(NO_STORE)
    return IdentifiersOut(
        reference=scoped.reference,
        identifiers=CaseIdentifiers.model_validate(record.identifiers),
        version=record.version,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


@router.post("/{reference}/anonymisation-check", response_model=CheckOut)
async def anonymisation_check(
    scoped: Checker,
    context: Context,
    store: Documents,
    response: Response,
    body: Annotated[CheckRequest | None, Body()] = None,
) -> CheckOut:
    """Run the anonymisation gate over the documents to publish (by default the latest overview report,
    executive summary and board's response) and return every hit with its place."""
    body = body or CheckRequest()
    result = await anonymisation.check(
        context, store=store, scoped=scoped, withheld=body.withheld, document_ids=body.document_ids
    )
    response.headers.update(NO_STORE)
    return CheckOut(
        reference=scoped.reference,
        clear=result.outcome.clear and not result.missing,
        documents=[
            CheckedDocumentOut(
                id=d.id,
                kind=DocumentKind(d.kind),
                publishable_sha256=copy.sha256 if (copy := result.outcome.copies.get(d.id)) else None,
            )
            for d in result.documents
        ],
        missing=result.missing,
        hits=[_hit_out(hit) for hit in result.outcome.hits],
        accepted_hits=[_hit_out(hit) for hit in result.outcome.accepted],
        unreadable_parts=[
            UnreadablePartOut(
                document_id=found.document_id,
                document_kind=DocumentKind(found.document_kind),
                part=found.part.part,
                reason=found.part.reason,
            )
            for found in result.outcome.unreadable
        ],
    )


@router.post(
    "/{reference}/anonymisation-check/accepted", response_model=AcceptanceOut, status_code=status.HTTP_201_CREATED
)
async def accept_hit(
    scoped: Acceptor, body: AcceptHitRequest, context: Context, store: Documents, response: Response
) -> AcceptanceOut:
    """The independent chair accepts a hit (this text, of this category, in this document) with a reason:
    it no longer blocks publication. Accepting the same hit again returns the first acceptance."""
    accepted = await anonymisation.accept_hit(
        context,
        store=store,
        scoped=scoped,
        document_id=body.document_id,
        matched_text=body.matched_text,
        category=body.category,
        reason=body.reason,
    )
    if not accepted.created:
        response.status_code = status.HTTP_200_OK
    return _acceptance_out(accepted.acceptance, accepted.places)


def _hit_out(found: DocumentHit) -> HitOut:
    return HitOut(
        document_id=found.document_id,
        document_kind=DocumentKind(found.document_kind),
        category=found.hit.category,
        category_title=CATEGORY_TITLES[found.hit.category],
        recorded=found.hit.recorded,
        matched_text=found.hit.matched,
        place=found.hit.place,
        place_text=found.hit.place.describe(),
    )


def _acceptance_out(acceptance: AcceptedHit, places: list[str]) -> AcceptanceOut:
    return AcceptanceOut(
        id=acceptance.id,
        reference=acceptance.case_reference,
        document_id=acceptance.document_id,
        category=Category(acceptance.category),
        matched_text=acceptance.matched_text,
        reason=acceptance.reason,
        accepted_by=acceptance.accepted_by,
        accepted_at=acceptance.accepted_at,
        places=places,
    )
