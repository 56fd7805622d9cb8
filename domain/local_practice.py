"""A board's local practice: steps and intervals the seeds do not require or do not fix, each set by a setting.

The statutory rules live in the rule pack and the lifecycle handlers; what is here is a board's own choice, so
every item says so in the deadline it creates ("Local practice (setting ...)"), never citing a seed as its source.

Two kinds:
- ``LocalPractice``: steps a case keeps from the day it opened (part of the workflow input), so changing a setting
  never changes a case already under way, and replay sees the same values. A case opened before these were
  settings carries none: ``LEGACY`` reproduces what those cases did then, so their histories replay unchanged.
- ``LocalIntervals``: how often a case waiting for its publication decision is reminded (003 asks for publication
  "as soon as possible" and fixes no interval), resolved by the deadline activity like the rule pack's deadlines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from domain.roles import Role


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


PUBLICATION_DECISION = "publication_decision"
PUBLICATION_DECISION_TITLE = "Publication decision (as soon as possible)"
PUBLICATION_DECISION_SOURCE = (
    "SCIE quality marker (003): publication 'as soon as possible'; the interval is local practice, set by the board "
    "(SCR_PUBLICATION_DECISION_INTERVAL_DAYS, SCR_PUBLICATION_DECISION_INTERVAL_BY_BOARD)"
)
PUBLICATION_DECISION_WHO = Role.INDEPENDENT_CHAIR.value
PUBLICATION_DECISION_ESCALATE = (Role.BUSINESS_MANAGER.value, Role.SUB_GROUP.value)


@dataclass(frozen=True)
class LocalIntervals:
    """Working days between reminders of a case waiting for its publication decision; escalated after two."""

    default_days: int = 10
    by_board: Mapping[str, int] = field(default_factory=dict)

    def publication_decision_days(self, board: str | None) -> int:
        return self.by_board.get(board or "", self.default_days)


def publication_decision_rule(days: int) -> str:
    return f"local practice: a reminder every {days} working days, escalated after {2 * days}"
