"""The board's annual learning summary: the figures of one year, computed from what the case register recorded.

Pure (no clock, no I/O): the register's rows come in as :class:`RegisterCase`, the figures go out as
:class:`LearningSummaryFigures`. A year is read "as at the end of" a day (31 December, or yesterday while the
year runs), so re-running a finished year gives the same figures however late it runs.

Every piece of staff-written text (findings, learning, action descriptions, owners, success criteria) passes the
anonymisation scanner with the identifying details recorded on its own case; each passage it flags is withheld,
and a case with no details recorded has its text withheld whole, since nothing could be checked.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.anonymisation import CaseIdentifiers, IdentifierScanner, TextSection
from domain.uk_time import end_of_day, london_date

WITHHELD = "[withheld: possible identifying detail]"
UNCHECKED = "[withheld: no identifying details are recorded on this case to check this text against]"

# Deadline families the summary reports on, in this order; ad-hoc keys are "action:A1", "information_request:R1".
RULE_TITLES: dict[str, str] = {
    "notify_ofsted": "Ofsted notified (5 working days from awareness)",
    "notify_lscb": "The LSCB(s) notified (5 working days from awareness)",
    "chair_decision": "Chair's decision (1 calendar month from notification)",
    "review_completion": "Review completed (6 calendar months from initiation)",
    "information_request": "Information requests answered by their due date",
    "prepublication_notice": "Copies to Ofsted, DfE and the National Panel (7 working days before publication)",
    "prepublication_steps": "Pre-publication steps recorded (before the publication date)",
    "action": "Actions completed by their agreed date",
}
# Clocks that mark when something may happen, not an obligation anyone can miss.
NOT_OBLIGATIONS = frozenset({"website_minimum", "retention_review"})

FindingSource = Literal["final_report", "interim_learning", "alternative_review", "closure"]
SOURCE_TITLES: dict[str, str] = {
    "final_report": "Final report (accepted at quality assurance)",
    "interim_learning": "Interim learning while the review overran",
    "alternative_review": "Alternative review's learning",
    "closure": "Learning recorded at closure",
}
ActionState = Literal["done", "open", "overdue"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- what the register holds -------------------------------------------------------------------------------


class RegisterDeadline(_Model):
    key: str
    title: str
    due: date
    status: str
    met_at: datetime | None = None
    breached_at: datetime | None = None


class RegisterDecision(_Model):
    """An accepted decision as the audit trail keeps it: ``kind`` is its decision kind."""

    at: datetime
    kind: str
    rationale: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class RegisterCase(_Model):
    reference: str
    aware_on: date
    notified_on: date
    deadlines: list[RegisterDeadline] = Field(default_factory=list)
    decisions: list[RegisterDecision] = Field(default_factory=list)  # oldest first


# -- the figures --------------------------------------------------------------------------------------------


class ScreenedText(_Model):
    """Staff-written text after the anonymisation scanner: ``withheld`` passages were replaced by a marker;
    ``unchecked``: the case has no identifying details recorded, so the whole text is withheld."""

    text: str
    withheld: int = 0
    unchecked: bool = False


class Finding(_Model):
    reference: str
    source: FindingSource
    on: date
    text: ScreenedText


class Recommendation(_Model):
    """An action of an action plan agreed in the year, with its state at the end of the period."""

    reference: str
    action_id: ScreenedText
    description: ScreenedText
    owner_agency: ScreenedText
    success_criteria: ScreenedText
    agreed_on: date
    due_on: date
    state: ActionState


class DecisionTiming(_Model):
    reference: str
    aware_on: date
    decided_on: date
    decision: str
    days: int  # from awareness to the chair's decision
    due: date | None  # the chair_decision deadline
    on_time: bool | None


class PublicationTiming(_Model):
    reference: str
    aware_on: date
    initiated_on: date | None
    published_on: date
    days: int  # from awareness to publication
    days_from_initiation: int | None


class RuleCompliance(_Model):
    rule: str
    title: str
    due: int
    met: int
    missed: int
    missed_references: list[str] = Field(default_factory=list)


class ActionProgress(_Model):
    """A case's actions at the end of the period: those completed before the year began are not counted."""

    reference: str
    done: int = 0
    open: int = 0
    overdue: int = 0


class KeyFigures(_Model):
    cases: int
    reports_accepted: int
    decisions: int
    decisions_on_time: int
    median_days_to_decision: float | None
    publications: int
    median_days_to_publication: float | None
    deadlines_due: int
    deadlines_missed: int
    actions_done: int
    actions_open: int
    actions_overdue: int
    passages_withheld: int


class LearningSummaryFigures(_Model):
    board: str
    year: int
    as_at: date
    references: list[str]  # every case the summary mentions, by reference only
    findings: list[Finding]
    recommendations: list[Recommendation]
    decisions: list[DecisionTiming]
    publications: list[PublicationTiming]
    compliance: list[RuleCompliance]
    actions: list[ActionProgress]

    @property
    def year_complete(self) -> bool:
        return self.as_at >= date(self.year, 12, 31)


# -- the year ---------------------------------------------------------------------------------------------


def summary_year(now: datetime) -> int:
    """The year a run at ``now`` reports on when none is given: the one before, in UK time."""
    return london_date(now).year - 1


def summary_as_at(year: int, now: datetime) -> date:
    """The last whole day the figures cover: 31 December, or yesterday while ``year`` still runs."""
    return min(date(year, 12, 31), london_date(now) - timedelta(days=1))


# -- the anonymisation screen -------------------------------------------------------------------------------


def screen_text(text: str, scanner: IdentifierScanner | None) -> ScreenedText:
    """Withhold each passage the scanner flags; with no scanner (nothing recorded to check), the whole text."""
    if scanner is None:
        return ScreenedText(text=UNCHECKED, unchecked=True)
    normalised = unicodedata.normalize("NFKC", text)  # the scanner's offsets are into this form
    spans = sorted(
        (hit.place.offset, hit.place.offset + len(hit.matched)) for hit in scanner.scan([TextSection(text=text)])
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    if not merged:
        return ScreenedText(text=text)
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts += [normalised[position:start], WITHHELD]
        position = end
    parts.append(normalised[position:])
    return ScreenedText(text="".join(parts), withheld=len(merged))


# -- compiling ----------------------------------------------------------------------------------------------


def compile_figures(
    *,
    board: str,
    year: int,
    as_at: date,
    cases: Sequence[RegisterCase],
    identifiers: Mapping[str, CaseIdentifiers],
) -> LearningSummaryFigures:
    """The figures of ``year`` up to the end of ``as_at`` for ``cases`` (one board's), screening each case's
    text against ``identifiers[reference]`` (absent or empty: nothing recorded)."""
    period = _Period(date(year, 1, 1), as_at)
    findings: list[Finding] = []
    recommendations: list[Recommendation] = []
    decisions: list[DecisionTiming] = []
    publications: list[PublicationTiming] = []
    actions: list[ActionProgress] = []
    deadlines: list[tuple[str, RegisterDeadline]] = []
    for case in sorted(cases, key=lambda c: c.reference):
        recorded = identifiers.get(case.reference)
        scanner = IdentifierScanner(recorded) if recorded is not None and not recorded.is_empty() else None
        findings += _findings(case, period, scanner)
        plan = _action_plan(case, period, scanner)
        recommendations += [item for item in plan if period.holds(item.agreed_on)]
        progress = _progress(case.reference, plan)
        if progress is not None:
            actions.append(progress)
        decision = _decision_timing(case, period)
        if decision is not None:
            decisions.append(decision)
        publication = _publication_timing(case, period)
        if publication is not None:
            publications.append(publication)
        deadlines += [(case.reference, d) for d in case.deadlines if _counts(d, period)]
    compliance = _compliance(deadlines)
    references = sorted(
        {f.reference for f in findings}
        | {r.reference for r in recommendations}
        | {d.reference for d in decisions}
        | {p.reference for p in publications}
        | {a.reference for a in actions}
        | {reference for reference, _ in deadlines}
    )
    return LearningSummaryFigures(
        board=board,
        year=year,
        as_at=as_at,
        references=references,
        findings=findings,
        recommendations=recommendations,
        decisions=decisions,
        publications=publications,
        compliance=compliance,
        actions=actions,
    )


def key_figures(figures: LearningSummaryFigures) -> KeyFigures:
    texts = [f.text for f in figures.findings] + [
        text
        for r in figures.recommendations
        for text in (r.action_id, r.description, r.owner_agency, r.success_criteria)
    ]
    return KeyFigures(
        cases=len(figures.references),
        reports_accepted=sum(1 for f in figures.findings if f.source == "final_report"),
        decisions=len(figures.decisions),
        decisions_on_time=sum(1 for d in figures.decisions if d.on_time),
        median_days_to_decision=_median(d.days for d in figures.decisions),
        publications=len(figures.publications),
        median_days_to_publication=_median(p.days for p in figures.publications),
        deadlines_due=sum(rule.due for rule in figures.compliance),
        deadlines_missed=sum(rule.missed for rule in figures.compliance),
        actions_done=sum(a.done for a in figures.actions),
        actions_open=sum(a.open for a in figures.actions),
        actions_overdue=sum(a.overdue for a in figures.actions),
        passages_withheld=sum(t.withheld + (1 if t.unchecked else 0) for t in texts),
    )


class _Period:
    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.last = last

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last

    def by_end(self, day: date) -> bool:
        return day <= self.last


def _day(decision: RegisterDecision) -> date:
    return london_date(decision.at)


def _findings(case: RegisterCase, period: _Period, scanner: IdentifierScanner | None) -> list[Finding]:
    found: list[Finding] = []

    def add(source: FindingSource, day: date, text: str | None) -> None:
        if text and period.holds(day):
            found.append(Finding(reference=case.reference, source=source, on=day, text=screen_text(text, scanner)))

    latest_report: str | None = None
    for decision in case.decisions:
        day = _day(decision)
        if decision.kind == "final_report":
            latest_report = decision.rationale
        elif decision.kind == "quality_assurance" and _passed(decision.details):
            add("final_report", day, latest_report)  # the report that passed is the last one submitted
        elif decision.kind == "review_delay":
            add("interim_learning", day, str(decision.details.get("interim_learning") or ""))
        elif decision.kind == "alternative_review_complete":
            add("alternative_review", day, decision.rationale)
        elif decision.kind == "close":
            add("closure", day, decision.rationale)
    return found


def _passed(details: Mapping[str, Any]) -> bool:
    checks = details.get("checks") or {}
    return bool(checks) and all(bool(check.get("passed")) for check in checks.values())


def _action_plan(case: RegisterCase, period: _Period, scanner: IdentifierScanner | None) -> list[Recommendation]:
    """Every action agreed by the end of the period and not completed before it began, with its state then."""
    planned: dict[str, tuple[date, dict[str, Any]]] = {}
    completed: dict[str, date] = {}
    for decision in case.decisions:
        day = _day(decision)
        if not period.by_end(day):
            continue
        if decision.kind == "action_plan":
            for action in decision.details.get("actions", []):
                planned[str(action["action_id"])] = (day, action)
        elif decision.kind == "action_progress" and decision.details.get("complete"):
            completed.setdefault(str(decision.details.get("action_id")), day)
    plan: list[Recommendation] = []
    for action_id, (agreed_on, action) in planned.items():
        done_on = completed.get(action_id)
        if done_on is not None and done_on < period.first:
            continue
        due_on = date.fromisoformat(str(action["due_on"]))
        state: ActionState = "done" if done_on is not None else "overdue" if due_on <= period.last else "open"
        plan.append(
            Recommendation(
                reference=case.reference,
                action_id=screen_text(action_id, scanner),
                description=screen_text(str(action.get("description", "")), scanner),
                owner_agency=screen_text(str(action.get("owner_agency", "")), scanner),
                success_criteria=screen_text(str(action.get("success_criteria", "")), scanner),
                agreed_on=agreed_on,
                due_on=due_on,
                state=state,
            )
        )
    return plan


def _progress(reference: str, plan: Iterable[Recommendation]) -> ActionProgress | None:
    states = [item.state for item in plan]
    if not states:
        return None
    return ActionProgress(
        reference=reference, done=states.count("done"), open=states.count("open"), overdue=states.count("overdue")
    )


def _decision_timing(case: RegisterCase, period: _Period) -> DecisionTiming | None:
    first = next((d for d in case.decisions if d.kind == "chair"), None)
    if first is None or not period.holds(_day(first)):
        return None
    decided_on = _day(first)
    due = next((d.due for d in case.deadlines if d.key == "chair_decision"), None)
    return DecisionTiming(
        reference=case.reference,
        aware_on=case.aware_on,
        decided_on=decided_on,
        decision=str(first.details.get("decision", "")),
        days=(decided_on - case.aware_on).days,
        due=due,
        on_time=None if due is None else decided_on <= due,
    )


def _publication_timing(case: RegisterCase, period: _Period) -> PublicationTiming | None:
    published = next((d for d in case.decisions if d.kind == "published"), None)
    if published is None or not period.holds(_day(published)):
        return None
    published_on = _day(published)
    initiated = next(
        (d for d in case.decisions if d.kind == "chair" and d.details.get("decision") == "initiate_scr"), None
    )
    initiated_on = _day(initiated) if initiated is not None else None
    return PublicationTiming(
        reference=case.reference,
        aware_on=case.aware_on,
        initiated_on=initiated_on,
        published_on=published_on,
        days=(published_on - case.aware_on).days,
        days_from_initiation=(published_on - initiated_on).days if initiated_on is not None else None,
    )


def _family(key: str) -> str:
    return key.split(":", 1)[0]


def _counts(deadline: RegisterDeadline, period: _Period) -> bool:
    return (
        period.holds(deadline.due)
        and deadline.status != "not_applicable"
        and _family(deadline.key) not in NOT_OBLIGATIONS
    )


def met_in_time(deadline: RegisterDeadline) -> bool:
    """Met by the end of its due day in UK time; anything else due in the period was missed."""
    return deadline.met_at is not None and deadline.met_at <= end_of_day(deadline.due)


def _compliance(deadlines: Sequence[tuple[str, RegisterDeadline]]) -> list[RuleCompliance]:
    families: dict[str, list[tuple[str, RegisterDeadline]]] = {}
    for reference, deadline in deadlines:
        families.setdefault(_family(deadline.key), []).append((reference, deadline))
    order = {rule: position for position, rule in enumerate(RULE_TITLES)}
    rules = []
    for rule in sorted(families, key=lambda r: (order.get(r, len(order)), r)):
        rows = families[rule]
        missed = sorted({reference for reference, d in rows if not met_in_time(d)})
        missed_count = sum(1 for _, d in rows if not met_in_time(d))
        rules.append(
            RuleCompliance(
                rule=rule,
                title=RULE_TITLES.get(rule, rows[0][1].title),
                due=len(rows),
                met=len(rows) - missed_count,
                missed=missed_count,
                missed_references=missed,
            )
        )
    return rules


def _median(values: Iterable[int]) -> float | None:
    numbers = list(values)
    return float(statistics.median(numbers)) if numbers else None
