"""Engines a test left open, closed when the run ends.

A hub app built by a test and never started (or used again after its lifespan ended) keeps
its pooled PostgreSQL connections until the garbage collector deletes them, and psycopg then
warns that a connection "was deleted while still open" — which this suite's
``filterwarnings = error`` turns into a failure of whatever test or hook is running then. Every
engine that connects is remembered (weakly); when the run ends, those still alive are
disposed, and the run's summary names where each PostgreSQL one first connected, so the test
that leaves it open can be found and fixed.

An engine a test drops mid-run is not kept alive for that (connections would pile up on the
server): the PostgreSQL connections it handed out are closed the moment the collector takes it.
"""

from __future__ import annotations

import traceback
import weakref
from typing import Any

from sqlalchemy import Engine, event

_OPEN: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()
# the DBAPI connections each PostgreSQL engine handed out, by id; never the engine itself
_HANDED_OUT: weakref.WeakKeyDictionary[Engine, dict[int, Any]] = weakref.WeakKeyDictionary()


def _close_all(connections: dict[int, Any]) -> None:
    for dbapi_connection in connections.values():
        dbapi_connection.close()  # a second close is a no-op for psycopg


def _connected(conn: Any) -> None:
    engine = conn.engine
    if engine not in _OPEN:
        frames = [f for f in traceback.extract_stack(limit=40) if "/tests/" in f.filename]
        _OPEN[engine] = f"{frames[0].filename}:{frames[0].lineno}" if frames else "?"
        if engine.dialect.name == "postgresql":
            handed_out: dict[int, Any] = {}
            _HANDED_OUT[engine] = handed_out
            weakref.finalize(engine, _close_all, handed_out)
    if engine in _HANDED_OUT:
        raw = conn.connection.dbapi_connection
        _HANDED_OUT[engine][id(raw)] = raw


def watch() -> None:
    event.listen(Engine, "engine_connect", _connected)


def dispose_left_open() -> list[str]:
    """Dispose every engine still alive; where the PostgreSQL ones still holding connections
    first connected."""
    left = []
    for engine, where in list(_OPEN.items()):
        idle = getattr(engine.pool, "checkedin", None)  # QueuePool's count of pooled connections
        if engine.dialect.name == "postgresql" and idle is not None and idle():
            left.append(where)
        engine.dispose()
    return left
