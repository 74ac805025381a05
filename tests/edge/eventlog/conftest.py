"""One event loop per test, and the log under test built by each backend in turn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from edge.eventlog import EventLog, MemoryEventLog, SqliteEventLog

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
MakeLog = Callable[..., EventLog]


@pytest.fixture
def run() -> Iterator[Run[Any]]:
    """Run coroutines on one loop for the whole test, as a unit's agent does."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture(params=["sqlite", "memory"])
def make_log(request: pytest.FixtureRequest, tmp_path, run) -> Iterator[MakeLog]:
    """Build logs of the parametrised backend; closed after the test."""
    made: list[EventLog] = []

    def make(**options: Any) -> EventLog:
        log: EventLog
        if request.param == "sqlite":
            name = f"outbox-{len(made)}.sqlite3"
            log = SqliteEventLog(tmp_path / name, "t001", durable=False, **options)
        else:
            log = MemoryEventLog("t001", **options)
        made.append(log)
        return log

    yield make
    for log in made:
        run(log.close())


@pytest.fixture
def log(make_log: MakeLog) -> EventLog:
    return make_log()
