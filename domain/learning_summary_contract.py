"""How callers outside the worker start a board's annual learning summary: the workflow type and its id."""

from __future__ import annotations

LEARNING_SUMMARY_WORKFLOW = "LearningSummaryWorkflow"  # the workflow type


def learning_summary_workflow_id(board: str, year: int) -> str:
    """One year of one board has one id, whether the schedule or staff start it."""
    return f"scr-learning-summary-{board}-{year}"
