"""Writes a case's events to the register, in order, one writer at a time.

Every accepted decision, notice failure, clock event and stage change becomes the case's next version: the event
for the audit trail and the snapshot the register shows. Versions reach the register in order, so a snapshot
version there means every event up to it is there too (the API's read-your-writes relies on it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import RECORD_CASE_EVENT
    from domain.case_file import CaseFile
    from domain.case_messages import Actor, CaseSnapshot, RecordCaseEventInput
    from domain.lifecycle import SYSTEM, Outcome
    from domain.lifecycle.views import snapshot

from workflows import activity_calls
from workflows.case_options import ACTIVITY_TIMEOUT, ANSWER_FIRST, LOCAL_ACTIVITIES, PATIENT_RETRY


class CaseRegisterWriter:
    def __init__(self, case: Callable[[], CaseFile]) -> None:
        self._case = case  # the workflow's current case file (a decision replaces it with its changed copy)
        self._unrecorded: list[RecordCaseEventInput] = []  # taken, not yet in the register (oldest first)
        self._lock = asyncio.Lock()
        self._writer: asyncio.Task[None] | None = None  # the newest decision's register write (kept referenced)

    async def record(self, outcome: Outcome, actor: Actor = SYSTEM, assessment: dict[str, Any] | None = None) -> None:
        """Write the event now (opening, clocks, notices): behind any decisions still unwritten."""
        if workflow.patched(ANSWER_FIRST):
            self._unrecorded.append(self._event(outcome, actor, assessment or outcome.assessment))
            await self.flush(local=True)
            return
        event = self._event(outcome, actor, assessment)
        await self._write(event, local=workflow.patched(LOCAL_ACTIVITIES))

    def written(self) -> bool:
        """Every event taken so far is in the register."""
        return not self._unrecorded

    def record_decision(self, outcome: Outcome, actor: Actor, then: Callable[[], None] | None = None) -> CaseSnapshot:
        """Queue a decision's event and start writing it in a task of its own, so that neither the decision's
        answer nor notices still going out hold it up. Already durable in the workflow's history. ``then`` runs
        once it is written (in a later workflow task than the answer's). Returns the snapshot the event carries."""
        event = self._event(outcome, actor, outcome.assessment)
        self._unrecorded.append(event)
        self._writer = asyncio.create_task(self._flush_then(then))
        return event.snapshot

    async def _flush_then(self, then: Callable[[], None] | None) -> None:
        await self.flush()
        if then is not None:
            then()

    async def flush(self, *, local: bool = False) -> None:
        """Write the queued events, oldest first. After a decision, a regular activity: a local one would hold
        the workflow task, and the decision's answer with it."""
        async with self._lock:
            while self._unrecorded:
                await self._write(self._unrecorded[0], local=local)
                self._unrecorded.pop(0)

    def _event(self, outcome: Outcome, actor: Actor, assessment: dict[str, Any] | None = None) -> RecordCaseEventInput:
        """The next version of the case: the event and the snapshot it leaves, as the register will keep them."""
        case = self._case()
        case.version += 1
        return RecordCaseEventInput(
            reference=case.reference,
            business_key=f"{case.reference}:{case.version}:{outcome.kind}",
            kind=outcome.kind,
            actor=actor,
            at=outcome.at or workflow.now(),
            summary=outcome.summary,
            rationale=outcome.rationale,
            details=outcome.details,
            snapshot=snapshot(case),
            assessment=assessment,
            incident=outcome.incident,
        )

    @staticmethod
    async def _write(event: RecordCaseEventInput, *, local: bool) -> None:
        call = activity_calls.execute_local if local else activity_calls.execute
        await call(
            RECORD_CASE_EVENT,
            event,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=PATIENT_RETRY,
            summary=f"record: {event.summary[:80]}",
        )
