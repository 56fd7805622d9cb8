"""Read-your-writes for a process whose decisions answer before the register has them.

A decision is durable once the case workflow has taken it; its register write follows within tens of
milliseconds (``ANSWER_FIRST`` in ``workflows/case_workflow.py``). This process remembers each version it has
answered with, and every other request first waits, briefly, until the register holds those versions: a caller
who decides and then reads through the same API process sees their decision. Another API process may show the
previous state for those milliseconds. A write still missing after ``WAIT`` (its worker down, say) is forgotten
with a warning: that read, and later ones, go ahead with what the register has rather than stall.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import Case

_log = structlog.get_logger(__name__)

WAIT = 5.0  # seconds; a register write slower than this is an outage, and reads must not stall with it
POLL = 0.005


@dataclass
class RegisterFence:
    _answered: dict[str, int] = field(default_factory=dict)  # reference → the newest version answered with

    def answered(self, reference: str, version: int) -> None:
        if version > self._answered.get(reference, 0):
            self._answered[reference] = version

    @property
    def pending(self) -> int:
        return len(self._answered)

    async def settle(self, sessions: async_sessionmaker[AsyncSession], wait: float = WAIT) -> None:
        """Return once the register holds every version answered so far, or after ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while self._answered:
            waiting = dict(self._answered)
            async with sessions() as session:
                rows = await session.execute(
                    select(Case.reference, Case.snapshot_version).where(Case.reference.in_(waiting))
                )
            for reference, version in rows:
                if version >= waiting[reference] and self._answered.get(reference) == waiting[reference]:
                    del self._answered[reference]
            if not self._answered:
                return
            if time.monotonic() >= deadline:
                late = [ref for ref, version in waiting.items() if self._answered.get(ref) == version]
                _log.warning("register_behind_decisions", cases=len(late), waited_seconds=wait)
                for reference in late:
                    del self._answered[reference]
                return
            await asyncio.sleep(POLL)
