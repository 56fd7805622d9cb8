"""How every process talks to Temporal: one data converter for the API, the workers and the replayer."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

TASK_QUEUE = "scr-cases"
SEARCH_ATTRIBUTES = {
    "ScrStage": "Keyword",
    "ScrNextDeadline": "Datetime",
    "ScrOverdue": "Bool",
    "ScrBoard": "Keyword",
}


def data_converter() -> DataConverter:
    return pydantic_data_converter


async def connect(address: str, namespace: str) -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=data_converter())


def case_workflow_id(reference: str) -> str:
    return f"scr-case-{reference}"
