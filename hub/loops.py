"""The shape every background loop of the hub shares (case projection, alerts, notices): a
pass when woken or on a tick, and a stop that lets the pass in progress finish, because its
database work runs in a thread that cancelling the task would orphan with an open connection."""

from __future__ import annotations

import asyncio
import contextlib


class TickLoop:
    def __init__(self, tick_s: float, *, start_at_once: bool = False) -> None:
        self.tick_s = tick_s
        self._wake = asyncio.Event()
        self._stopping = False
        if start_at_once:
            self._wake.set()

    def wake(self) -> None:
        """Something changed: make the next pass now."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the pass in progress, then leave run()."""
        self._stopping = True
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def next_pass(self) -> bool:
        """Wait for a wake-up or the tick; False once stop() was called."""
        if self._stopping:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.tick_s)
        self._wake.clear()
        return not self._stopping
