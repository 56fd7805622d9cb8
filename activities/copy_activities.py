"""Finds the versions the pre-publication copies carry: the newest document of each kind to be published, named by
the SHA-256 of its publishable copy (``store/publishable_copy.py``), the bytes that are attached and, later,
published. Read only: a decision may run it and still be refused.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.activity_contracts import PREPARE_COPIES
from domain.documents import kinds_to_publish
from domain.publication_messages import CopyDocument, PrepareCopiesInput, PreparedCopies
from store import documents as document_register
from store.document_store import DocumentCorruptedError, DocumentNotFoundError, DocumentStore
from store.publishable_copy import publishable_copy


class CopyActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], store: DocumentStore) -> None:
        self._sessions = sessions
        self._store = store

    @activity.defn(name=PREPARE_COPIES.name)
    async def prepare_copies(self, data: PrepareCopiesInput) -> PreparedCopies:
        wanted = kinds_to_publish(withheld=data.withheld)
        async with self._sessions() as session:
            latest = await document_register.latest_documents(
                session, reference=data.reference, kinds=[k.value for k in wanted]
            )
        missing = [kind.value for kind in wanted if kind.value not in latest]
        if missing:
            return PreparedCopies(missing=missing)
        documents = []
        for kind in wanted:
            try:
                copy = await publishable_copy(self._store, latest[kind.value])
            except (DocumentNotFoundError, DocumentCorruptedError) as error:
                raise ApplicationError(str(error), type="DocumentUnavailable", non_retryable=True) from None
            documents.append(CopyDocument(document_id=copy.document_id, kind=copy.kind, sha256=copy.sha256))
        return PreparedCopies(documents=documents)
