"""Read-your-writes, per case, for decisions that answer before the register has them.

A decision is durable once the case workflow has taken it; its register write follows within tens of
milliseconds (``ANSWER_FIRST`` in ``workflows/case_workflow.py``). Each decision's answer carries the case's new
version (its ``ETag``, ``W/"<version>"``), and this process remembers, per case, the newest version it answered
with (and the case's board).

- A read of one case (``GET /api/v1/cases/{reference}``, its timeline, its documents…) waits, briefly, until the
  register holds the version this process answered for *that* case; it never waits for other cases. A caller
  may also name the version they need (``min_version``, from an ``ETag``), which any API process honours.
- Lists (the case list, the task list) wait for the decisions this process answered on the cases they may show,
  those of the caller's boards, and never for other boards' cases.
- Everything else (decisions, screening, calendar, summaries, health) waits for nothing.

A write still missing after the fence's ``wait`` (``WAIT``, 5 s: its worker down, say) is forgotten with a
warning: that read, and later ones, go ahead with what the register has rather than stall. A caller's explicit
``min_version`` is not given up on: that read answers 503 with ``Retry-After`` instead (``api/access.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store import register
from store.models import Case

_log = structlog.get_logger(__name__)

WAIT = 5.0  # seconds; a register write slower than this is an outage, and reads must not stall with it
POLL = 0.005


@dataclass
class _Answer:
    version: int
    board: str | None


@dataclass
class RegisterFence:
    wait: float = WAIT  # how long a read waits for the register
    _answered: dict[str, _Answer] = field(default_factory=dict)  # reference → the newest version answered with

    def answered(self, reference: str, version: int, *, board: str | None = None) -> None:
        answer = self._answered.setdefault(reference, _Answer(version, board))
        answer.version = max(answer.version, version)

    @property
    def pending(self) -> int:
        return len(self._answered)

    def needed(self, reference: str) -> int:
        """The version of ``reference`` this process has answered with and the register may not hold yet."""
        answer = self._answered.get(reference)
        return answer.version if answer is not None else 0

    def answered_on(self, boards: Collection[str]) -> list[str]:
        """The cases of ``boards`` this process has answered for and the register may not hold yet."""
        return [reference for reference, answer in self._answered.items() if answer.board in boards]

    def seen(self, reference: str, version: int) -> None:
        """The register holds ``version`` of ``reference``: nothing older need be waited for again."""
        answer = self._answered.get(reference)
        if answer is not None and version >= answer.version:
            del self._answered[reference]

    def forget(self, reference: str, version: int) -> None:
        """Stop waiting for ``version`` of ``reference`` (late: the register write is given up on)."""
        answer = self._answered.get(reference)
        if answer is not None and answer.version == version:
            del self._answered[reference]

    async def settle(
        self,
        sessions: async_sessionmaker[AsyncSession],
        wait: float | None = None,
        *,
        references: Collection[str] | None = None,
    ) -> None:
        """Return once the register holds every version answered so far of ``references`` (every case this
        process answered for, if ``None``), or after ``wait`` seconds (the fence's own ``wait`` if ``None``)."""
        wait = self.wait if wait is None else wait
        deadline = time.monotonic() + wait
        while waiting := self._waiting(references):
            async with sessions() as session:
                rows = await session.execute(
                    select(Case.reference, Case.snapshot_version).where(Case.reference.in_(waiting))
                )
            for reference, version in rows:
                if version >= waiting[reference]:
                    self.seen(reference, version)
            if not self._waiting(references):
                return
            if time.monotonic() >= deadline:
                late = [ref for ref, version in waiting.items() if self.needed(ref) == version]
                _log.warning("register_behind_decisions", cases=len(late), waited_seconds=wait)
                for reference in late:
                    self.forget(reference, waiting[reference])
                return
            await asyncio.sleep(POLL)

    def _waiting(self, references: Collection[str] | None) -> dict[str, int]:
        chosen = self._answered if references is None else (r for r in references if r in self._answered)
        return {reference: self._answered[reference].version for reference in chosen}


async def case_at_version(
    sessions: async_sessionmaker[AsyncSession], *, reference: str, version: int, wait: float = WAIT
) -> Case | None:
    """The case's register row once it holds at least ``version``, or the newest row after ``wait`` seconds
    (``None`` if the case is not in the register)."""
    deadline = time.monotonic() + wait
    while True:
        async with sessions() as session:
            case = await register.find_case(session, reference=reference)
        if case is None or case.snapshot_version >= version or time.monotonic() >= deadline:
            return case
        await asyncio.sleep(POLL)
