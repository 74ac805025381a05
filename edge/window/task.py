"""The window's one background device step: starting a step stops the one before, and a step
that fails leaves a message for the clerk instead of taking the window down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from edge.workflow.errors import WorkflowError

log = logging.getLogger("bianmin.edge.window")
FAILED = "设备操作出错，请重试或联系运维"


class StepTask:
    def __init__(
        self,
        on_error: Callable[[str], None],
        on_idle: Callable[[], None] | None = None,
        gate: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._on_error = on_error
        self._on_idle = on_idle  # called when a step ends by itself (not when stopped)
        self._gate = gate  # awaited before each step (the window's devices being switched)
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """A step is running (and may be using a device)."""
        return self._task is not None and not self._task.done()

    def start(self, step: Callable[[], Awaitable[None]]) -> None:
        # The step's coroutine is made inside the task: one cancelled before it ever ran
        # then leaves no coroutine behind that was never awaited.
        self.cancel()
        self._task = asyncio.ensure_future(self._guard(step))
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task is self._task and self._on_idle is not None:
            self._on_idle()

    def cancel(self) -> None:
        """Stop the running step without waiting: the caller may be that step itself."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()

    async def stop(self) -> None:
        """Stop the running step and wait until it is gone."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def finish(self, timeout: float) -> None:
        """Give the running step up to ``timeout`` seconds to end by itself."""
        if self._task is not None:
            await asyncio.wait([self._task], timeout=timeout)

    async def _guard(self, step: Callable[[], Awaitable[None]]) -> None:
        try:
            if self._gate is not None:
                await self._gate()
            await step()
        except asyncio.CancelledError:
            raise
        except WorkflowError as exc:
            self._on_error(exc.message_zh)
        except Exception:  # a device step must never take the window down
            log.exception("window step failed")
            self._on_error(FAILED)
