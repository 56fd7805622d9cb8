"""Where documents' bytes live: content-addressed by SHA-256, so the same bytes are stored once and a document
can never change under its id. The filesystem store is the default; an object store implements the same
Protocol (``put`` and ``get``)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from store.settings import Settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentNotFoundError(LookupError):
    pass


class DocumentCorruptedError(RuntimeError):
    """The stored bytes no longer hash to their name."""


@runtime_checkable
class DocumentStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent) and return its SHA-256 (lower-case hex)."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; DocumentNotFoundError when absent."""
        ...


def check_sha256(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 digest (64 lower-case hex characters)")
    return sha256


class FilesystemDocumentStore:
    """``<root>/ab/cd/abcd…`` (the digest is the only name used on disk; never a client's filename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put, data)

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._get, sha256)

    def _put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == digest:
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)  # atomic: readers see nothing or the whole document
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def _get(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise DocumentNotFoundError(f"no document stored under {sha256}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise DocumentCorruptedError(f"the document stored under {sha256} is corrupted")
        return data


def document_store_from_settings(settings: Settings) -> DocumentStore:
    return FilesystemDocumentStore(settings.document_dir)
