"""A board's local practice: steps the seeds do not require, each switched on by a setting.

The statutory rules live in the rule pack and the lifecycle handlers; what is here is a board's own choice,
so every item says so in the deadline it creates ("Local practice (SCR_...)"), never citing a seed. A case
keeps the practice it was opened with (it is part of the workflow input), so changing a setting never changes
a case already under way, and replay sees the same values.

A case opened before this existed carries no practice: ``LEGACY`` reproduces what those cases did then, so
their histories replay unchanged.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LocalPractice(BaseModel):
    model_config = ConfigDict(frozen=True)

    retention_review_months: int = Field(0, ge=0, le=24)
    """While a review that has reached 12 months on the website still has open actions, the sub-group reviews
    it every this many calendar months; 0: no periodic review (the seeds set none: 000 'Period of Publication'
    keeps the review up "in most cases until all actions ... are complete", which the removal rule enforces)."""

    chair_consent_step: bool = False
    """The chair's consent is recorded as a pre-publication step. Not in the seeds: the chair's decision to
    publish (001 §4, §11) is the consent; some boards ask for a second sign-off before the date."""

    publication_steps_days_before: int = Field(1, ge=1, le=60)
    """The pre-publication steps (professionals informed, family supported, media strategy) are due this many
    calendar days before the publication date. The seeds (001 §11; 004) want them done before publication
    but set no date: the day is the board's."""


def local_source(setting: str) -> str:
    """The source line of a deadline that only local practice sets."""
    return f"Local practice (setting {setting}), not a statutory requirement"


LEGACY = LocalPractice(retention_review_months=1, chair_consent_step=True, publication_steps_days_before=1)
"""What every case did before practice was a setting: cases opened then replay with these values."""
