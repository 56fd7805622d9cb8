"""Lifecycle states of a case (scr-process.md, "Lifecycle")."""

from enum import StrEnum


class Stage(StrEnum):
    NOTIFIED = "notified"
    SCREENING = "screening"
    AWAITING_CHAIR_DECISION = "awaiting_chair_decision"
    PANEL_SCRUTINY = "panel_scrutiny"
    REVIEWER_APPOINTMENT = "reviewer_appointment"
    ALTERNATIVE_REVIEW = "alternative_review"
    IN_REVIEW = "in_review"
    QUALITY_ASSURANCE = "quality_assurance"
    ACTION_PLAN = "action_plan"
    PUBLICATION_DECISION = "publication_decision"
    PUBLICATION_ON_HOLD = "publication_on_hold"
    PRE_PUBLICATION = "pre_publication"
    PUBLISHED = "published"
    RETAINED = "retained"
    REMOVED = "removed"
    CLOSED = "closed"
    CLOSED_WITHOUT_REVIEW = "closed_without_review"
