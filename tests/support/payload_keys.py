"""The payload key every test runs with: the whole suite talks to Temporal with encryption on.

Fixed (not random) so that a history recorded by ``tests/support/record_history.py`` still decrypts when the replay
test reads it later. Public, like the dev key: never use it outside tests.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.history.v1 import MarkerRecordedEventAttributes
from temporalio.converter import DataConverter

from store.payload_codec import AesGcmPayloadCodec, codec_from_settings
from store.settings import Settings
from store.temporal_client import data_converter

TEST_KEY_ID = "test-k1"
TEST_KEY = hashlib.sha256(b"scr-lifecycle tests payload key k1 - public").digest()
TEST_PAYLOAD_KEYS = f"{TEST_KEY_ID}:{base64.b64encode(TEST_KEY).decode()}"
# Marker details the SDK's core writes itself as plain JSON, outside the codec: a patch's id, a local activity's
# sequence number, type and times. No case data (the encryption test searches the raw history for planted data).
SDK_MARKER_BOOKKEEPING = frozenset({"patch-data", "data"})


def encrypting_codec() -> AesGcmPayloadCodec:
    """Built the way every process builds it: from the settings."""
    return codec_from_settings(Settings(payload_keys=TEST_PAYLOAD_KEYS))


def encrypting_converter() -> DataConverter:
    return data_converter(encrypting_codec())


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere in a proto (e.g. a history event), except search attribute values (the server
    indexes those, so by design they are not encrypted, and carry no case data) and the SDK's marker bookkeeping."""
    if isinstance(message, Payload):
        yield message
        return
    if isinstance(message, SearchAttributes):
        return
    if isinstance(message, MarkerRecordedEventAttributes):
        for key, payloads in message.details.items():
            if key not in SDK_MARKER_BOOKKEEPING:
                yield from payloads_in(payloads)
        if message.HasField("failure"):
            yield from payloads_in(message.failure)
        return
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            items = [v for v in value.values() if isinstance(v, Message)]
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            yield from payloads_in(item)
