"""The case's one durable timer, kept while the moment it waits for stays the same.

Before this helper the clock waited with ``wait_condition(..., timeout=...)``: every decision woke it, which
cancelled its timer and started the same timer again (a ``TimerCanceled`` in the decision's workflow task and a
``TimerStarted`` after it, for nothing when the decision left the next reminder or due time as it was). Now the
timer runs as a task of its own: a wake-up re-checks the next clock event and replaces the timer only when that
event changed (``patched(KEPT_CLOCK)`` in the workflow; older runs keep the old way).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.lifecycle.clocks import ClockEvent


class CaseClock:
    def __init__(self) -> None:
        self._timer: asyncio.Task[None] | None = None
        self._waiting_for: tuple[str, datetime] | None = None  # (deadline key, moment) the timer runs for

    async def wait(self, event: ClockEvent | None, woken: Callable[[], bool]) -> bool:
        """Until ``event``'s moment (True) or a wake-up (False), whichever comes first; with no event, until a
        wake-up. The timer outlives a wake-up, for the next call to keep if the event is still the same."""
        if event is None:
            self.stop()
            await workflow.wait_condition(woken)
            return False
        if event.at <= workflow.now():
            self.stop()
            return True
        if self._waiting_for != (event.key, event.at):
            self.stop()
            self._timer = asyncio.create_task(workflow.sleep(event.at - workflow.now(), summary=event.summary))
            self._waiting_for = (event.key, event.at)
        timer = self._timer
        assert timer is not None
        await workflow.wait_condition(lambda: timer.done() or woken())
        if woken():  # the case changed: the caller looks again (a timer that fired meanwhile is kept for that look)
            return False
        self._timer, self._waiting_for = None, None
        return True

    def stop(self) -> None:
        """Cancel the timer (the event changed, the case closed, or it continues as new)."""
        if self._timer is not None and not self._timer.done():
            self._timer.cancel()
        self._timer, self._waiting_for = None, None
