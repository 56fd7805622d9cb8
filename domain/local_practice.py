"""Deadlines the seeds ask for without fixing their length: each is local practice, its interval set per board
(settings), and says so in its rule and source. Resolved to dates by the deadline activity like the rule pack's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.roles import Role

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
