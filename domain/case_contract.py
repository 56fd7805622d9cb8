"""How callers outside the worker talk to the case workflow: its type, update and query names, its workflow id,
its search attributes and the failure type that means "try again". Plain constants, so the API can start and
update a case by name without importing workflow code; ``workflows/case_workflow.py`` defines them by these
names."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_WORKFLOW = "ScrCaseWorkflow"  # the workflow type
REGISTERED_UPDATE = "registered"  # completes once the case is in the register; answers the case's state
DECIDE_UPDATE = "decide"  # a staff decision (domain.case_messages.DecisionRequest → CaseState)
STATE_QUERY = "state"  # the live state (CaseState)

# An ApplicationError type the workflow raises for a failure worth retrying: the API answers 503.
UNAVAILABLE = "ServiceUnavailable"

# Custom search attributes, for operators in the Temporal UI (registered in the namespace at deployment).
STAGE = SearchAttributeKey.for_keyword("ScrStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("ScrNextDeadline")
OVERDUE = SearchAttributeKey.for_bool("ScrOverdue")
BOARD = SearchAttributeKey.for_keyword("ScrBoard")
AWAITING_ROLES = SearchAttributeKey.for_keyword_list("ScrAwaitingRoles")  # roles whose decision the case awaits
# Name → the type the namespace registers it as (the `temporal operator search-attribute create` spelling).
SEARCH_ATTRIBUTES: dict[str, str] = {
    STAGE.name: "Keyword",
    NEXT_DEADLINE.name: "Datetime",
    OVERDUE.name: "Bool",
    BOARD.name: "Keyword",
    AWAITING_ROLES.name: "KeywordList",
}


CASE_WORKFLOW_ID_PREFIX = "scr-case-"


def case_workflow_id(reference: str) -> str:
    """A case's workflow id: its reference, which names no one (``scr-case-NEL-2026-0007``)."""
    return f"{CASE_WORKFLOW_ID_PREFIX}{reference}"


def board_of_workflow(workflow_id: str) -> str | None:
    """``scr-case-KEN-2026-0001`` → ``KEN``: a case's board, from its workflow id; None for other workflows."""
    if not workflow_id.startswith(CASE_WORKFLOW_ID_PREFIX):
        return None
    return workflow_id.removeprefix(CASE_WORKFLOW_ID_PREFIX).split("-", 1)[0].upper() or None
