"""The documents a notice carries (the pre-publication copies): loaded by id from the register and the document
store as their publishable copies, and checked against the SHA-256 the case recorded, so the bytes attached are
the version the case will publish."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.case_messages import SendNoticeInput
from store import documents as document_register
from store.document_store import DocumentCorruptedError, DocumentNotFoundError, DocumentStore
from store.publishable_copy import PublishableCopy, publishable_copy


class AttachmentError(Exception):
    """An attachment cannot be sent as the case recorded it: retrying will not help."""


async def load_attachments(
    sessions: async_sessionmaker[AsyncSession], store: DocumentStore | None, data: SendNoticeInput
) -> list[PublishableCopy]:
    if not data.attachments:
        return []
    if store is None:
        raise AttachmentError("this worker has no document store to attach documents from")
    copies = []
    async with sessions() as session:
        for wanted in data.attachments:
            document = await document_register.find_document(
                session, reference=data.reference, document_id=int(wanted.document_id)
            )
            if document is None:
                raise AttachmentError(f"document {wanted.document_id} of case {data.reference} is not in the register")
            try:
                copy = await publishable_copy(store, document)
            except (DocumentNotFoundError, DocumentCorruptedError) as error:
                raise AttachmentError(str(error)) from error
            if copy.sha256 != wanted.sha256:
                raise AttachmentError(
                    f"document {wanted.document_id} of case {data.reference} no longer gives the version recorded "
                    "for the copies"
                )
            copies.append(copy)
    return copies
