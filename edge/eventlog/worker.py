"""The worker threads that run blocking commits, shared by every event log in the process.

The fleet simulator runs thousands of units on one event loop, so a thread per unit is out of
the question; a few shared threads suffice because each log runs one write at a time anyway.
Commits do not share the loop's default executor, so they never queue behind a camera frame
or a printer status poll.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
WORKERS = 4

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _commit_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:  # made on first use, not at import
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="eventlog")
        return _pool


async def in_worker(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a commit thread and wait for it without blocking the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_commit_pool(), functools.partial(fn, *args))
