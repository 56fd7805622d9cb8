"""Finds the versions the pre-publication copies carry: the newest document of each kind to be published, named by
the SHA-256 of its publishable copy (``store/publishable_copy.py``), the bytes that are attached and, later,
published. They pass the anonymisation gate first: the copies carry what will be published, so never a name that
the gate would stop. Read only: a decision may run it and still be refused.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.publication_activities import hit_summary, unreadable_part
from domain.activity_contracts import PREPARE_COPIES
from domain.documents import kinds_to_publish
from domain.publication_messages import CopyDocument, PrepareCopiesInput, PreparedCopies
from store import documents as document_register
from store.anonymisation_gate import IdentifiersNotRecordedError, run_gate
from store.document_store import DocumentCorruptedError, DocumentNotFoundError, DocumentStore
from store.document_text import UnreadableDocumentError


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
        chosen = [latest[kind.value] for kind in wanted]
        try:
            gate = await run_gate(self._sessions, self._store, reference=data.reference, documents=chosen)
            if not gate.clear:
                return PreparedCopies(
                    hits=[hit_summary(hit) for hit in gate.hits],
                    unreadable=[unreadable_part(part) for part in gate.unreadable],
                )
            copies = [gate.copies[document.id] for document in chosen]  # the bytes the gate read
        except IdentifiersNotRecordedError as error:
            raise ApplicationError(str(error), type="IdentifiersNotRecorded", non_retryable=True) from None
        except UnreadableDocumentError as error:
            message = f"A document of case {data.reference} cannot be read for the anonymisation check: {error}"
            raise ApplicationError(message, type="UnreadableDocument", non_retryable=True) from None
        except (DocumentNotFoundError, DocumentCorruptedError) as error:
            raise ApplicationError(str(error), type="DocumentUnavailable", non_retryable=True) from None
        return PreparedCopies(
            documents=[CopyDocument(document_id=c.document_id, kind=c.kind, sha256=c.sha256) for c in copies]
        )
