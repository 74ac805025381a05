"""One pass of the rollout driver: the sweeps over every unit, then each active rollout in a
transaction of its own.

One rollout failing (a bug, a bad row) is isolated: it is tried once more (the first failure
may be a race with a second hub process, which the retry finds done), then paused with the
error as its reason and an audit entry, and the other rollouts advance. One sweep failing
does not stop the others or the rollouts. A database that is unavailable ends the pass
instead: every rollout would fail the same way, and the driver tries again on its next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, update

from hub import audit
from hub.accounts.roles import SYSTEM
from hub.faults import database_unavailable, describe_fault
from hub.rollouts.anomalies import sweep_heartbeats
from hub.rollouts.issue import Publication, advance
from hub.rollouts.models import RolloutState
from hub.rollouts.store import ROLLOUTS
from hub.rollouts.sweeps import active_rollouts, due_republish, expire, reconcile_heartbeats
from hub.signing.store import HubKeys
from protocol.bounds import printable

log = logging.getLogger("bianmin.hub.rollouts")


def step(
    engine: Engine,
    key: Ed25519PrivateKey | HubKeys,
    *,
    republish_after_s: float,
    now: datetime | None = None,
    full: bool = True,
) -> list[Publication]:
    """One pass of the driver over every active rollout; returns what to publish. ``full``
    adds the sweeps over every unit (republishing, heartbeat reconciliation, version
    anomalies), which need not run on each burst of reports."""
    now = now or datetime.now(UTC)
    after_s = republish_after_s
    out: list[Publication] = []
    if full:
        again = _sweep(engine, "republish", lambda c: due_republish(c, now=now, after_s=after_s))
        out += again or []
        _sweep(engine, "heartbeat reconciliation", lambda c: reconcile_heartbeats(c, now=now))
        _sweep(engine, "version anomalies", lambda c: sweep_heartbeats(c, now=now))
    with engine.connect() as conn:
        rollouts = active_rollouts(conn)
    for rollout_id, _state, timeout_s in rollouts:
        out += _advance_isolated(engine, key, rollout_id, timeout_s, now)
    return out


def _sweep(engine: Engine, name: str, sweep: Callable[[Connection], Any]) -> Any:
    try:
        with engine.begin() as conn:
            return sweep(conn)
    except Exception as exc:
        if database_unavailable(exc, engine.dialect.loaded_dbapi):
            raise
        log.exception("the rollout driver's %s sweep failed; the rollouts go on", name)
        return None


def _advance_isolated(
    engine: Engine,
    key: Ed25519PrivateKey | HubKeys,
    rollout_id: int,
    timeout_s: float,
    now: datetime,
) -> list[Publication]:
    failure: Exception | None = None
    for _attempt in range(2):
        try:
            with engine.begin() as conn:
                expire(conn, rollout_id=rollout_id, timeout_s=timeout_s, now=now)
                return advance(conn, key, rollout_id=rollout_id, now=now)
        except Exception as exc:
            if database_unavailable(exc, engine.dialect.loaded_dbapi):
                raise
            failure = exc
    assert failure is not None
    log.error("rollout %d failed twice; pausing it", rollout_id, exc_info=failure)
    _pause_for_error(engine, rollout_id, failure, now)
    return []


def _pause_for_error(engine: Engine, rollout_id: int, failure: Exception, now: datetime) -> None:
    """Pause the rollout, its reason the error, with an audit entry; the operator resumes it
    once the cause is fixed."""
    reason = printable(f"driver error: {describe_fault(failure)}", 500)
    try:
        with engine.begin() as conn:
            paused = conn.execute(
                update(ROLLOUTS)
                .where(
                    ROLLOUTS.c.id == rollout_id,
                    ROLLOUTS.c.state == RolloutState.RUNNING.value,
                )
                .values(state=RolloutState.PAUSED.value, paused_reason=reason, updated_at=now)
            ).rowcount
            if paused:
                audit.record(
                    conn,
                    actor=SYSTEM,
                    action="rollout.auto_pause",
                    target=f"rollout/{rollout_id}",
                    detail={"error": reason},
                )
    except Exception:
        log.exception("rollout %d: recording its failure failed too", rollout_id)
