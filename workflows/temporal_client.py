"""How every process talks to Temporal: one data converter for the API, the workers and the replayer."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec
from temporalio.runtime import Runtime

TASK_QUEUE = "scr-cases"
SEARCH_ATTRIBUTES = {
    "ScrStage": "Keyword",
    "ScrNextDeadline": "Datetime",
    "ScrOverdue": "Bool",
    "ScrBoard": "Keyword",
}


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """Pydantic payloads, encrypted by ``codec`` (see ``workflows.payload_codec``); failure messages and stack
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


def case_workflow_id(reference: str) -> str:
    return f"scr-case-{reference}"
