"""The anonymisation gate: scans the documents to be published for the case's identifying details and
identifier patterns, and sets aside the hits the independent chair accepted. Shared by the publisher activity
and the API's anonymisation check; no Temporal here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.anonymisation import CaseIdentifiers, Hit, IdentifierScanner, match_key
from store import documents as document_register
from store.document_store import DocumentStore
from store.document_text import extract_sections
from store.models import CaseDocument


class IdentifiersNotRecordedError(LookupError):
    """The case has no identifiers recorded: the gate would have nothing to look for."""


@dataclass(frozen=True)
class DocumentHit:
    document_id: int
    document_kind: str
    hit: Hit


@dataclass(frozen=True)
class GateOutcome:
    hits: list[DocumentHit]  # block publication
    accepted: list[DocumentHit]  # accepted by the chair: they do not block

    @property
    def clear(self) -> bool:
        return not self.hits


async def case_identifiers(session: AsyncSession, *, reference: str) -> CaseIdentifiers:
    record = await document_register.get_identifiers(session, reference=reference)
    identifiers = CaseIdentifiers.model_validate(record.identifiers) if record is not None else None
    if identifiers is None or identifiers.is_empty():
        raise IdentifiersNotRecordedError(
            f"No identifying details are recorded on case {reference}: the business manager records them "
            f"(PUT /api/v1/cases/{reference}/identifiers) before the anonymisation check can run."
        )
    return identifiers


async def scan_document(store: DocumentStore, scanner: IdentifierScanner, document: CaseDocument) -> list[Hit]:
    """Raises UnreadableDocumentError when the document's text cannot be read."""
    data = await store.get(document.sha256)
    return await asyncio.to_thread(lambda: scanner.scan(extract_sections(document.content_type, data)))


async def run_gate(
    sessions: async_sessionmaker[AsyncSession],
    store: DocumentStore,
    *,
    reference: str,
    documents: Sequence[CaseDocument],
) -> GateOutcome:
    async with sessions() as session:
        identifiers = await case_identifiers(session, reference=reference)
        accepted_keys = await document_register.accepted_match_keys(
            session, document_ids=[document.id for document in documents]
        )
    scanner = IdentifierScanner(identifiers)
    blocking: list[DocumentHit] = []
    accepted: list[DocumentHit] = []
    for document in documents:
        for hit in await scan_document(store, scanner, document):
            found = DocumentHit(document_id=document.id, document_kind=document.kind, hit=hit)
            is_accepted = (document.id, match_key(hit.category.value, hit.matched)) in accepted_keys
            (accepted if is_accepted else blocking).append(found)
    return GateOutcome(hits=blocking, accepted=accepted)
