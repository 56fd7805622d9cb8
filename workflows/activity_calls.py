"""Typed activity calls by contract (``domain/activity_contracts.py``): the name and the result type come from
the contract, and the argument and result are checked against it by mypy."""

from __future__ import annotations

from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import ActivityContract

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741


async def execute(contract: ActivityContract[I, O], arg: I, **options: Any) -> O:
    result: O = await workflow.execute_activity(contract.name, arg, result_type=contract.output, **options)
    return result


async def execute_local(contract: ActivityContract[I, O], arg: I, **options: Any) -> O:
    result: O = await workflow.execute_local_activity(contract.name, arg, result_type=contract.output, **options)
    return result
