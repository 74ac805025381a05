"""Async tests without a plugin: the decorated coroutine runs in a fresh event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def async_test(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """pytest sees a plain function (fixtures resolve through ``functools.wraps``)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(fn(*args, **kwargs))

    return run
