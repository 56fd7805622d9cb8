"""The notices a case owes, sent in order: each to all its recipients; one that cannot be delivered is recorded
on the case (and escalated to the business manager), never fatal to the case."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.activity_contracts import SEND_NOTICE
    from domain.case_messages import NoticeKind, SendNoticeInput
    from domain.lifecycle import NoticeRequest, Outcome
    from domain.roles import Role

from workflows import activity_calls
from workflows.case_options import ACTIVITY_TIMEOUT, ESCALATE_UNDELIVERED, PARALLEL_NOTICES, PATIENT_RETRY

Delivered = Callable[[NoticeRequest, str, str | None], Awaitable[None]]
"""Told of each recipient of a tracked notice: the notice, the recipient, and the refusal (None: delivered)."""


class NoticeOutbox:
    def __init__(
        self,
        reference: str,
        record: Callable[[Outcome], Awaitable[None]],
        *,
        delivered: Delivered | None = None,
        already_met: Callable[[NoticeRequest, str], bool] | None = None,
    ) -> None:
        self._reference = reference
        self._record = record  # writes an event to the case register
        # Told of each delivery that meets a deadline (``NoticeRequest.meets``) and of each delivery or refusal of a
        # tracked notice (the pre-publication copies); a recipient whose deadline is already met (e.g. the local
        # authority told Ofsted) is not sent a copy.
        self._delivered = delivered
        self._already_met = already_met
        self._pending: list[NoticeRequest] = []

    def __bool__(self) -> bool:
        return bool(self._pending)

    def extend(self, notices: Iterable[NoticeRequest]) -> None:
        self._pending.extend(notices)

    async def send_all(self) -> None:
        while self._pending:
            await self.send(self._pending.pop(0))

    async def send(self, notice: NoticeRequest) -> bool:
        """Send a notice to each recipient; True when every one of them got it."""
        if workflow.patched(PARALLEL_NOTICES):
            sent = await asyncio.gather(*(self._send_to(notice, recipient) for recipient in notice.recipients))
        else:
            sent = [await self._send_to(notice, recipient) for recipient in notice.recipients]
        return all(sent)

    async def _send_to(self, notice: NoticeRequest, recipient: str) -> bool:
        what = notice.kind.value.replace("_", " ")
        meets = recipient in notice.meets
        if meets and self._already_met is not None and self._already_met(notice, recipient):
            await self._record(
                Outcome(
                    "notice_skipped",
                    f"{what} not sent to {recipient}: it already has it",
                    details={"recipient": recipient},
                )
            )
            return True
        try:
            await activity_calls.execute(
                SEND_NOTICE,
                SendNoticeInput(
                    reference=self._reference,
                    kind=notice.kind,
                    occurrence=notice.occurrence,
                    recipient=recipient,
                    facts=notice.facts,
                    attachments=list(notice.attachments),
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=PATIENT_RETRY,
                summary=f"{what} to {recipient}",
            )
            if (meets or notice.track_delivery) and self._delivered is not None:
                await self._delivered(notice, recipient, None)
            return True
        except ActivityError as error:
            cause = error.cause
            reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
            await self._record(
                Outcome(
                    "notice_failed",
                    f"{what} to {recipient} could not be delivered; the business manager must send it by hand",
                    details={"reason": reason, "recipient": recipient},
                )
            )
            manager = Role.BUSINESS_MANAGER.value
            if recipient != manager and workflow.patched(ESCALATE_UNDELIVERED):
                facts = {"notice": what, "recipient": recipient.replace("_", " ")}
                occurrence = f"{notice.kind.value}:{recipient}:{notice.occurrence}"
                self._pending.append(NoticeRequest(NoticeKind.NOTICE_UNDELIVERED, (manager,), occurrence, facts))
            if notice.track_delivery and self._delivered is not None:
                await self._delivered(notice, recipient, reason)
            return False
