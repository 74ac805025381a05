"""Engines a test left open, closed when the run ends.

A hub app built by a test and never started (or used again after its lifespan ended) keeps
its pooled PostgreSQL connections until the garbage collector deletes them, and psycopg then
warns that a connection "was deleted while still open" — which this suite's
``filterwarnings = error`` turns into a failure of whatever test or hook is running then. Every
engine that connects is remembered (weakly); when the run ends, those still alive are
disposed, and the run's summary names where each PostgreSQL one first connected, so the test
that leaves it open can be found and fixed.
"""

from __future__ import annotations

import traceback
import weakref

from sqlalchemy import Engine, event

_OPEN: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _connected(conn: object) -> None:
    engine = conn.engine  # type: ignore[attr-defined]
    if engine not in _OPEN:
        frames = [f for f in traceback.extract_stack(limit=40) if "/tests/" in f.filename]
        _OPEN[engine] = f"{frames[0].filename}:{frames[0].lineno}" if frames else "?"


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
