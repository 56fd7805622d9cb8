"""The anonymisation gate: scans the documents to be published for the case's identifying details and
identifier patterns, and sets aside the hits the independent chair accepted. Shared by the publisher activity
and the API's anonymisation check; no Temporal here.

It checks what will be served: each document's publishable copy (``store/publishable_copy.py``), read in full
(``store/document_text.py``). It also reads the upload, so a detail hidden in a part the copy leaves out (a
comment, alt text, custom XML) is still reported: the author must correct it or the chair accept it. A part
of the copy the gate cannot read makes the document not clear (it fails closed), with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.anonymisation import CaseIdentifiers, Hit, IdentifierScanner, match_key
from store import documents as document_register
from store.document_store import DocumentStore
from store.document_text import UnreadablePart, read_document
from store.models import CaseDocument
from store.publishable_copy import PublishableCopy, copy_of

LEFT_OUT = " (in the upload only: left out of the published copy)"


class IdentifiersNotRecordedError(LookupError):
    """The case has no identifiers recorded: the gate would have nothing to look for."""


@dataclass(frozen=True)
class DocumentHit:
    document_id: int
    document_kind: str
    hit: Hit


@dataclass(frozen=True)
class DocumentUnreadablePart:
    document_id: int
    document_kind: str
    part: UnreadablePart


@dataclass(frozen=True)
class DocumentCheck:
    copy: PublishableCopy  # what will be served, exactly the bytes the gate read
    hits: list[Hit]
    unreadable: list[UnreadablePart]  # parts of the copy the gate cannot read


@dataclass(frozen=True)
class GateOutcome:
    hits: list[DocumentHit]  # block publication
    accepted: list[DocumentHit]  # accepted by the chair: they do not block
    unreadable: list[DocumentUnreadablePart] = field(default_factory=list)  # block publication
    copies: dict[int, PublishableCopy] = field(default_factory=dict)  # by document id: what was checked

    @property
    def clear(self) -> bool:
        return not self.hits and not self.unreadable


async def case_identifiers(session: AsyncSession, *, reference: str) -> CaseIdentifiers:
    record = await document_register.get_identifiers(session, reference=reference)
    identifiers = CaseIdentifiers.model_validate(record.identifiers) if record is not None else None
    if identifiers is None or identifiers.is_empty():
        raise IdentifiersNotRecordedError(
            f"No identifying details are recorded on case {reference}: the business manager records them "
            f"(PUT /api/v1/cases/{reference}/identifiers) before the anonymisation check can run."
        )
    return identifiers


def check_bytes(scanner: IdentifierScanner, document: CaseDocument, data: bytes) -> DocumentCheck:
    """Make the publishable copy and read it and the upload. Raises UnreadableDocumentError (the upload or
    the copy cannot be read at all; UnsanitisableDocumentError: no safe copy can be made). Blocking."""
    copy = copy_of(document, data)
    served = read_document(copy.content_type, copy.data)
    uploaded = read_document(document.content_type, data)
    hits: list[Hit] = []
    places: set[tuple[str, str]] = set()
    keys: set[str] = set()

    def add(found: list[Hit], *, left_out: bool, net: bool) -> None:
        for hit in found:
            key = match_key(hit.category.value, hit.matched)
            if (key, hit.place.describe()) in places or (net and key in keys):
                continue
            places.add((key, hit.place.describe()))
            keys.add(key)
            if left_out:
                hit = hit.model_copy(update={"place": hit.place.model_copy(update={"part": hit.place.part + LEFT_OUT})})
            hits.append(hit)

    # The copy first (what is served), then what only the upload holds; machine data last, and only for a
    # detail not already reported.
    for net in (False, True):
        for reading, left_out in ((served, False), (uploaded, True)):
            add(scanner.scan([s for s in reading.sections if s.recorded_only == net]), left_out=left_out, net=net)
    return DocumentCheck(copy=copy, hits=hits, unreadable=served.unreadable)


async def check_document(store: DocumentStore, scanner: IdentifierScanner, document: CaseDocument) -> DocumentCheck:
    data = await store.get(document.sha256)
    return await asyncio.to_thread(check_bytes, scanner, document, data)


async def scan_document(store: DocumentStore, scanner: IdentifierScanner, document: CaseDocument) -> list[Hit]:
    """Raises UnreadableDocumentError when the document's text cannot be read."""
    return (await check_document(store, scanner, document)).hits


async def run_gate(
    sessions: async_sessionmaker[AsyncSession],
    store: DocumentStore,
    *,
    reference: str,
    documents: Sequence[CaseDocument],
    scans: ScanCache | None = None,
) -> GateOutcome:
    """Check each document against the case's identifiers, setting aside the hits the chair accepted. With
    ``scans`` a document's scan is reused while its bytes and the identifiers are unchanged, and the outcome
    has no copies (for a page that shows states; publication always checks afresh)."""
    async with sessions() as session:
        identifiers = await case_identifiers(session, reference=reference)
        accepted_keys = await document_register.accepted_match_keys(
            session, document_ids=[document.id for document in documents]
        )
    scanner = IdentifierScanner(identifiers)
    blocking: list[DocumentHit] = []
    accepted: list[DocumentHit] = []
    unreadable: list[DocumentUnreadablePart] = []
    copies: dict[int, PublishableCopy] = {}
    for document in documents:
        if scans is None:
            checked = await check_document(store, scanner, document)
            copies[document.id] = checked.copy
            hits, parts = checked.hits, checked.unreadable
        else:
            hits, parts = await scans.scan(store, reference, identifiers, document)
        unreadable += [DocumentUnreadablePart(document.id, document.kind, part) for part in parts]
        for hit in hits:
            found = DocumentHit(document_id=document.id, document_kind=document.kind, hit=hit)
            is_accepted = (document.id, match_key(hit.category.value, hit.matched)) in accepted_keys
            (accepted if is_accepted else blocking).append(found)
    return GateOutcome(hits=blocking, accepted=accepted, unreadable=unreadable, copies=copies)


class ScanCache:
    """Each document's scan (hits and unreadable parts, not the copy), kept in-process for the pages that show
    documents' states on every view. Keyed by all the scan depends on: the case, the document's bytes (SHA-256),
    type, kind and name, and the identifiers looked for; a new upload or changed identifiers is a new key. The
    chair's acceptances are read afresh each time. The least recently used scans go first."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._scans: OrderedDict[tuple[str, ...], tuple[list[Hit], list[UnreadablePart]]] = OrderedDict()
        self.runs = 0  # scans actually run (not reused): what the tests count

    async def scan(
        self, store: DocumentStore, reference: str, identifiers: CaseIdentifiers, document: CaseDocument
    ) -> tuple[list[Hit], list[UnreadablePart]]:
        looked_for = hashlib.sha256(identifiers.model_dump_json().encode()).hexdigest()
        key = (reference, document.sha256, document.content_type, document.kind, document.filename, looked_for)
        if key in self._scans:
            self._scans.move_to_end(key)
            return self._scans[key]
        self.runs += 1
        checked = await check_document(store, IdentifierScanner(identifiers), document)
        self._scans[key] = (checked.hits, checked.unreadable)
        while len(self._scans) > self._size:
            self._scans.popitem(last=False)
        return self._scans[key]
