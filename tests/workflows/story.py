"""A small language for lifecycle scenarios: one case, real worker, real SQLite and SMTP, a virtual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import holidays
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.case_messages import CaseState, DeadlineRecord
from domain.decision_inputs import (
    AgreeActionPlanInput,
    AppointReviewersInput,
    DecideChairInput,
    DecisionInput,
    PlannedAction,
    QualityCheck,
    RecordPanelAdviceInput,
    RecordQualityAssuranceInput,
    Reviewer,
    StartReviewInput,
    SubmitFinalReportInput,
)
from domain.quality import QUALITY_RULES
from domain.uk_time import LONDON, london_date
from store.document_store import FilesystemDocumentStore
from store.settings import Settings
from tests.support.case_harness import actor, decide, open_case, screen
from tests.support.publication_harness import CLEAN_RESPONSE, CLEAN_SUMMARY, add_document, record_identifiers
from tests.support.services import MailBox
from workflows.case_workflow import ScrCaseWorkflow


def oracle_working_days(day: date, n: int) -> date:
    """An independent count of England & Wales working days (n > 0 after ``day``, n < 0 before it)."""
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(day.year - 1, day.year + 2))
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if day.weekday() < 5 and day not in bank:
            remaining -= 1
    return day


class Story:
    def __init__(self, env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, mail: MailBox) -> None:
        self.env = env
        self.engine = engine
        self.settings = settings
        self.mail = mail
        self.handle: WorkflowHandle[ScrCaseWorkflow, None] | None = None

    @property
    def case(self) -> WorkflowHandle[ScrCaseWorkflow, None]:
        assert self.handle is not None, "open the case first"
        return self.handle

    async def today(self) -> date:
        return london_date(await self.env.get_current_time())

    async def go_to(self, day: date, hour: int = 10) -> None:
        """Let the virtual clock run to ``hour`` o'clock London time on ``day``; timers fire on the way."""
        target = datetime.combine(day, time(hour), LONDON).astimezone(UTC)
        now = await self.env.get_current_time()
        assert target > now, f"the story cannot go back in time to {day}"
        await self.env.sleep(target - now)

    async def open(
        self, incident: dict[str, Any], aware_on: date | None = None, notified_on: date | None = None
    ) -> CaseState:
        aware_on = aware_on or await self.today()
        self.handle = await open_case(
            self.env.client,
            self.engine,
            self.settings,
            incident=incident,
            aware_on=aware_on,
            notified_on=notified_on or aware_on,
        )
        return await self.case.execute_update(ScrCaseWorkflow.registered)

    async def by(self, role: str, decision: DecisionInput, user: str = "staff") -> CaseState:
        return await decide(self.case, actor(role, user), decision)

    async def refused(self, role: str, decision: DecisionInput) -> ApplicationError:
        with pytest.raises(WorkflowUpdateFailedError) as caught:
            await decide(self.case, actor(role), decision)
        assert isinstance(caught.value.cause, ApplicationError)
        return caught.value.cause

    async def state(self) -> CaseState:
        return await self.case.query(ScrCaseWorkflow.state)

    async def deadline(self, key: str) -> DeadlineRecord:
        return {d.key: d for d in (await self.state()).deadlines}[key]

    async def deadline_becomes(self, key: str, status: str, seconds: float = 20.0) -> DeadlineRecord:
        """The workflow records a notice's effect just after sending it: wait for the deadline to follow."""
        deadline = asyncio.get_running_loop().time() + seconds
        while (record := await self.deadline(key)).status != status:
            assert asyncio.get_running_loop().time() < deadline, f"{key} is {record.status}, not {status}"
            await asyncio.sleep(0.05)
        return record

    def mails(self, containing: str = "") -> list[EmailMessage]:
        return [m for m in self.mail.messages() if containing in str(m["Subject"])]

    async def wait_for_mail(self, containing: str, count: int = 1, seconds: float = 20.0) -> list[EmailMessage]:
        """Notices go out after the decision returns: wait for ``count`` whose subject contains the text."""
        deadline = asyncio.get_running_loop().time() + seconds
        while len(found := self.mails(containing)) < count:
            if asyncio.get_running_loop().time() > deadline:
                subjects = [str(m["Subject"]) for m in self.mail.messages()]
                raise AssertionError(f"{count} x '{containing}' not sent within {seconds}s; sent: {subjects}")
            await asyncio.sleep(0.05)
        return found

    async def prepare_publication(self) -> None:
        """What the gate needs before anything is published: the identifiers recorded on the case, and clean
        overview report, executive summary and board's response documents."""
        reference = (await self.state()).reference
        await record_identifiers(self.engine, reference)
        store = FilesystemDocumentStore(self.settings.document_dir)
        for kind, text in (
            ("overview_report", "# Overview report\n\nChild J died in 2016. Agencies did not share information.\n"),
            ("executive_summary", CLEAN_SUMMARY),
            ("board_response", CLEAN_RESPONSE),
        ):
            await add_document(self.engine, store, reference, kind, text.encode(), "text/markdown", f"{kind}.md")

    # -- common stretches of the road --------------------------------------------------------------------

    async def to_review(self, incident: dict[str, Any]) -> CaseState:
        """Opened, screened, initiated, reviewers named, panel advised, review started."""
        await self.open(incident)
        await screen(self.case)
        await self.by("independent_chair", DecideChairInput(decision="initiate_scr", rationale="Criteria met"))
        reviewer = Reviewer(name="R. Reviewer", organisation="Independent", independence_statement="No prior role")
        await self.by("business_manager", AppointReviewersInput(reviewers=[reviewer]))
        await self.by("business_manager", RecordPanelAdviceInput(outcome="agrees", advice="Content with reviewer"))
        return await self.by("independent_chair", StartReviewInput(rationale="Panel content"))

    async def to_publication_decision(
        self, incident: dict[str, Any], actions_due_in: tuple[int, ...] = (60,)
    ) -> CaseState:
        await self.to_review(incident)
        await self.by("lead_reviewer", SubmitFinalReportInput(document="doc-overview-1", summary="Final report"))
        await self.by("sub_group", passing_quality())
        today = await self.today()
        actions = [
            PlannedAction(
                action_id=f"A{i + 1}",
                description="Improve information sharing",
                owner_agency="Children's Services",
                due_on=today + timedelta(days=days),
                success_criteria="Audit shows improvement",
            )
            for i, days in enumerate(actions_due_in)
        ]
        return await self.by("sub_group", AgreeActionPlanInput(actions=actions))


def passing_quality(**failures: str) -> RecordQualityAssuranceInput:
    checks = {
        rule: QualityCheck(passed=rule not in failures, comment=failures.get(rule, "Meets the standard"))
        for rule in QUALITY_RULES
    }
    return RecordQualityAssuranceInput(checks=checks)


async def full_case(story: Story) -> None:
    """The happy path from notification to closure, publication and removal included."""
    from domain.decision_inputs import (
        CloseCaseInput,
        DecidePublicationInput,
        RecordActionProgressInput,
        RecordPrepublicationInput,
        RecordPublishedInput,
        RemoveFromWebsiteInput,
    )

    await story.to_publication_decision({"outcome": "died", "abuse_or_neglect": "known"}, actions_due_in=(90,))
    await story.prepare_publication()  # the pre-publication copies carry the documents
    publication_on = await story.today() + timedelta(days=30)
    await story.by(
        "independent_chair", DecidePublicationInput(decision="publish", publication_on=publication_on, reasons="Ready")
    )
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
        await story.by("business_manager", RecordPrepublicationInput(item=item, note="Done"))
    await story.by("independent_chair", RecordPrepublicationInput(item="chair_consent", note="Given"))
    await story.deadline_becomes("prepublication_notice", "met")  # the copies have reached all three
    await story.go_to(publication_on)
    await story.by("publisher", RecordPublishedInput())
    await story.by("sub_group", RecordActionProgressInput(action_id="A1", progress="Done", complete=True))
    await story.go_to(publication_on + timedelta(days=370))
    await story.by("publisher", RemoveFromWebsiteInput(reason="Twelve months and actions complete"))
    await story.by("independent_chair", CloseCaseInput(learning_summary="Learning recorded"))
    await story.case.result()
