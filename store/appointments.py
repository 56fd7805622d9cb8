"""Which cases name a user as their lead reviewer: read from the register's record of the appointment (the
timeline's "lead reviewers named" decision, whose details list each reviewer's account). The latest
appointment of a case counts: naming new reviewers replaces the old ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.lifecycle.review import REVIEWERS_NAMED
from store.models import AuditEvent, Case


async def appointed_cases(session: AsyncSession, *, user: str, boards: Sequence[str]) -> frozenset[str]:
    """The references of the cases of ``boards`` whose current lead reviewers include ``user``'s account."""
    rows = await session.execute(
        select(AuditEvent.case_reference, AuditEvent.details)
        .join(Case, Case.reference == AuditEvent.case_reference)
        .where(
            Case.board.in_(boards),
            AuditEvent.kind == "decision",
            AuditEvent.summary.startswith(REVIEWERS_NAMED, autoescape=True),
        )
        .order_by(AuditEvent.id)
    )
    latest: dict[str, list[Any]] = {}
    for reference, details in rows:
        reviewers = details.get("reviewers") if isinstance(details, dict) else None
        if isinstance(reviewers, list):
            latest[reference] = reviewers
    return frozenset(
        reference
        for reference, reviewers in latest.items()
        if any(isinstance(r, dict) and r.get("account") == user for r in reviewers)
    )
