"""Named groups of stages the rules refer to."""

from __future__ import annotations

from domain.stages import Stage

TERMINAL = (Stage.CLOSED, Stage.CLOSED_WITHOUT_REVIEW)
OPEN = tuple(s for s in Stage if s not in TERMINAL)
BEFORE_PUBLICATION = tuple(
    s for s in OPEN if s not in (Stage.PUBLISHED, Stage.RETAINED, Stage.REMOVED, Stage.ALTERNATIVE_REVIEW)
)
AFTER_ACTION_PLAN = (
    Stage.PUBLICATION_DECISION,
    Stage.PUBLICATION_ON_HOLD,
    Stage.PRE_PUBLICATION,
    Stage.PUBLISHED,
    Stage.RETAINED,
    Stage.REMOVED,
)


def stage_name(stage: Stage) -> str:
    return stage.value.replace("_", " ")
