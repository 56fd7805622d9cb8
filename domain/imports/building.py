"""A review already under way, as a case at its current stage (issue 17): what the row's stage requires, the
decisions it records checked by the lifecycle's own handlers (a decision the rules forbid is the row's error),
and the case file with its deadlines settled from the real dates as of the import.

Pure: the deadlines come in already resolved (``deadline_events`` says from which dates), so the API's dry run and
the case workflow build exactly the same case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import ValidationError

from domain.case_file import CaseFile
from domain.case_messages import Actor, DeadlineStatus, OfstedNotifiedByLA, ScheduledDeadline
from domain.decision_inputs import (
    DecideChairInput,
    DecidePublicationInput,
    DecisionInput,
    RemoveFromWebsiteInput,
    Reviewer,
)
from domain.imports.columns import ImportRow, RowError
from domain.imports.messages import ImportSource
from domain.imports.stages import SCR_STAGES, rank, stage_errors
from domain.lifecycle import DecisionRefused, Outcome, add_deadline, cancel, check, incident
from domain.lifecycle.clocks import finish
from domain.lifecycle.review import REVIEWERS_NAMED
from domain.roles import Role
from domain.rule_pack import CaseEvent
from domain.stages import Stage
from domain.uk_time import LONDON

_CHAIR = Actor(user="imported", role=Role.INDEPENDENT_CHAIR)
_PUBLISHER = Actor(user="imported", role=Role.PUBLISHER)


class RowRefused(Exception):
    """The row cannot become a case: every reason, by column."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass
class BuiltCase:
    case: CaseFile
    outcomes: list[Outcome] = field(default_factory=list)  # what the timeline records, in order


def initiated_on(row: ImportRow) -> date | None:
    if row.chair_decision != "initiate_scr":
        return None
    return row.on("initiated_on") or row.on("chair_decision_on")


def planned_publication(row: ImportRow) -> date | None:
    """The planned publication date the case holds: given, or the day it was published."""
    if rank(row.stage) < rank(Stage.PRE_PUBLICATION) or row.stage == Stage.PUBLICATION_ON_HOLD:
        return None
    return row.on("publication_on") or row.on("published_on")


def deadline_events(row: ImportRow) -> dict[str, date]:
    """The real dates the case's statutory deadlines run from (``CaseEvent`` value -> date)."""
    events = {CaseEvent.AWARE.value: row.aware_on, CaseEvent.NOTIFIED.value: row.notified_on}
    optional = {
        CaseEvent.INITIATED: initiated_on(row),
        CaseEvent.PUBLICATION_PLANNED: planned_publication(row),
        CaseEvent.PUBLISHED: row.on("published_on") if rank(row.stage) >= rank(Stage.PUBLISHED) else None,
    }
    events.update({event.value: day for event, day in optional.items() if day is not None})
    return events


def build_case(
    base: CaseFile,
    row: ImportRow,
    schedules: list[ScheduledDeadline],
    now: datetime,
    source: ImportSource,
) -> BuiltCase:
    """The case at the row's stage with its real dates, as of ``now``; :class:`RowRefused` with every reason if
    the row's stage is incomplete or a decision it records is one the rules forbid."""
    today = now.astimezone(LONDON).date()
    errors = stage_errors(row, today)
    if errors:
        raise RowRefused(errors)
    case = base.model_copy(deep=True)
    by_key = {schedule.key: schedule for schedule in schedules}
    built = BuiltCase(case)
    provenance = {"file": source.file_name, "sha256": source.sha256, "row": row.row, "board_case_id": row.board_case_id}
    if row.recorded_by:
        provenance["recorded_by"] = row.recorded_by
    built.outcomes.append(
        Outcome(
            "case_imported",
            f"Imported at stage '{row.stage.value}' from {source.file_name}, row {row.row}",
            details={
                "imported": provenance,
                "stage": row.stage.value,
                "dates": {column: day.isoformat() for column, day in row.dates.items()},
            },
            assessment=case.assessment.model_dump(mode="json"),
        )
    )
    if row.on("ofsted_notified_on") is not None:
        case.ofsted_notified_by_la = _ofsted_notice(row)
    built.outcomes.extend(incident.start_incident_deadlines(case, by_key, now))
    recorder = _Recorder(built, row, provenance, now)
    _settle_referral(case, row, by_key, now, recorder)
    _settle_review(case, row, by_key, now, recorder)
    _settle_publication(case, row, by_key, now, recorder)
    if row.stage in (Stage.CLOSED, Stage.CLOSED_WITHOUT_REVIEW):
        closed_on = row.on("closed_on")
        assert closed_on is not None  # stage_errors requires it
        if row.stage == Stage.CLOSED:  # closed without review: by the chair's confirmation after scrutiny (above)
            kind = "alternative_review_complete" if row.chair_decision == "alternative_review" else "close"
            recorder.decision(kind, closed_on, "closed")
        finish(case, row.stage)
    else:
        case.stage = row.stage
    _as_of_import(case, now)
    return built


class _Recorder:
    """The imported decisions, each on the timeline at its real date with where it came from."""

    def __init__(self, built: BuiltCase, row: ImportRow, provenance: dict[str, Any], now: datetime) -> None:
        self.built = built
        self.row = row
        self.provenance = provenance
        self.now = now  # a decision of today is not recorded as later than its import

    def decision(self, kind: str, on: date, summary: str, *, heading: str = "As imported", **details: Any) -> None:
        self.built.outcomes.append(
            Outcome(
                "decision",
                f"{heading}: {summary} on {on.isoformat()}",
                details={
                    "decision_kind": kind,
                    **details,
                    "imported": {**self.provenance, "decided_on": on.isoformat()},
                },
                at=min(datetime.combine(on, time(12), LONDON), self.now),
            )
        )


def _ofsted_notice(row: ImportRow) -> OfstedNotifiedByLA:
    told = row.on("ofsted_notified_on")
    assert told is not None
    return OfstedNotifiedByLA(notified_on=told, notified_by=row.recorded_by or "the local authority (imported)")


def _refused(row: ImportRow, column: str, case: CaseFile, actor: Actor, decision: DecisionInput, on: date) -> None:
    """The lifecycle's own check of the decision on the day it was taken: a refusal is the row's error."""
    try:
        check(case, actor, decision, on)
    except DecisionRefused as refused:
        raise RowRefused([RowError(row.row, column, f"the rules forbid this decision: {refused.message}")]) from None


def _settle(case: CaseFile, key: str, schedule: ScheduledDeadline | None, on: date | None, now: datetime) -> None:
    """Start ``key``'s clock and settle it by the real date: met, met late; not applicable if the file does not
    date the step that meets it although the case is past it."""
    if schedule is None:
        return
    add_deadline(case, schedule, now)
    if on is None:
        cancel(case, key)
    else:
        incident.met_on(case.deadlines[key], on, now)


def _settle_referral(
    case: CaseFile, row: ImportRow, by_key: dict[str, ScheduledDeadline], now: datetime, recorder: _Recorder
) -> None:
    screened = row.on("screened_on") or row.notified_on
    if row.screening_recommendation is not None:
        case.screening = row.screening_recommendation
        recorder.decision(
            "screening",
            screened,
            f"screening recommendation '{row.screening_recommendation}'",
            recommendation=row.screening_recommendation,
        )
    chair_on = row.on("chair_decision_on")
    if row.chair_decision is None or chair_on is None:
        if "chair_decision" in by_key:
            add_deadline(case, by_key["chair_decision"], now)
        return
    at_chair = case.model_copy(update={"stage": Stage.AWAITING_CHAIR_DECISION})
    decision = DecideChairInput(
        decision=row.chair_decision, rationale="Imported", definitive_evidence=row.definitive_evidence
    )
    _refused(row, "chair_decision", at_chair, _CHAIR, decision, chair_on)
    _settle(case, "chair_decision", by_key.get("chair_decision"), chair_on, now)
    case.chair_decision = row.chair_decision
    if row.definitive_evidence and row.chair_decision != "initiate_scr":
        case.definitive_evidence = row.definitive_evidence
    recorder.decision("chair", chair_on, f"chair's decision '{row.chair_decision}'", decision=row.chair_decision)
    # Past the panel's scrutiny of a decision not to initiate: the chair confirmed it (closing the case without
    # review, or letting the alternative review go ahead).
    scrutinised = row.chair_decision != "initiate_scr" and row.stage != Stage.PANEL_SCRUTINY
    closed = row.on("closed_on") if row.stage == Stage.CLOSED_WITHOUT_REVIEW else None
    scrutiny_on = row.on("scrutiny_outcome_on") or closed
    if scrutinised and scrutiny_on is not None:
        recorder.decision(
            "scrutiny_outcome",
            scrutiny_on,
            "chair confirmed the decision after the panel's scrutiny",
            outcome="confirm",
        )
    if row.stage == Stage.PANEL_SCRUTINY:
        case.panel_advice_mark = case.panel_advice_count


def _settle_review(
    case: CaseFile, row: ImportRow, by_key: dict[str, ScheduledDeadline], now: datetime, recorder: _Recorder
) -> None:
    started = initiated_on(row)
    if started is None:
        return
    case.initiated_on = started
    reached_qa = rank(row.stage) >= rank(Stage.QUALITY_ASSURANCE) and row.stage in SCR_STAGES | {Stage.CLOSED}
    report_on = row.on("final_report_on")
    if reached_qa:
        _settle(case, "review_completion", by_key.get("review_completion"), report_on, now)
    elif "review_completion" in by_key:
        add_deadline(case, by_key["review_completion"], now)
    case.reviewers_named = rank(row.stage) >= rank(Stage.IN_REVIEW)
    if row.lead_reviewer or row.lead_reviewer_account:
        _name_reviewer(case, row, row.on("reviewers_named_on") or started, recorder)
    if reached_qa:
        case.report_submissions = 1
    if report_on is not None:
        recorder.decision("final_report", report_on, "final report submitted")


def _name_reviewer(case: CaseFile, row: ImportRow, on: date, recorder: _Recorder) -> None:
    """The lead reviewer, named as the appointment names one: with an account, that lead reviewer acts on the
    case (store/appointments.py reads the reviewers of the latest appointment on the timeline)."""
    try:
        reviewer = Reviewer(
            name=row.lead_reviewer or row.lead_reviewer_account or "",
            organisation=row.lead_reviewer_organisation or "Not given in the import file",
            independence_statement="Recorded by the board before the import",
            account=row.lead_reviewer_account,
        )
    except ValidationError as invalid:
        problem = invalid.errors()[0]
        column = {"account": "lead_reviewer_account", "organisation": "lead_reviewer_organisation"}.get(
            str(problem["loc"][0]) if problem["loc"] else "", "lead_reviewer"
        )
        raise RowRefused([RowError(row.row, column, problem["msg"])]) from None
    case.reviewers_named = True
    names = f"{reviewer.name} ({reviewer.organisation})"
    recorder.decision("reviewers", on, names, heading=REVIEWERS_NAMED, reviewers=[reviewer.model_dump()])


def _settle_publication(
    case: CaseFile, row: ImportRow, by_key: dict[str, ScheduledDeadline], now: datetime, recorder: _Recorder
) -> None:
    stage = row.stage
    decided_on = row.on("publication_decision_on")
    # Past the decision (on hold, pre-publication, published) without one given: the review was to be published.
    past_decision = rank(stage) > rank(Stage.PUBLICATION_DECISION) and stage in SCR_STAGES
    decision = row.publication_decision or ("publish" if past_decision or row.on("published_on") else None)
    if decision is None or rank(stage) < rank(Stage.PUBLICATION_DECISION):
        return
    planned = planned_publication(row)
    if decided_on is not None:
        if decision == "do_not_publish" or row.on("publication_on") is not None:
            _check_publication(case, row, decision, decided_on)
        planned_on = row.on("publication_on") or planned
        details = {"decision": decision} | ({"publication_on": planned_on.isoformat()} if planned_on else {})
        recorder.decision("publication", decided_on, f"publication decision '{decision}'", **details)
    if stage == Stage.PUBLICATION_DECISION:
        case.publication.non_publication_pending = decision == "do_not_publish"
        return
    case.publication.report_withheld = decision == "do_not_publish"
    if stage == Stage.PUBLICATION_ON_HOLD:
        kind = row.proceedings or "other"
        case.active_proceedings = {kind: kind}  # its id is its kind: "proceedings" with that id concludes it
        return
    case.publication.planned_on = planned
    copies_on = row.on("copies_sent_on")
    published_on = row.on("published_on") if rank(stage) >= rank(Stage.PUBLISHED) else None
    if published_on is None:
        if "prepublication_notice" in by_key:
            add_deadline(case, by_key["prepublication_notice"], now)
            if copies_on is not None:
                incident.met_on(case.deadlines["prepublication_notice"], copies_on, now)
    else:
        _settle(case, "prepublication_notice", by_key.get("prepublication_notice"), copies_on, now)
    if copies_on is not None:
        case.publication.copies_sent_for = planned
        recorder.decision("prepublication_copies", copies_on, "pre-publication copies sent")
    if published_on is None:
        return
    _settle_published(case, row, by_key, published_on, now, recorder)


def _check_publication(case: CaseFile, row: ImportRow, decision: str, decided_on: date) -> None:
    """The chair's publication decision as the rules check it on the day: a planned date after that day."""
    try:
        checked = DecidePublicationInput(
            decision=decision,
            publication_on=row.on("publication_on") if decision == "publish" else None,
            reasons="Imported",
            non_publication_reason=row.non_publication_reason,
        )
    except ValidationError as invalid:
        raise RowRefused([RowError(row.row, "publication_decision", invalid.errors()[0]["msg"])]) from None
    column = "publication_on" if decision == "publish" else "publication_decision"
    at_decision = case.model_copy(update={"stage": Stage.PUBLICATION_DECISION})
    _refused(row, column, at_decision, _CHAIR, checked, decided_on)


def _settle_published(
    case: CaseFile,
    row: ImportRow,
    by_key: dict[str, ScheduledDeadline],
    published_on: date,
    now: datetime,
    recorder: _Recorder,
) -> None:
    case.publication.published_on = published_on
    case.publication.location = row.location
    recorder.decision("published", published_on, "published on the website", location=row.location)
    minimum = by_key.get("website_minimum")
    if minimum is None:
        return
    add_deadline(case, minimum, now, on_due="retain")
    removed_on = row.on("removed_on")
    if removed_on is not None:
        on_site = case.model_copy(deep=True, update={"stage": Stage.RETAINED})
        _refused(row, "removed_on", on_site, _PUBLISHER, RemoveFromWebsiteInput(reason="Imported"), removed_on)
        case.publication.removed_on = removed_on
        recorder.decision("removal", removed_on, "removed from the website")
    tracked = case.deadlines["website_minimum"]
    if row.stage == Stage.RETAINED and minimum.due_at > now:
        raise RowRefused(
            [
                RowError(
                    row.row,
                    "stage",
                    f"a review is retained only from {minimum.due.isoformat()}, "
                    "12 months after publication; it is still 'published'",
                )
            ]
        )
    if minimum.due_at <= now and row.stage != Stage.PUBLISHED:
        tracked.status = DeadlineStatus.MET
        tracked.met_at = minimum.due_at


def _as_of_import(case: CaseFile, now: datetime) -> None:
    """A deadline already passed and not met is breached as of the import: recorded, not escalated (an old
    failure the board knows of); its reminders in the past are not sent."""
    for deadline in case.deadlines.values():
        if (
            deadline.status == DeadlineStatus.PENDING
            and deadline.on_due == "breach"
            and deadline.schedule.due_at <= now
        ):
            deadline.status = DeadlineStatus.OVERDUE
            deadline.breached_at = deadline.schedule.due_at
