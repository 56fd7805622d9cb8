"""The anonymisation gate through the API: the case's identifying details (recorded by the business manager,
kept in the database only), the check over the documents to publish, and the chair's acceptance of a hit.

Identifier values never reach logs, audit rows, Temporal or email: audit rows say how many were recorded, and
where an accepted hit was, not what it was.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from activities.anonymisation_gate import (
    DocumentHit,
    IdentifiersNotRecordedError,
    case_identifiers,
    run_gate,
    scan_document,
)
from activities.text_extraction import UnreadableDocumentError
from api.context import AppContext, Context
from api.errors import ProblemError
from api.permissions import CurrentCaller, authorize, case_in_scope
from api.routers.cases import CaseReference
from api.routers.documents import MAX_ID, Text, document_store
from domain.anonymisation import CATEGORY_TITLES, CaseIdentifiers, Category, IdentifierScanner, Place, match_key
from domain.documents import KIND_TITLES, PUBLISHABLE_KINDS, DocumentKind, kinds_to_publish
from store import documents as document_register
from store import register
from store.document_store import DocumentCorruptedError, DocumentNotFoundError
from store.models import AcceptedHit, CaseDocument

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


class CheckOut(BaseModel):
    reference: str
    clear: bool = Field(description="True when no hit blocks publication and no required document is missing")
    documents: list[CheckedDocumentOut]
    missing: list[DocumentKind] = Field(description="Documents publication needs that have not been uploaded")
    hits: list[HitOut] = Field(description="Hits that block publication")
    accepted_hits: list[HitOut] = Field(description="Hits the chair accepted: they do not block")


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


@router.put("/{reference}/identifiers", response_model=IdentifiersOut)
async def put_identifiers(
    reference: CaseReference, body: CaseIdentifiers, caller: CurrentCaller, context: Context, response: Response
) -> IdentifiersOut:
    """Record the case's identifying details (replacing what was recorded): the names of the child and family,
    dates of birth, addresses, postcodes, schools and other identifying terms. The anonymisation check looks
    for them in every document to be published."""
    await authorize(context, caller, "identifiers.write", reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions.begin() as session:
        record = await document_register.put_identifiers(
            session, reference=reference, identifiers=body.model_dump(mode="json"), updated_by=caller.actor.user
        )
        counts = ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in body.counts().items() if count)
        register.append_audit(
            session,
            business_key=f"identifiers:{reference}:{record.version}",
            reference=reference,
            kind="identifiers_recorded",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            summary=f"Identifying details recorded for the anonymisation check ({counts or 'none'})",
            details={"version": record.version, "counts": body.counts()},
        )
    response.headers.update(NO_STORE)
    return IdentifiersOut(
        reference=reference,
        identifiers=body,
        version=record.version,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


@router.get("/{reference}/identifiers", response_model=IdentifiersOut)
async def get_identifiers(
    reference: CaseReference, caller: CurrentCaller, context: Context, response: Response
) -> IdentifiersOut:
    """The case's identifying details (business manager and independent chair only)."""
    await authorize(context, caller, "identifiers.read", reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions() as session:
        record = await document_register.get_identifiers(session, reference=reference)
    if record is None:
        raise ProblemError(404, "Not found", f"No identifying details are recorded on case {reference} yet.")
    response.headers.update(NO_STORE)
    return IdentifiersOut(
        reference=reference,
        identifiers=CaseIdentifiers.model_validate(record.identifiers),
        version=record.version,
        updated_by=record.updated_by,
        updated_at=record.updated_at,
    )


@router.post("/{reference}/anonymisation-check", response_model=CheckOut)
async def anonymisation_check(
    reference: CaseReference,
    caller: CurrentCaller,
    context: Context,
    request: Request,
    response: Response,
    body: Annotated[CheckRequest | None, Body()] = None,
) -> CheckOut:
    """Run the anonymisation gate over the documents to publish (by default the latest overview report,
    executive summary and board's response) and return every hit with its place."""
    await authorize(context, caller, "anonymisation.check", reference=reference)
    await case_in_scope(context, caller, reference)
    body = body or CheckRequest()
    documents, missing = await _documents_to_check(context, reference, body)
    try:
        outcome = await run_gate(
            context.sessions, document_store(context, request), reference=reference, documents=documents
        )
    except IdentifiersNotRecordedError as error:
        raise ProblemError(409, "Identifiers not recorded", str(error)) from None
    except UnreadableDocumentError as error:
        raise ProblemError(422, "Unreadable document", f"A document cannot be read: {error}.") from None
    except (DocumentNotFoundError, DocumentCorruptedError):
        raise ProblemError(503, "Document unavailable", "A document's stored copy cannot be read.") from None
    async with context.sessions.begin() as session:
        register.append_audit(
            session,
            business_key=f"anonymisation-check:{reference}:{uuid.uuid4().hex}",
            reference=reference,
            kind="anonymisation_check",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            summary=(
                f"Anonymisation check of documents {', '.join(str(d.id) for d in documents) or 'none'}: "
                f"{len(outcome.hits)} blocking hit(s), {len(outcome.accepted)} accepted"
            ),
            details={
                "document_ids": [d.id for d in documents],
                "hits": len(outcome.hits),
                "accepted": len(outcome.accepted),
                "missing": [kind.value for kind in missing],
            },
        )
    response.headers.update(NO_STORE)
    return CheckOut(
        reference=reference,
        clear=outcome.clear and not missing,
        documents=[CheckedDocumentOut(id=d.id, kind=DocumentKind(d.kind)) for d in documents],
        missing=missing,
        hits=[_hit_out(hit) for hit in outcome.hits],
        accepted_hits=[_hit_out(hit) for hit in outcome.accepted],
    )


@router.post(
    "/{reference}/anonymisation-check/accepted", response_model=AcceptanceOut, status_code=status.HTTP_201_CREATED
)
async def accept_hit(
    reference: CaseReference,
    body: AcceptHitRequest,
    caller: CurrentCaller,
    context: Context,
    request: Request,
    response: Response,
) -> AcceptanceOut:
    """The independent chair accepts a hit (this text, of this category, in this document) with a reason:
    it no longer blocks publication. Accepting the same hit again returns the first acceptance."""
    await authorize(context, caller, "anonymisation.accept", reference=reference)
    await case_in_scope(context, caller, reference)
    async with context.sessions() as session:
        document = await document_register.find_document(session, reference=reference, document_id=body.document_id)
        if document is None:
            raise ProblemError(404, "Not found", f"Case {reference} has no document {body.document_id}.")
        if DocumentKind(document.kind) not in PUBLISHABLE_KINDS:
            raise _unprocessable(
                f"Document {document.id} is not published ({document.kind}): there is nothing to accept."
            )
        try:
            identifiers = await case_identifiers(session, reference=reference)
        except IdentifiersNotRecordedError as error:
            raise ProblemError(409, "Identifiers not recorded", str(error)) from None
    key = match_key(body.category.value, body.matched_text)
    try:
        hits = await scan_document(document_store(context, request), IdentifierScanner(identifiers), document)
    except UnreadableDocumentError as error:
        raise ProblemError(422, "Unreadable document", f"The document cannot be read: {error}.") from None
    places = [hit.place.describe() for hit in hits if match_key(hit.category.value, hit.matched) == key]
    if not places:
        raise _unprocessable(
            f"Document {document.id} has no {body.category.value} hit with that text: run the anonymisation check "
            "and accept a hit it reports."
        )
    async with context.sessions.begin() as session:
        existing = await document_register.find_acceptance(session, document_id=document.id, match_key=key)
        if existing is not None:
            response.status_code = status.HTTP_200_OK
            return _acceptance_out(existing, places)
        acceptance = AcceptedHit(
            case_reference=reference,
            document_id=document.id,
            category=body.category.value,
            matched_text=body.matched_text,
            match_key=key,
            reason=body.reason,
            accepted_by=caller.actor.user,
            accepted_at=datetime.now(UTC),
        )
        session.add(acceptance)
        await session.flush()
        shown = "; ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
        # The audit row says where the accepted hit is, never what it is (the text stays in the acceptance).
        register.append_audit(
            session,
            business_key=f"anonymisation-accepted:{acceptance.id}",
            reference=reference,
            kind="anonymisation_hit_accepted",
            actor=caller.actor.user,
            role=caller.actor.role.value,
            summary=(
                f"Accepted hit ({CATEGORY_TITLES[body.category]}) in document {document.id} "
                f"({KIND_TITLES[DocumentKind(document.kind)].lower()}) at {shown}"
            ),
            details={
                "acceptance_id": acceptance.id,
                "document_id": document.id,
                "category": body.category.value,
                "places": places,
            },
        )
    return _acceptance_out(acceptance, places)


async def _documents_to_check(
    context: AppContext, reference: str, body: CheckRequest
) -> tuple[list[CaseDocument], list[DocumentKind]]:
    async with context.sessions() as session:
        if body.document_ids is None:
            wanted = kinds_to_publish(withheld=body.withheld)
            latest = await document_register.latest_documents(session, reference=reference, kinds=wanted)
            documents = [latest[kind.value] for kind in wanted if kind.value in latest]
            return documents, [kind for kind in wanted if kind.value not in latest]
        documents = []
        for document_id in dict.fromkeys(body.document_ids):
            document = await document_register.find_document(session, reference=reference, document_id=document_id)
            if document is None:
                raise _unprocessable(f"Case {reference} has no document {document_id}.")
            if DocumentKind(document.kind) not in PUBLISHABLE_KINDS:
                never = " IMRs are never published." if document.kind == DocumentKind.IMR else ""
                raise _unprocessable(
                    f"Document {document_id} is a {KIND_TITLES[DocumentKind(document.kind)].lower()}, which is not "
                    f"published: only overview reports, executive summaries and board responses are.{never}"
                )
            documents.append(document)
        return documents, []


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


def _unprocessable(detail: str) -> ProblemError:
    return ProblemError(422, "Invalid request", detail)
