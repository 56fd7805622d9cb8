"""The copy of a case document that leaves the board: what the pre-publication copies attach and what the website
publishes, so that what Ofsted, DfE and the National Panel received is, byte for byte, what goes up.

Stand-in: returns the stored bytes and their SHA-256 unchanged. The sanitising version (metadata stripped, built
on another branch) replaces this module with the same interface; callers only rely on ``sha256`` naming
``data`` and on the same document always giving the same copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from domain.documents import EXTENSIONS
from store.document_store import DocumentStore
from store.models import CaseDocument


@dataclass(frozen=True)
class PublishableCopy:
    document_id: str
    kind: str
    content_type: str
    filename: str  # named after the kind, never the uploaded name (which may carry a child's name)
    data: bytes
    sha256: str


async def publishable_copy(store: DocumentStore, document: CaseDocument) -> PublishableCopy:
    data = await store.get(document.sha256)
    return PublishableCopy(
        document_id=str(document.id),
        kind=document.kind,
        content_type=document.content_type,
        filename=f"{document.kind}.{EXTENSIONS.get(document.content_type, 'bin')}",
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )
