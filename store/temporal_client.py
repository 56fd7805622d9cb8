"""How every process talks to Temporal: one data converter for the API, the workers and the replayer.

Below the API and the workers alike (no workflow code here); what the case workflow is called, its ids and its
search attributes are in ``domain/case_contract.py``."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec
from temporalio.runtime import Runtime

TASK_QUEUE = "scr-cases"


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """Pydantic payloads, encrypted by ``codec`` (see ``store.payload_codec``); failure messages and stack
    traces move into an encoded attribute so the codec encrypts them too. ``None`` only for tools that must see
    the raw payloads."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(
    address: str,
    namespace: str,
    codec: PayloadCodec | None,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client with the shared data converter; workers pass their own ``runtime`` (metrics) and interceptors."""
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=data_converter(codec),
        runtime=runtime,
        interceptors=interceptors,
    )
