"""Which cases name a user as their lead reviewer: read from the register's record of the appointment (the
timeline's "lead reviewers named" decision, whose details list each reviewer's account, or their name when no
account is given). The latest appointment of a case counts: naming new reviewers replaces the old ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from domain.lifecycle.review import REVIEWERS_NAMED
from store.database import Reader
from store.models import AuditEvent, Case


async def appointed_cases(session: Reader, *, user: str, boards: Sequence[str]) -> frozenset[str]:
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
    return frozenset(reference for reference, reviewers in latest.items() if any(_names(r, user) for r in reviewers))


def _names(reviewer: object, user: str) -> bool:
    """The reviewer is ``user``: by the account the appointment gives, or, when it gives none, by a name that is
    the user id itself (appointments recorded before accounts were asked for, or naming the reviewer by id)."""
    if not isinstance(reviewer, dict):
        return False
    account = reviewer.get("account")
    if account is not None:
        return bool(account == user)
    return str(reviewer.get("name", "")).strip().casefold() == user.strip().casefold()
