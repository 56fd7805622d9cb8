"""One contract per activity: its name, what it takes and what it returns.

Workflows call activities by contract (``workflows/activity_calls.py``) and activities register under the
contract's name, so neither side spells a name or a type on its own. Plain data: safe in the workflow sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.case_messages import (
    ComputeDeadlinesInput,
    NoticeResult,
    RecordCaseEventInput,
    ScheduledDeadline,
    SendNoticeInput,
)
from domain.learning_summary import LearningSummaryFigures
from domain.learning_summary_messages import (
    CompileLearningSummaryInput,
    RecordedLearningSummary,
    RecordLearningSummaryInput,
    StoredLearningSummary,
)
from domain.publication_messages import (
    PrepareCopiesInput,
    PreparedCopies,
    PublishReviewInput,
    PublishReviewResult,
    RemoveReviewInput,
)

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741


@dataclass(frozen=True)
class ActivityContract(Generic[I, O]):
    name: str
    input: type[I]
    output: Any  # the result type the data converter builds (``O``; may be a generic alias such as list[...])


COMPUTE_CASE_DEADLINES = ActivityContract[ComputeDeadlinesInput, list[ScheduledDeadline]](
    "compute_case_deadlines", ComputeDeadlinesInput, list[ScheduledDeadline]
)
RECORD_CASE_EVENT = ActivityContract[RecordCaseEventInput, bool]("record_case_event", RecordCaseEventInput, bool)
SEND_NOTICE = ActivityContract[SendNoticeInput, NoticeResult]("send_notice", SendNoticeInput, NoticeResult)
PUBLISH_REVIEW = ActivityContract[PublishReviewInput, PublishReviewResult](
    "publish_review", PublishReviewInput, PublishReviewResult
)
REMOVE_REVIEW = ActivityContract[RemoveReviewInput, None]("remove_review", RemoveReviewInput, None)
PREPARE_COPIES = ActivityContract[PrepareCopiesInput, PreparedCopies](
    "prepare_prepublication_copies", PrepareCopiesInput, PreparedCopies
)
COMPILE_LEARNING_SUMMARY = ActivityContract[CompileLearningSummaryInput, LearningSummaryFigures](
    "compile_learning_summary", CompileLearningSummaryInput, LearningSummaryFigures
)
RENDER_LEARNING_SUMMARY = ActivityContract[LearningSummaryFigures, StoredLearningSummary](
    "render_learning_summary", LearningSummaryFigures, StoredLearningSummary
)
RECORD_LEARNING_SUMMARY = ActivityContract[RecordLearningSummaryInput, RecordedLearningSummary](
    "record_learning_summary", RecordLearningSummaryInput, RecordedLearningSummary
)

ALL = (
    COMPUTE_CASE_DEADLINES,
    RECORD_CASE_EVENT,
    SEND_NOTICE,
    PUBLISH_REVIEW,
    REMOVE_REVIEW,
    PREPARE_COPIES,
    COMPILE_LEARNING_SUMMARY,
    RENDER_LEARNING_SUMMARY,
    RECORD_LEARNING_SUMMARY,
)
