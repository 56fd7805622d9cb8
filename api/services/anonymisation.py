"""The anonymisation gate through the API: recording the case's identifying details, checking the documents to
publish, and the chair's acceptance of a hit. Identifier values never reach the audit trail (counts and places
only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from api import audit
from api.access import ScopedCase
from api.context import AppContext
from api.errors import ProblemError
from domain.anonymisation import CATEGORY_TITLES, CaseIdentifiers, Category, IdentifierScanner, match_key
from domain.documents import KIND_TITLES, PUBLISHABLE_KINDS, DocumentKind, kinds_to_publish
from store import documents as document_register
from store.anonymisation_gate import (
    GateOutcome,
    IdentifiersNotRecordedError,
    ScanCache,
    case_identifiers,
    run_gate,
    scan_document,
)
from store.document_store import DocumentCorruptedError, DocumentNotFoundError, DocumentStore
from store.document_text import UnreadableDocumentError
from store.models import AcceptedHit, CaseDocument, CaseIdentifierRecord


@dataclass(frozen=True)
class CheckResult:
    documents: list[CaseDocument]
    missing: list[DocumentKind]  # documents publication needs that have not been uploaded
    outcome: GateOutcome


@dataclass(frozen=True)
class Acceptance:
    acceptance: AcceptedHit
    places: list[str]
    created: bool  # False: the same hit was accepted before, and this is that acceptance


async def put_identifiers(
    context: AppContext, *, scoped: ScopedCase, identifiers: CaseIdentifiers
) -> CaseIdentifierRecord:
    """Record (replace) the case's identifying details; the audit row says how many of each."""
    async with context.sessions.begin() as session:
        record = await document_register.put_identifiers(
            session,
            reference=scoped.reference,
            identifiers=identifiers.model_dump(mode="json"),
            updated_by=scoped.actor.user,
        )
        entry = audit.identifiers_recorded(
            reference=scoped.reference, version=record.version, counts=identifiers.counts()
        )
        audit.add(session, entry, by=audit.By.actor(scoped.actor))
    return record


async def get_identifiers(context: AppContext, *, scoped: ScopedCase) -> CaseIdentifierRecord:
    async with context.sessions() as session:
        record = await document_register.get_identifiers(session, reference=scoped.reference)
    if record is None:
        raise ProblemError(404, "Not found", f"No identifying details are recorded on case {scoped.reference} yet.")
    return record


async def check(
    context: AppContext,
    *,
    store: DocumentStore,
    scoped: ScopedCase,
    withheld: bool,
    document_ids: Sequence[int] | None,
) -> CheckResult:
    """Run the gate over the documents to publish (by default the latest of each kind publication needs): the
    check someone asks for, audited."""
    result = await _gate(context, store, scoped.reference, withheld=withheld, document_ids=document_ids)
    entry = audit.anonymisation_checked(
        reference=scoped.reference,
        document_ids=[d.id for d in result.documents],
        hits=len(result.outcome.hits),
        accepted=len(result.outcome.accepted),
        missing=[kind.value for kind in result.missing],
    )
    await audit.record(context.sessions, entry, by=audit.By.actor(scoped.actor))
    return result


# The scans behind the documents' states a page shows on every view (the case page), reused while the bytes
# and the identifiers are unchanged.
SCANS = ScanCache()


async def states(
    context: AppContext, *, store: DocumentStore, scoped: ScopedCase, document_ids: Sequence[int]
) -> CheckResult:
    """The gate's answer for these documents, to show their states: from reused scans, and not audited (a
    page view, not a check; the check itself is audited). Raises as ``check`` does."""
    return await _gate(context, store, scoped.reference, withheld=False, document_ids=document_ids, scans=SCANS)


async def _gate(
    context: AppContext,
    store: DocumentStore,
    reference: str,
    *,
    withheld: bool,
    document_ids: Sequence[int] | None,
    scans: ScanCache | None = None,
) -> CheckResult:
    documents, missing = await _documents_to_check(context, reference, withheld=withheld, document_ids=document_ids)
    try:
        outcome = await run_gate(context.sessions, store, reference=reference, documents=documents, scans=scans)
    except IdentifiersNotRecordedError as error:
        raise ProblemError(409, "Identifiers not recorded", str(error)) from None
    except UnreadableDocumentError as error:
        raise ProblemError(422, "Unreadable document", f"A document cannot be read: {error}.") from None
    except (DocumentNotFoundError, DocumentCorruptedError):
        raise ProblemError(503, "Document unavailable", "A document's stored copy cannot be read.") from None
    return CheckResult(documents=documents, missing=missing, outcome=outcome)


async def accept_hit(
    context: AppContext,
    *,
    store: DocumentStore,
    scoped: ScopedCase,
    document_id: int,
    matched_text: str,
    category: Category,
    reason: str,
) -> Acceptance:
    """The chair accepts a hit the check reports (this text, of this category, in this document): it no longer
    blocks publication. Accepting the same hit again returns the first acceptance."""
    reference = scoped.reference
    async with context.sessions() as session:
        document = await document_register.find_document(session, reference=reference, document_id=document_id)
        if document is None:
            raise ProblemError(404, "Not found", f"Case {reference} has no document {document_id}.")
        if DocumentKind(document.kind) not in PUBLISHABLE_KINDS:
            raise _unprocessable(
                f"Document {document.id} is not published ({document.kind}): there is nothing to accept."
            )
        try:
            identifiers = await case_identifiers(session, reference=reference)
        except IdentifiersNotRecordedError as error:
            raise ProblemError(409, "Identifiers not recorded", str(error)) from None
    key = match_key(category.value, matched_text)
    try:
        hits = await scan_document(store, IdentifierScanner(identifiers), document)
    except UnreadableDocumentError as error:
        raise ProblemError(422, "Unreadable document", f"The document cannot be read: {error}.") from None
    places = [hit.place.describe() for hit in hits if match_key(hit.category.value, hit.matched) == key]
    if not places:
        raise _unprocessable(
            f"Document {document.id} has no {category.value} hit with that text: run the anonymisation check "
            "and accept a hit it reports."
        )
    async with context.sessions.begin() as session:
        existing = await document_register.find_acceptance(session, document_id=document.id, match_key=key)
        if existing is not None:
            return Acceptance(acceptance=existing, places=places, created=False)
        acceptance = AcceptedHit(
            case_reference=reference,
            document_id=document.id,
            category=category.value,
            matched_text=matched_text,
            match_key=key,
            reason=reason,
            accepted_by=scoped.actor.user,
            accepted_at=datetime.now(UTC),
        )
        session.add(acceptance)
        await session.flush()
        entry = audit.anonymisation_hit_accepted(
            reference=reference,
            acceptance_id=acceptance.id,
            document_id=document.id,
            document_kind_title=KIND_TITLES[DocumentKind(document.kind)],
            category=category.value,
            category_title=CATEGORY_TITLES[category],
            places=places,
        )
        audit.add(session, entry, by=audit.By.actor(scoped.actor))
    return Acceptance(acceptance=acceptance, places=places, created=True)


async def _documents_to_check(
    context: AppContext, reference: str, *, withheld: bool, document_ids: Sequence[int] | None
) -> tuple[list[CaseDocument], list[DocumentKind]]:
    async with context.sessions() as session:
        if document_ids is None:
            wanted = kinds_to_publish(withheld=withheld)
            latest = await document_register.latest_documents(session, reference=reference, kinds=wanted)
            documents = [latest[kind.value] for kind in wanted if kind.value in latest]
            return documents, [kind for kind in wanted if kind.value not in latest]
        documents = []
        for document_id in dict.fromkeys(document_ids):
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


def _unprocessable(detail: str) -> ProblemError:
    return ProblemError(422, "Invalid request", detail)
