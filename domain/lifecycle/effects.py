"""Side effects a decision declares before it is applied, and what running them returned.

A handler never performs I/O: it names what must happen first (resolve deadlines, put the review on the
website, take it down), the case workflow runs each effect as an activity, in order, and passes the results
back to the handler's ``apply``. Notices, which follow a decision, are part of its :class:`Outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.case_messages import ComputeDeadlinesInput, ScheduledDeadline
from domain.publication_messages import (
    PrepareCopiesInput,
    PreparedCopies,
    PublishReviewInput,
    PublishReviewResult,
    RemoveReviewInput,
)


@dataclass(frozen=True)
class ResolveDeadlines:
    """Resolve the deadlines a decision starts (rule-pack events and staff-set dates) to dates and instants."""

    request: ComputeDeadlinesInput


@dataclass(frozen=True)
class PublishReview:
    """Put the review on the website through the anonymisation gate; a hit refuses the decision."""

    request: PublishReviewInput


@dataclass(frozen=True)
class RemoveReview:
    """Take the review off the website ("available on request")."""

    request: RemoveReviewInput


@dataclass(frozen=True)
class PrepareCopies:
    """Find the current version of each document the pre-publication copies carry (read only)."""

    request: PrepareCopiesInput


Effect = ResolveDeadlines | PublishReview | RemoveReview | PrepareCopies


@dataclass(frozen=True)
class EffectResults:
    """What the effects returned, for ``apply``: the resolved deadlines by key, and the publisher's answer."""

    schedules: dict[str, ScheduledDeadline] = field(default_factory=dict)
    publication: PublishReviewResult | None = None
    copies: PreparedCopies | None = None

    @classmethod
    def of(
        cls,
        schedules: list[ScheduledDeadline],
        publication: PublishReviewResult | None = None,
        copies: PreparedCopies | None = None,
    ) -> EffectResults:
        return cls({s.key: s for s in schedules}, publication, copies)
