"""Repository for documents, case identifiers, accepted anonymisation hits, publications and requests for
removed reviews: keyword-only functions over one session each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AcceptedHit, Case, CaseDocument, CaseIdentifierRecord, Publication, ReviewRequest
from store.row_reads import RowQuery, RowRead


async def add_document(
    session: AsyncSession,
    *,
    reference: str,
    kind: str,
    filename: str,
    content_type: str,
    size: int,
    sha256: str,
    uploaded_by: str,
    uploaded_role: str,
) -> CaseDocument:
    document = CaseDocument(
        case_reference=reference,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=uploaded_by,
        uploaded_role=uploaded_role,
        uploaded_at=datetime.now(UTC),
    )
    session.add(document)
    await session.flush()
    return document


async def list_documents(
    session: AsyncSession, *, reference: str, kinds: Iterable[str] | None = None
) -> list[CaseDocument]:
    query = select(CaseDocument).where(CaseDocument.case_reference == reference)
    if kinds is not None:
        query = query.where(CaseDocument.kind.in_(list(kinds)))
    rows = await session.scalars(query.order_by(CaseDocument.id))
    return list(rows)


async def find_document(session: AsyncSession, *, reference: str, document_id: int) -> CaseDocument | None:
    document = await session.get(CaseDocument, document_id)
    return document if document is not None and document.case_reference == reference else None


async def latest_documents(session: AsyncSession, *, reference: str, kinds: Sequence[str]) -> dict[str, CaseDocument]:
    """The newest document of each kind (the highest id: ids only grow)."""
    latest: dict[str, CaseDocument] = {}
    for document in await list_documents(session, reference=reference, kinds=kinds):
        latest[document.kind] = document
    return latest


async def get_identifiers(session: AsyncSession, *, reference: str) -> CaseIdentifierRecord | None:
    return await session.get(CaseIdentifierRecord, reference)


_IDENTIFIERS_COLUMNS = CaseIdentifierRecord.__table__.columns
CASE_WITH_IDENTIFIERS = RowQuery(
    select(
        *Case.__table__.columns,
        *(column.label(f"identifiers_{column.key}") for column in _IDENTIFIERS_COLUMNS),
    )
    .outerjoin(CaseIdentifierRecord, CaseIdentifierRecord.case_reference == Case.reference)
    .where(Case.reference == bindparam("reference"))
)


async def case_with_identifiers(read: RowRead, *, reference: str) -> tuple[Case, CaseIdentifierRecord | None] | None:
    """The case and the identifying details recorded on it, in one query by the driver itself (a decision reads
    both before it goes to the workflow: ``store.row_reads`` says why the driver). Both come back detached."""
    row = await read(CASE_WITH_IDENTIFIERS, {"reference": reference})
    if row is None:
        return None
    case = Case(**{column.key: row[column.key] for column in Case.__table__.columns})
    if row["identifiers_case_reference"] is None:
        return case, None
    identifiers = CaseIdentifierRecord(
        **{column.key: row[f"identifiers_{column.key}"] for column in _IDENTIFIERS_COLUMNS}
    )
    return case, identifiers


async def put_identifiers(
    session: AsyncSession, *, reference: str, identifiers: dict[str, Any], updated_by: str
) -> CaseIdentifierRecord:
    record = await session.get(CaseIdentifierRecord, reference, with_for_update=True)
    now = datetime.now(UTC)
    if record is None:
        record = CaseIdentifierRecord(
            case_reference=reference, identifiers=identifiers, version=1, updated_by=updated_by, updated_at=now
        )
        session.add(record)
    else:
        record.identifiers = identifiers
        record.version += 1
        record.updated_by = updated_by
        record.updated_at = now
    await session.flush()
    return record


async def accepted_match_keys(session: AsyncSession, *, document_ids: Sequence[int]) -> set[tuple[int, str]]:
    if not document_ids:
        return set()
    rows = await session.execute(
        select(AcceptedHit.document_id, AcceptedHit.match_key).where(AcceptedHit.document_id.in_(document_ids))
    )
    return {(document_id, key) for document_id, key in rows}


async def find_acceptance(session: AsyncSession, *, document_id: int, match_key: str) -> AcceptedHit | None:
    return await session.scalar(
        select(AcceptedHit).where(AcceptedHit.document_id == document_id, AcceptedHit.match_key == match_key)
    )


async def list_acceptances(session: AsyncSession, *, reference: str) -> list[AcceptedHit]:
    rows = await session.scalars(
        select(AcceptedHit).where(AcceptedHit.case_reference == reference).order_by(AcceptedHit.id)
    )
    return list(rows)


async def get_publication(session: AsyncSession, *, reference: str) -> Publication | None:
    return await session.get(Publication, reference)


async def list_publications(session: AsyncSession) -> list[Publication]:
    rows = await session.scalars(select(Publication).order_by(Publication.case_reference))
    return list(rows)


async def add_review_request(
    session: AsyncSession, *, reference: str, email: str, purpose: str, client_key: str
) -> ReviewRequest:
    request = ReviewRequest(
        case_reference=reference,
        email=email,
        purpose=purpose,
        client_key=client_key,
        requested_at=datetime.now(UTC),
        status="open",
    )
    session.add(request)
    await session.flush()
    return request


async def count_review_requests_since(session: AsyncSession, *, since: datetime, client_key: str | None = None) -> int:
    query = select(func.count()).select_from(ReviewRequest).where(ReviewRequest.requested_at >= since)
    if client_key is not None:
        query = query.where(ReviewRequest.client_key == client_key)
    return int(await session.scalar(query) or 0)


async def list_review_requests(
    session: AsyncSession, *, status: str | None, boards: Sequence[str] | None = None
) -> list[ReviewRequest]:
    query = select(ReviewRequest)
    if status is not None:
        query = query.where(ReviewRequest.status == status)
    if boards is not None:
        query = query.join(Case, Case.reference == ReviewRequest.case_reference).where(Case.board.in_(boards))
    rows = await session.scalars(query.order_by(ReviewRequest.requested_at.desc(), ReviewRequest.id.desc()))
    return list(rows)
