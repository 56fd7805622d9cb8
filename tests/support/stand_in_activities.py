"""Stand-in activities registered under the real contracts' names: the case workflow runs against them in
milliseconds, with no database or mail server, and the tests read what it asked for.

Deadlines are resolved by the real (pure) rule-pack calculation, so clocks fall on the dates the real worker
would give them; the register, mail and the website are lists.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.deadline_activities import schedule_deadlines
from domain.activity_contracts import (
    COMPUTE_CASE_DEADLINES,
    PREPARE_COPIES,
    PUBLISH_REVIEW,
    RECORD_CASE_EVENT,
    REMOVE_REVIEW,
    SEND_NOTICE,
)
from domain.case_contract import case_workflow_id
from domain.case_file import CaseWorkflowInput
from domain.case_messages import (
    Actor,
    ComputeDeadlinesInput,
    NoticeResult,
    OfstedNotifiedByLA,
    OpenCaseInput,
    RecordCaseEventInput,
    ScheduledDeadline,
    SendNoticeInput,
)
from domain.criteria import IncidentFacts
from domain.documents import kinds_to_publish
from domain.publication_messages import (
    CopyDocument,
    PrepareCopiesInput,
    PreparedCopies,
    PublicationHitSummary,
    PublishReviewInput,
    PublishReviewResult,
    RemoveReviewInput,
)
from domain.roles import Role
from domain.rule_pack import SCR_2015
from workflows.case_workflow import ScrCaseWorkflow


@dataclass
class StandIns:
    """What the workflow asked of its activities, in order, and how the stand-ins answer."""

    refused_recipients: set[str] = field(default_factory=set)  # send_notice fails for good for these
    gate_hits: list[PublicationHitSummary] = field(default_factory=list)  # publish_review blocks with these
    resolved: list[ComputeDeadlinesInput] = field(default_factory=list)
    events: list[RecordCaseEventInput] = field(default_factory=list)
    notices: list[SendNoticeInput] = field(default_factory=list)
    published: list[PublishReviewInput] = field(default_factory=list)
    removed: list[RemoveReviewInput] = field(default_factory=list)
    # The documents uploaded, by kind (document id, sha256): what prepare_prepublication_copies finds.
    uploads: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            k.value: (str(n), f"{n:x}" * 64) for n, k in enumerate(kinds_to_publish(withheld=False), 1)
        }
    )

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]

    def sent(self) -> list[tuple[str, str]]:
        return [(notice.kind.value, notice.recipient) for notice in self.notices]

    def activities(self) -> list[Callable[..., object]]:
        @activity.defn(name=COMPUTE_CASE_DEADLINES.name)
        async def compute_case_deadlines(data: ComputeDeadlinesInput) -> list[ScheduledDeadline]:
            self.resolved.append(data)
            return schedule_deadlines(data)

        @activity.defn(name=RECORD_CASE_EVENT.name)
        async def record_case_event(data: RecordCaseEventInput) -> bool:
            if any(event.business_key == data.business_key for event in self.events):
                return False
            self.events.append(data)
            return True

        @activity.defn(name=SEND_NOTICE.name)
        async def send_notice(data: SendNoticeInput) -> NoticeResult:
            if data.recipient in self.refused_recipients:
                raise ApplicationError("550 mailbox unavailable", type="Undeliverable", non_retryable=True)
            self.notices.append(data)
            key = f"{data.reference}:{data.kind.value}:{data.occurrence}:{data.recipient}"
            return NoticeResult(business_key=key, message_id=f"<{uuid.uuid4().hex}@stand-in>", newly_sent=True)

        @activity.defn(name=PREPARE_COPIES.name)
        async def prepare_copies(data: PrepareCopiesInput) -> PreparedCopies:
            wanted = [k.value for k in kinds_to_publish(withheld=data.withheld)]
            missing = [kind for kind in wanted if kind not in self.uploads]
            if missing:
                return PreparedCopies(missing=missing)
            return PreparedCopies(
                documents=[
                    CopyDocument(document_id=self.uploads[k][0], kind=k, sha256=self.uploads[k][1]) for k in wanted
                ]
            )

        @activity.defn(name=PUBLISH_REVIEW.name)
        async def publish_review(data: PublishReviewInput) -> PublishReviewResult:
            changed = [c.kind for c in data.delivered or [] if self.uploads.get(c.kind) != (c.document_id, c.sha256)]
            if changed:
                return PublishReviewResult(published=False, changed=changed)
            if self.gate_hits:
                return PublishReviewResult(published=False, hits=self.gate_hits)
            self.published.append(data)
            return PublishReviewResult(published=True, location=f"/public/reviews/{data.reference}/")

        @activity.defn(name=REMOVE_REVIEW.name)
        async def remove_review(data: RemoveReviewInput) -> None:
            self.removed.append(data)

        return [compute_case_deadlines, record_case_event, send_notice, prepare_copies, publish_review, remove_review]


@contextlib.asynccontextmanager
async def stand_in_worker(client: Client, stand_ins: StandIns) -> AsyncIterator[str]:
    """A worker for the case workflow with the stand-ins on a task queue of its own; yields the queue. Cases
    still running at the end are terminated, so none is left holding up the time-skipping server."""
    task_queue = f"fast-{uuid.uuid4().hex[:8]}"
    # In the SDK's sandbox (off in production by default): the fast tier runs every workflow path there, so a
    # clock, network or database read in workflow code fails a test.
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[ScrCaseWorkflow],
        activities=stand_ins.activities(),
        workflow_runner=SandboxedWorkflowRunner(),
    )
    async with worker:
        try:
            yield task_queue
        finally:
            for workflow_id in STARTED.pop(task_queue, []):
                with contextlib.suppress(RPCError):  # already finished
                    await client.get_workflow_handle(workflow_id).terminate("test finished")


STARTED: dict[str, list[str]] = {}  # workflow ids per task queue (the Java test server cannot list workflows)


async def open_case(
    client: Client,
    task_queue: str,
    *,
    incident: Mapping[str, object],
    aware_on: date,
    notified_on: date | None = None,
    ofsted_notified: OfstedNotifiedByLA | None = None,
) -> WorkflowHandle[ScrCaseWorkflow, None]:
    """Start a case as the API does, and wait until it is registered (opened, its deadlines resolved)."""
    reference = f"FAST-{aware_on.year}-{random.randrange(10**5, 10**6)}"
    opening = OpenCaseInput(
        reference=reference,
        board="FAST",
        aware_on=aware_on,
        notified_on=notified_on or aware_on,
        ofsted_notified=ofsted_notified,
        incident=IncidentFacts.model_validate(incident),
        rule_pack=SCR_2015.name,
        rule_pack_version=SCR_2015.version,
        opened_by=Actor(user="bob", role=Role.BUSINESS_MANAGER),
    )
    handle = await client.start_workflow(
        ScrCaseWorkflow.run, CaseWorkflowInput(opening=opening), id=case_workflow_id(reference), task_queue=task_queue
    )
    STARTED.setdefault(task_queue, []).append(handle.id)
    await handle.execute_update(ScrCaseWorkflow.registered)
    return handle
