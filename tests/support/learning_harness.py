"""A case register with a year of history, for the learning summary's tests.

:class:`RegisterStory` writes one case the way the case workflow writes it (the lifecycle rules decide, the deadline
resolver computes the dates, the register activity records each event with the case's snapshot), without
Temporal, so months of history take milliseconds and every row has the shape the real workflow gives it.

:func:`populate_year` lays down the cases the tests' hand-computed figures describe (see its docstring).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine

from activities.deadline_activities import schedule_deadlines
from activities.register_activities import RegisterActivities
from domain import lifecycle
from domain.case_file import CaseFile
from domain.case_messages import Actor, ComputeDeadlinesInput, RecordCaseEventInput, ScheduledDeadline
from domain.criteria import IncidentFacts, assess
from domain.decision_inputs import (
    AgreeActionPlanInput,
    AppointReviewersInput,
    CompleteAlternativeReviewInput,
    DecideChairInput,
    DecidePublicationInput,
    DecideScrutinyInput,
    DecisionInput,
    PlannedAction,
    QualityCheck,
    RecordActionProgressInput,
    RecordPanelAdviceInput,
    RecordPrepublicationInput,
    RecordPublishedInput,
    RecordQualityAssuranceInput,
    RecordReviewDelayInput,
    RecordScreeningInput,
    Reviewer,
    StartReviewInput,
    SubmitFinalReportInput,
)
from domain.lifecycle import SYSTEM, EffectResults, Outcome, PublishReview, ResolveDeadlines
from domain.lifecycle.views import snapshot
from domain.publication_messages import PublishReviewResult
from domain.quality import QUALITY_RULES
from domain.roles import Role
from domain.rule_pack import SCR_2015, CaseEvent
from domain.stages import Stage
from domain.uk_time import LONDON, end_of_day, london_date
from store import register
from store.database import session_factory
from tests.support.publication_harness import FAMILY, record_identifiers

DEATH = {"outcome": "died", "abuse_or_neglect": "known"}
NOT_NOTIFIABLE = {"outcome": "seriously_harmed", "abuse_or_neglect": "not_suspected"}

CLEAN_FINDING = "Agencies did not share what they knew about the family's moves between areas."
PLANTED_FINDING = "Health visitors saw Jayden often but did not share their concerns with the school nurse."
INTERIM_LEARNING = "Referrals were not followed up when families moved between areas."
ALTERNATIVE_LEARNING = "Good practice: the hospital's early-help referral reached the right team in a day."
PLANTED_ACTION = "Train staff to ask Kelly's question: who else knows this family?"


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), LONDON).astimezone(UTC)


class RegisterStory:
    """One case in a real register, decided and clocked the way ``ScrCaseWorkflow`` does it."""

    def __init__(self, engine: AsyncEngine, *, board: str, incident: Mapping[str, object]) -> None:
        self._sessions = session_factory(engine)
        self._recorder = RegisterActivities(self._sessions)
        self._board = board
        self._incident = IncidentFacts.model_validate(incident)
        self._case: CaseFile | None = None

    @property
    def case(self) -> CaseFile:
        assert self._case is not None, "open the case first"
        return self._case

    @property
    def reference(self) -> str:
        return self.case.reference

    async def open(self, aware_on: date, notified_on: date) -> str:
        async with self._sessions.begin() as session:
            row = await register.create_case(
                session,
                board=self._board,
                year=aware_on.year,
                idempotency_key=None,
                request_fingerprint="test",
                stage=Stage.NOTIFIED.value,
                rule_pack=SCR_2015.name,
                rule_pack_version=SCR_2015.version,
                aware_on=aware_on,
                notified_on=notified_on,
                incident=self._incident.model_dump(mode="json"),
                created_by="bob",
                workflow_id_for=lambda reference: f"scr-case-{reference}-{uuid.uuid4().hex[:6]}",
            )
        self._case = CaseFile(
            reference=row.reference,
            board=self._board,
            rule_pack=SCR_2015.name,
            rule_pack_version=SCR_2015.version,
            aware_on=aware_on,
            notified_on=notified_on,
            incident=self._incident,
            assessment=assess(self._incident),
        )
        now = at(notified_on)
        events = {CaseEvent.AWARE.value: aware_on, CaseEvent.NOTIFIED.value: notified_on}
        for deadline in schedule_deadlines(self._compute(events)):
            lifecycle.add_deadline(self.case, deadline, now)
        opened = Outcome("case_opened", "Case opened", details={"grounds": list(self.case.assessment.grounds)})
        await self._record(opened, now, assessment=self.case.assessment.model_dump(mode="json"))
        # As the case workflow opens a case: the LSCB told on notified_on, Ofsted when its notice arrives (at once).
        self.case.statutory_notices = True
        schedules = {deadline.key: deadline for deadline in schedule_deadlines(self._compute(events))}
        for outcome in lifecycle.incident.start_incident_deadlines(self.case, schedules, now):
            await self._record(outcome, now)
        if lifecycle.incident.incident_notice(self.case) is not None:
            met = lifecycle.incident.delivered(self.case, "notify_ofsted", "ofsted", now)
            if met is not None:
                await self._record(met, now)
        self.case.stage = Stage.SCREENING
        await self._record(Outcome("stage_changed", "Referral passed to the SCR sub-group"), now)
        return row.reference

    async def by(self, role: Role, decision: DecisionInput, on: date) -> None:
        """The decision on ``on`` at 10:00 UK time, after every clock due by then has run."""
        now = at(on)
        await self.until(now)
        actor = Actor(user="staff", role=role)
        today = london_date(now)
        lifecycle.check(self.case, actor, decision, today)
        # The decision's effects, as the workflow would run them, with the publisher standing in.
        schedules: list[ScheduledDeadline] = []
        publication = None
        for effect in lifecycle.declared_effects(self.case, decision, today):
            if isinstance(effect, ResolveDeadlines):
                schedules = schedule_deadlines(effect.request)
            elif isinstance(effect, PublishReview):
                location = f"/public/reviews/{self.reference}/"
                publication = PublishReviewResult(published=True, location=location)
        changed = self.case.model_copy(deep=True)
        outcome = lifecycle.apply(changed, actor, decision, now, EffectResults.of(schedules, publication))
        self._case = changed
        await self._record(outcome, now, actor)

    async def until(self, instant: datetime) -> None:
        """Run the case's clock (reminders, breaches) up to ``instant``."""
        while (event := lifecycle.next_clock_event(self.case)) is not None and event.at <= instant:
            outcome = lifecycle.fire_clock(self.case, event.key, event.at)
            if outcome is not None:
                await self._record(outcome, event.at)

    def _compute(self, events: dict[str, date]) -> ComputeDeadlinesInput:
        return ComputeDeadlinesInput(rule_pack=SCR_2015.name, rule_pack_version=SCR_2015.version, events=events)

    async def _record(
        self, outcome: Outcome, now: datetime, actor: Actor = SYSTEM, assessment: dict[str, object] | None = None
    ) -> None:
        case = self.case
        case.version += 1
        await self._recorder.record_case_event(
            RecordCaseEventInput(
                reference=case.reference,
                business_key=f"{case.reference}:{case.version}:{outcome.kind}",
                kind=outcome.kind,
                actor=actor,
                at=now,
                summary=outcome.summary,
                rationale=outcome.rationale,
                details=outcome.details,
                snapshot=snapshot(case),
                assessment=assessment,
            )
        )


# -- stretches of the road -----------------------------------------------------------------------------------

BM, SG, CHAIR = Role.BUSINESS_MANAGER, Role.SUB_GROUP, Role.INDEPENDENT_CHAIR


def passing_quality() -> RecordQualityAssuranceInput:
    return RecordQualityAssuranceInput(
        checks={rule: QualityCheck(passed=True, comment="Meets the standard") for rule in QUALITY_RULES}
    )


def action(action_id: str, due_on: date, description: str = "Share information at every transfer") -> PlannedAction:
    return PlannedAction(
        action_id=action_id,
        description=description,
        owner_agency="Children's Services",
        due_on=due_on,
        success_criteria="An audit of transfers shows the information went with the family",
    )


async def initiated(story: RegisterStory, *, screened: date, decided: date, review_starts: date) -> None:
    await story.by(SG, RecordScreeningInput(recommendation="initiate_scr", rationale="Criteria met"), screened)
    await story.by(CHAIR, DecideChairInput(decision="initiate_scr", rationale="Criteria met"), decided)
    reviewer = Reviewer(name="R. Reviewer", organisation="Independent", independence_statement="No prior role")
    await story.by(BM, AppointReviewersInput(reviewers=[reviewer]), decided)
    await story.by(BM, RecordPanelAdviceInput(outcome="agrees", advice="Content with the reviewer"), decided)
    await story.by(CHAIR, StartReviewInput(rationale="Panel content"), review_starts)


async def reported(story: RegisterStory, *, summary: str, submitted: date, accepted: date) -> None:
    await story.by(Role.LEAD_REVIEWER, SubmitFinalReportInput(document="overview-1", summary=summary), submitted)
    await story.by(SG, passing_quality(), accepted)


async def completed(story: RegisterStory, action_id: str, on: date) -> None:
    await story.by(SG, RecordActionProgressInput(action_id=action_id, progress="Done and audited", complete=True), on)


@dataclass(frozen=True)
class Year:
    """The references :func:`populate_year` created."""

    published: str  # A
    late: str  # B
    alternative: str  # C
    earlier: str  # D
    other_board: str  # E
    next_year: str  # F


async def populate_year(engine: AsyncEngine, *, board: str, year: int, other_board: str = "OTHER") -> Year:
    """Cases of ``board`` around ``year`` (Y), each decided on the dates below at 10:00 UK time.

    - A (died): aware 6 Jan, notified 8 Jan; chair initiates 20 Jan; report accepted 16 Jun (clean finding);
      plan 23 Jun: A1 due 30 Sep (done 15 Sep), A2 due 28 Nov (never done), A3 due 31 Mar Y+1; publication decided
      1 Jul for 15 Aug, published 15 Aug. Identifiers recorded (FAMILY).
    - B (died): aware 3 Mar, notified 5 Mar; chair decides late on 22 Apr (due 5 Apr); review overruns (interim
      learning 1 Oct; due 22 Oct); report accepted 20 Nov naming "Jayden"; plan 27 Nov: B1 due 27 Feb Y+1 naming
      "Kelly". Identifiers recorded (FAMILY).
    - C (not notifiable): aware and notified 1 May; alternative review decided 20 May, learning 1 Oct. No
      identifiers recorded.
    - D (died, Y-1): initiated 19 Feb Y-1; plan 22 Jul Y-1: D1 due 31 Oct Y-1 (done 1 Oct Y-1), D2 due 31 Mar
      (done 10 Feb), D3 due 30 Jun (never done).
    - E: like A's start, on ``other_board``. F: notified 5 Jan Y+1.
    Every clock then runs to the end of Y.
    """
    d = RegisterStory(engine, board=board, incident=DEATH)
    await d.open(date(year - 1, 2, 5), date(year - 1, 2, 6))
    await initiated(
        d, screened=date(year - 1, 2, 12), decided=date(year - 1, 2, 19), review_starts=date(year - 1, 3, 4)
    )
    await reported(d, summary=CLEAN_FINDING, submitted=date(year - 1, 7, 1), accepted=date(year - 1, 7, 15))
    plan = [action("D1", date(year - 1, 10, 31)), action("D2", date(year, 3, 31)), action("D3", date(year, 6, 30))]
    await d.by(SG, AgreeActionPlanInput(actions=plan), date(year - 1, 7, 22))
    await completed(d, "D1", date(year - 1, 10, 1))
    await completed(d, "D2", date(year, 2, 10))
    await record_identifiers(engine, d.reference)

    a = RegisterStory(engine, board=board, incident=DEATH)
    await a.open(date(year, 1, 6), date(year, 1, 8))
    await initiated(a, screened=date(year, 1, 15), decided=date(year, 1, 20), review_starts=date(year, 2, 3))
    await reported(a, summary=CLEAN_FINDING, submitted=date(year, 6, 2), accepted=date(year, 6, 16))
    plan = [action("A1", date(year, 9, 30)), action("A2", date(year, 11, 28)), action("A3", date(year + 1, 3, 31))]
    await a.by(SG, AgreeActionPlanInput(actions=plan), date(year, 6, 23))
    publish = DecidePublicationInput(decision="publish", publication_on=date(year, 8, 15), reasons="Ready")
    await a.by(CHAIR, publish, date(year, 7, 1))
    for item in ("professionals_informed", "family_supported", "media_strategy_ready"):
        await a.by(BM, RecordPrepublicationInput(item=item, note="Done"), date(year, 7, 8))
    await a.by(CHAIR, RecordPrepublicationInput(item="chair_consent", note="Given"), date(year, 7, 10))
    await a.by(Role.PUBLISHER, RecordPublishedInput(), date(year, 8, 15))
    await completed(a, "A1", date(year, 9, 15))
    await record_identifiers(engine, a.reference)

    b = RegisterStory(engine, board=board, incident=DEATH)
    await b.open(date(year, 3, 3), date(year, 3, 5))
    await initiated(b, screened=date(year, 3, 20), decided=date(year, 4, 22), review_starts=date(year, 5, 1))
    delay = RecordReviewDelayInput(
        reason="Criminal trial", interim_learning=INTERIM_LEARNING, corrective_actions="Memo"
    )
    await b.by(Role.LEAD_REVIEWER, delay, date(year, 10, 1))
    await reported(b, summary=PLANTED_FINDING, submitted=date(year, 11, 3), accepted=date(year, 11, 20))
    await b.by(
        SG, AgreeActionPlanInput(actions=[action("B1", date(year + 1, 2, 27), PLANTED_ACTION)]), date(year, 11, 27)
    )
    await record_identifiers(engine, b.reference, FAMILY)

    c = RegisterStory(engine, board=board, incident=NOT_NOTIFIABLE)
    await c.open(date(year, 5, 1), date(year, 5, 1))
    screening = RecordScreeningInput(recommendation="alternative_review", rationale="Learning about good practice")
    await c.by(SG, screening, date(year, 5, 12))
    await c.by(CHAIR, DecideChairInput(decision="alternative_review", rationale="Good practice"), date(year, 5, 20))
    # An alternative review is a decision not to initiate: the panel scrutinises it, the chair confirms it (001 §4).
    await c.by(BM, RecordPanelAdviceInput(outcome="agrees", advice="Proportionate"), date(year, 5, 27))
    await c.by(CHAIR, DecideScrutinyInput(outcome="confirm", rationale="Panel agrees"), date(year, 5, 28))
    await c.by(SG, CompleteAlternativeReviewInput(learning=ALTERNATIVE_LEARNING), date(year, 10, 1))

    e = RegisterStory(engine, board=other_board, incident=DEATH)
    await e.open(date(year, 1, 6), date(year, 1, 8))
    await initiated(e, screened=date(year, 1, 15), decided=date(year, 1, 20), review_starts=date(year, 2, 3))
    await record_identifiers(engine, e.reference)

    f = RegisterStory(engine, board=board, incident=DEATH)
    await f.open(date(year + 1, 1, 5), date(year + 1, 1, 5))

    year_end = end_of_day(date(year, 12, 31))
    for story in (a, b, c, d, e):
        await story.until(year_end)
    return Year(
        published=a.reference,
        late=b.reference,
        alternative=c.reference,
        earlier=d.reference,
        other_board=e.reference,
        next_year=f.reference,
    )
