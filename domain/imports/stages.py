"""What each stage of an imported review requires of its row: how far along the review each stage is, which dates
and decisions a stage can have, and the chair's decision each path follows."""

from __future__ import annotations

from datetime import date

from domain.imports.columns import ImportRow, RowError
from domain.stages import Stage

# How far along the review each stage is: a date of a later step cannot be given for an earlier stage.
_RANK = {
    Stage.SCREENING: 0,
    Stage.AWAITING_CHAIR_DECISION: 1,
    Stage.PANEL_SCRUTINY: 2,
    Stage.REVIEWER_APPOINTMENT: 2,
    Stage.ALTERNATIVE_REVIEW: 3,
    Stage.IN_REVIEW: 3,
    Stage.QUALITY_ASSURANCE: 4,
    Stage.ACTION_PLAN: 5,
    Stage.PUBLICATION_DECISION: 6,
    Stage.PUBLICATION_ON_HOLD: 7,
    Stage.PRE_PUBLICATION: 7,
    Stage.PUBLISHED: 8,
    Stage.RETAINED: 9,
    Stage.REMOVED: 10,
    Stage.CLOSED: 11,
    Stage.CLOSED_WITHOUT_REVIEW: 11,
}
# The first stage at which each date (or decision) can have happened.
_FROM_STAGE = {
    "chair_decision_on": Stage.PANEL_SCRUTINY,
    "chair_decision": Stage.PANEL_SCRUTINY,
    "scrutiny_outcome_on": Stage.ALTERNATIVE_REVIEW,
    "initiated_on": Stage.REVIEWER_APPOINTMENT,
    "reviewers_named_on": Stage.REVIEWER_APPOINTMENT,
    "lead_reviewer": Stage.REVIEWER_APPOINTMENT,
    "lead_reviewer_account": Stage.REVIEWER_APPOINTMENT,
    "final_report_on": Stage.QUALITY_ASSURANCE,
    "publication_decision_on": Stage.PUBLICATION_DECISION,
    "publication_decision": Stage.PUBLICATION_DECISION,
    "copies_sent_on": Stage.PRE_PUBLICATION,
    "published_on": Stage.PUBLISHED,
    "removed_on": Stage.REMOVED,
    "closed_on": Stage.CLOSED,
}
SCR_STAGES = frozenset(stage for stage, rank in _RANK.items() if rank >= 2) - {
    Stage.PANEL_SCRUTINY,
    Stage.ALTERNATIVE_REVIEW,
    Stage.CLOSED,
    Stage.CLOSED_WITHOUT_REVIEW,
}
_NOT_INITIATED = {
    Stage.PANEL_SCRUTINY: ("do_not_initiate", "alternative_review"),
    Stage.ALTERNATIVE_REVIEW: ("alternative_review",),
    Stage.CLOSED_WITHOUT_REVIEW: ("do_not_initiate",),
}
_NEEDS = {
    Stage.PUBLISHED: ("published_on",),
    Stage.RETAINED: ("published_on",),
    Stage.REMOVED: ("published_on", "removed_on"),
}


def rank(stage: Stage) -> int:
    return _RANK[stage]


def stage_errors(row: ImportRow, today: date) -> list[RowError]:
    """What the row's stage requires that the row does not give, or gives inconsistently."""
    errors: list[RowError] = []

    def error(column: str, message: str) -> None:
        errors.append(RowError(row.row, column, message))

    stage = row.stage
    for column, first in _FROM_STAGE.items():
        given = row.on(column) if column.endswith("_on") else getattr(row, column)
        if given is not None and rank(stage) < rank(first):
            error(column, f"a review at stage '{stage.value}' has not reached this step yet")
    if rank(stage) >= 2:
        for column in ("chair_decision", "chair_decision_on"):
            if (row.on(column) if column.endswith("_on") else row.chair_decision) is None:
                error(column, f"is required at stage '{stage.value}'")
    allowed = _NOT_INITIATED.get(stage)
    if row.chair_decision is not None and allowed is not None and row.chair_decision not in allowed:
        error("chair_decision", f"'{row.chair_decision}' cannot lead to stage '{stage.value}'")
    if stage in SCR_STAGES and row.chair_decision not in (None, "initiate_scr"):
        error("chair_decision", f"stage '{stage.value}' follows a decision to initiate an SCR (initiate_scr)")
    if stage == Stage.CLOSED and row.chair_decision == "do_not_initiate":
        error("stage", "a decision not to initiate closes the case as 'closed_without_review'")
    if stage == Stage.PUBLICATION_DECISION and row.publication_decision == "publish":
        error("publication_decision", "a decision to publish moves the case on to 'pre_publication'")
    if stage == Stage.PRE_PUBLICATION and row.on("publication_on") is None:
        error("publication_on", "is required at stage 'pre_publication' (the planned date)")
    for column in _NEEDS.get(stage, ()):
        if row.on(column) is None:
            error(column, f"is required at stage '{stage.value}'")
    if stage in (Stage.CLOSED, Stage.CLOSED_WITHOUT_REVIEW) and row.on("closed_on") is None:
        error("closed_on", f"is required at stage '{stage.value}'")
    return errors
