"""AES-256-GCM encryption of every Temporal payload, with key ids so keys can be rotated.

The Temporal server (and anyone reading its database or the Web UI without the codec) sees only
``encoding: binary/encrypted``, ``encryption-key-id: <id>`` and ciphertext. Each encoded payload's data is a
fresh 96-bit nonce followed by the AES-GCM ciphertext of the original payload (metadata and data, as its
protobuf bytes), authenticated together with the key id.

Rotation: encryption always uses the *active* key; every key in the ring still decrypts. To rotate, put the
new key first in ``SCR_PAYLOAD_KEYS`` and keep the old ones for as long as histories encrypted with them
exist (cases live for years: in practice, keep them).

Payloads without the encrypted encoding decode unchanged: histories recorded before encryption (such as the
saved ones in ``tests/histories/``) still replay.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = "binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_SIZE = 32
_NONCE_SIZE = 12
_AAD_PREFIX = b"scr-payload-v1|"


class PayloadDecryptionError(Exception):
    """An encrypted payload cannot be decrypted: tampered with, truncated, or encrypted with another key."""


class UnknownPayloadKeyError(PayloadDecryptionError):
    """An encrypted payload names a key id this process does not have."""


class PayloadKeySource(Protocol):
    """What the codec needs from the service settings (``store.settings.Settings`` provides it)."""

    def payload_key_ring(self) -> tuple[str, Mapping[str, bytes]]:
        """The active key id and every key id → 32-byte key that may still decrypt."""
        ...


class AesGcmPayloadCodec(PayloadCodec):
    """Encrypts with the active key; decrypts with whichever key a payload names."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"The active payload key id {active_key_id!r} is not among the keys given.")
        for key_id, key in keys.items():
            if not key_id or any(c in key_id for c in ":, \t\n"):
                raise ValueError(f"Payload key id {key_id!r} must be non-empty, without ':', ',' or spaces.")
            if len(key) != KEY_SIZE:
                raise ValueError(f"Payload key {key_id!r} has {len(key)} bytes; AES-256 needs {KEY_SIZE}.")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active_key_id = active_key_id

    @property
    def active_key_id(self) -> str:
        return self._active_key_id

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._active_key_id
        nonce = os.urandom(_NONCE_SIZE)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(key_id))
        return Payload(
            metadata={"encoding": ENCODING.encode(), KEY_ID_METADATA: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING.encode():
            return payload  # not ours: plaintext from before encryption, or another encoding; leave it
        raw_key_id = payload.metadata.get(KEY_ID_METADATA)
        if raw_key_id is None:
            raise PayloadDecryptionError(f"An encrypted payload has no '{KEY_ID_METADATA}' metadata.")
        key_id = raw_key_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            known = ", ".join(sorted(self._ciphers))
            raise UnknownPayloadKeyError(
                f"A payload was encrypted with key id {key_id!r}, which this process does not have "
                f"(it has: {known}). Add that key to SCR_PAYLOAD_KEYS; keep retired keys after a rotation."
            )
        if len(payload.data) <= _NONCE_SIZE:
            raise PayloadDecryptionError(f"An encrypted payload (key id {key_id!r}) is truncated.")
        try:
            plain = cipher.decrypt(payload.data[:_NONCE_SIZE], payload.data[_NONCE_SIZE:], _aad(key_id))
        except InvalidTag:
            raise PayloadDecryptionError(
                f"An encrypted payload (key id {key_id!r}) failed authentication: it was altered, or the key "
                "configured under that id is not the one it was encrypted with."
            ) from None
        return Payload.FromString(plain)


def _aad(key_id: str) -> bytes:
    return _AAD_PREFIX + key_id.encode()


def codec_from_settings(settings: PayloadKeySource) -> AesGcmPayloadCodec:
    """The one place a process turns its settings into the payload codec (API, worker, ``scr dev``, tests)."""
    active_key_id, keys = settings.payload_key_ring()
    return AesGcmPayloadCodec(keys, active_key_id)
