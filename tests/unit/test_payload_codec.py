"""The AES-GCM payload codec, its keys from the settings, and failures encoded through the data converter."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from store.payload_codec import (
    ENCODING,
    KEY_ID_METADATA,
    AesGcmPayloadCodec,
    PayloadDecryptionError,
    UnknownPayloadKeyError,
    codec_from_settings,
)
from store.settings import DEV_PAYLOAD_KEY_ID, Settings
from store.temporal_client import data_converter
from tests.support.payload_keys import TEST_KEY_ID, encrypting_codec

SECRET = "Zebedee Quartermaine"


def _key() -> bytes:
    return os.urandom(32)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _plain(text: str = SECRET) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([{"note": text}])[0]


async def test_round_trip_hides_the_payload_and_restores_it_exactly() -> None:
    codec = encrypting_codec()
    original = _plain()
    [encoded] = await codec.encode([original])
    assert encoded.metadata["encoding"] == ENCODING.encode()
    assert encoded.metadata[KEY_ID_METADATA] == TEST_KEY_ID.encode()
    assert set(encoded.metadata) == {"encoding", KEY_ID_METADATA}
    assert SECRET.encode() not in encoded.SerializeToString()
    assert b"json/plain" not in encoded.SerializeToString()  # the inner metadata is encrypted too
    [decoded] = await codec.decode([encoded])
    assert decoded == original


async def test_each_encryption_uses_a_fresh_nonce() -> None:
    codec = encrypting_codec()
    first, second = await codec.encode([_plain(), _plain()])
    assert first.data != second.data
    assert await codec.decode([first, second]) == [_plain(), _plain()]


async def test_rotation_old_keys_still_decrypt_and_new_payloads_use_the_new_key() -> None:
    old, new = _key(), _key()
    before = codec_from_settings(Settings(payload_keys=f"k0:{_b64(old)}"))
    [sealed_with_k0] = await before.encode([_plain()])

    after = codec_from_settings(Settings(payload_keys=f"k1:{_b64(new)},k0:{_b64(old)}"))
    assert after.active_key_id == "k1"
    assert await after.decode([sealed_with_k0]) == [_plain()]
    [sealed_with_k1] = await after.encode([_plain()])
    assert sealed_with_k1.metadata[KEY_ID_METADATA] == b"k1"

    retired = codec_from_settings(Settings(payload_keys=f"k1:{_b64(new)}"))
    with pytest.raises(UnknownPayloadKeyError, match=r"key id 'k0'.*SCR_PAYLOAD_KEYS"):
        await retired.decode([sealed_with_k0])


async def test_tampering_is_detected() -> None:
    codec = encrypting_codec()
    [sealed] = await codec.encode([_plain()])

    flipped = Payload()
    flipped.CopyFrom(sealed)
    data = bytearray(sealed.data)
    data[-1] ^= 0x01
    flipped.data = bytes(data)
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.decode([flipped])

    truncated = Payload()
    truncated.CopyFrom(sealed)
    truncated.data = sealed.data[:8]
    with pytest.raises(PayloadDecryptionError, match="truncated"):
        await codec.decode([truncated])

    # The same bytes claimed under another key id fail too: the key id is authenticated with the data.
    two_keys = AesGcmPayloadCodec({"a": _key(), "b": _key()}, "a")
    [under_a] = await two_keys.encode([_plain()])
    relabelled = Payload()
    relabelled.CopyFrom(under_a)
    relabelled.metadata[KEY_ID_METADATA] = b"b"
    with pytest.raises(PayloadDecryptionError):
        await two_keys.decode([relabelled])

    no_key_id = Payload(metadata={"encoding": ENCODING.encode()}, data=sealed.data)
    with pytest.raises(PayloadDecryptionError, match="no 'encryption-key-id'"):
        await codec.decode([no_key_id])


async def test_payloads_that_are_not_encrypted_pass_through_decode_unchanged() -> None:
    codec = encrypting_codec()
    plain = _plain()
    null = pydantic_data_converter.payload_converter.to_payloads([None])[0]
    assert await codec.decode([plain, null]) == [plain, null]
    # ... so a converter with the codec reads plaintext written before encryption was turned on.
    converter = data_converter(codec)
    assert await converter.decode([plain]) == [{"note": SECRET}]


async def test_failure_messages_and_stack_traces_are_encrypted() -> None:
    converter = data_converter(encrypting_codec())
    try:
        raise ApplicationError(f"Rationale mentions {SECRET}", {"detail": SECRET}, type="Refused")
    except ApplicationError as error:
        failure = Failure()
        await converter.encode_failure(error, failure)
    raw = failure.SerializeToString()
    assert SECRET.encode() not in raw
    assert failure.message == "Encoded failure"
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING.encode()
    assert failure.application_failure_info.type == "Refused"  # the type stays readable for retry policies

    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError)
    assert decoded.message == f"Rationale mentions {SECRET}"
    assert decoded.details == ({"detail": SECRET},)


def test_the_codec_refuses_bad_keys() -> None:
    with pytest.raises(ValueError, match="active payload key id 'x'"):
        AesGcmPayloadCodec({"a": _key()}, "x")
    with pytest.raises(ValueError, match="16 bytes"):
        AesGcmPayloadCodec({"a": os.urandom(16)}, "a")


def test_dev_mode_without_keys_uses_the_labelled_dev_key() -> None:
    codec = codec_from_settings(Settings())
    assert codec.active_key_id == DEV_PAYLOAD_KEY_ID == "dev-insecure"


def test_production_refuses_to_start_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="SCR_ENVIRONMENT=production needs payload encryption keys"):
        Settings(environment="production")
    monkeypatch.setenv("SCR_ENVIRONMENT", "production")
    monkeypatch.delenv("SCR_PAYLOAD_KEYS", raising=False)
    with pytest.raises(ValidationError, match="SCR_PAYLOAD_KEYS"):
        Settings()
    key = _b64(_key())
    monkeypatch.setenv("SCR_PAYLOAD_KEYS", f"prod-2026:{key}")
    assert codec_from_settings(Settings()).active_key_id == "prod-2026"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("k1", "not '<key id>:<base64 key>'"),
        ("k1:not base64!", "not valid base64"),
        (f"k1:{_b64(os.urandom(16))}", "16 bytes"),
        (f"k1:{_b64(os.urandom(32))},k1:{_b64(os.urandom(32))}", "appears twice"),
        (" , ", "no keys given"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(spec: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        Settings(payload_keys=spec)
    if ":" in spec:
        assert spec.split(":", 1)[1].split(",")[0] not in str(refused.value)
