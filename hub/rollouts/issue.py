"""The driver's database steps: issue a stage (allocate versions, sign, record), judge a stage
against the failure threshold, time units out, and find configs to publish again.

Each step is one transaction with the rollout row locked (on PostgreSQL; SQLite has one
writer at a time anyway), so two hub processes driving at once never issue a unit twice or
move a stage twice; the loser of a race finds nothing left to do.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update

from hub import audit
from hub.accounts.roles import SYSTEM
from hub.rollouts.models import (
    ACTIVE,
    FAILED,
    ConfigBlob,
    RolloutState,
    UnitState,
)
from hub.rollouts.store import ROLLOUTS, RU, UC, UNITS, VERSIONS
from hub.sql import chunks, insert_for
from protocol.canonical import canonical_json
from protocol.config import config_document
from protocol.signing import sign_document

BLOBS = ConfigBlob.__table__  # type: ignore[attr-defined]
ISSUE_CHUNK = 1000  # units signed and committed per transaction


@dataclass(frozen=True, slots=True)
class Publication:
    unit: str
    payload: bytes


def _bodies(conn: Connection, hashes: set[str]) -> dict[str, dict[str, Any]]:
    rows = conn.execute(select(BLOBS.c.hash, BLOBS.c.body).where(BLOBS.c.hash.in_(list(hashes))))
    return {r.hash: r.body for r in rows}


def issue_stage(
    conn: Connection,
    key: Ed25519PrivateKey,
    *,
    rollout_id: int,
    stage: int,
    now: datetime,
    limit: int = ISSUE_CHUNK,
) -> list[Publication]:
    """Sign and record the next version for up to ``limit`` pending units of ``stage``. The
    driver publishes each chunk as soon as it is committed and comes back for the rest, so
    the first units apply while the hub is still signing for the last ones.

    Two drivers issuing the same unit would both give it desired_version + 1: the second
    insert breaks ConfigVersion's primary key and its transaction rolls back (on PostgreSQL
    the rollout row lock taken by ``advance`` already serialises them)."""
    pending = conn.execute(
        select(RU.c.unit, RU.c.body_hash)
        .where(
            RU.c.rollout_id == rollout_id,
            RU.c.stage == stage,
            RU.c.state == UnitState.PENDING.value,
        )
        .order_by(RU.c.unit)
        .limit(limit)
    ).all()
    if not pending:
        return []
    units = [r.unit for r in pending]
    conn.execute(
        insert_for(conn, UC).on_conflict_do_nothing(index_elements=["unit"]),
        [{"unit": u} for u in units],
    )
    # The next version is above anything the unit is known to have, not only above what this
    # database issued: after a restore from backup it must not reissue a number in use.
    running = select(UNITS.c.config_version).where(UNITS.c.id == UC.c.unit).scalar_subquery()
    desired: dict[str, int] = {}
    for part in chunks(units):
        rows = conn.execute(
            select(UC.c.unit, UC.c.desired_version, UC.c.applied_version, running).where(
                UC.c.unit.in_(part)
            )
        ).all()
        desired.update({r[0]: max(r[1], r[2], r[3] or 0) for r in rows})
    bodies = _bodies(conn, {r.body_hash for r in pending})
    issued_at = now.isoformat().replace("+00:00", "Z")
    versions, issued, out = [], [], []
    for r in pending:
        version = desired[r.unit] + 1
        document = config_document(
            unit=r.unit, version=version, issued_at=issued_at, body=bodies[r.body_hash]
        )
        signed = sign_document(document, key)
        envelope = {k: v for k, v in signed.items() if k != "body"}
        versions.append(
            {
                "unit": r.unit,
                "version": version,
                "body_hash": r.body_hash,
                "envelope": envelope,
                "rollout_id": rollout_id,
                "created_at": now,
            }
        )
        issued.append({"u": r.unit, "v": version})
        out.append(Publication(r.unit, canonical_json(signed)))
    conn.execute(VERSIONS.insert(), versions)
    conn.execute(
        update(UC)
        .where(UC.c.unit == bindparam("u"))
        .values(desired_version=bindparam("v"), desired_at=now, published_at=now),
        issued,
    )
    conn.execute(
        update(RU)
        .where(RU.c.rollout_id == rollout_id, RU.c.unit == bindparam("u"))
        .values(state=UnitState.DELIVERED.value, version=bindparam("v"), issued_at=now),
        issued,
    )
    return out


def _stage_counts(conn: Connection, rollout_id: int, stage: int) -> Counter[str]:
    rows = conn.execute(
        select(RU.c.state, func.count())
        .where(RU.c.rollout_id == rollout_id, RU.c.stage == stage)
        .group_by(RU.c.state)
    )
    return Counter({state: n for state, n in rows})


def advance(
    conn: Connection, key: Ed25519PrivateKey, *, rollout_id: int, now: datetime
) -> list[Publication]:
    """One decision for a running rollout: pause it (the threshold is judged before each
    chunk, so a failing stage stops early), issue the next chunk of its stage, move to the
    next stage, or complete it."""
    r = conn.execute(
        select(ROLLOUTS).where(ROLLOUTS.c.id == rollout_id).with_for_update()
    ).one_or_none()
    if r is None or r.state != RolloutState.RUNNING.value:
        return []
    counts = _stage_counts(conn, rollout_id, r.stage)
    size = sum(counts.values())
    failed = sum(counts[s] for s in FAILED)
    # more than the threshold share failed; a 0 threshold pauses on the first failure
    allowed = math.floor(r.failure_threshold * size + 1e-9)
    if r.stage != r.accepted_stage and failed > allowed:
        reason = (
            f"stage {r.stage + 1} of {r.stages}: {failed} of {size} units failed "
            f"(rejected or timed out), over the threshold of {r.failure_threshold:.0%}"
        )
        _set(conn, rollout_id, now, state=RolloutState.PAUSED.value, paused_reason=reason)
        audit.record(
            conn,
            actor=SYSTEM,
            action="rollout.auto_pause",
            target=f"rollout/{rollout_id}",
            detail={"stage": r.stage, "failed": failed, "units": size},
        )
        return []
    if counts[UnitState.PENDING.value]:
        return issue_stage(
            conn, key, rollout_id=rollout_id, stage=r.stage, now=now, limit=ISSUE_CHUNK
        )
    if counts[UnitState.DELIVERED.value]:
        return []
    if r.stage + 1 < r.stages:
        _set(conn, rollout_id, now, stage=r.stage + 1)
        return issue_stage(
            conn, key, rollout_id=rollout_id, stage=r.stage + 1, now=now, limit=ISSUE_CHUNK
        )
    _set(conn, rollout_id, now, state=RolloutState.COMPLETED.value)
    audit.record(
        conn,
        actor=SYSTEM,
        action="rollout.complete",
        target=f"rollout/{rollout_id}",
        detail={"units": r.units},
    )
    return []


def _set(conn: Connection, rollout_id: int, now: datetime, **values: Any) -> None:
    conn.execute(
        update(ROLLOUTS).where(ROLLOUTS.c.id == rollout_id).values(updated_at=now, **values)
    )


def active_rollouts(conn: Connection) -> list[tuple[int, str, float]]:
    rows = conn.execute(
        select(ROLLOUTS.c.id, ROLLOUTS.c.state, ROLLOUTS.c.timeout_s)
        .where(ROLLOUTS.c.state.in_(ACTIVE))
        .order_by(ROLLOUTS.c.id)
    )
    return [(r.id, r.state, r.timeout_s) for r in rows]


def expire(conn: Connection, *, rollout_id: int, timeout_s: float, now: datetime) -> int:
    """Delivered units with no report within the timeout become timed_out."""
    return int(
        conn.execute(
            update(RU)
            .where(
                RU.c.rollout_id == rollout_id,
                RU.c.state == UnitState.DELIVERED.value,
                RU.c.issued_at < now - timedelta(seconds=timeout_s),
            )
            .values(
                state=UnitState.TIMED_OUT.value,
                finished_at=now,
                reason=f"no report within {timeout_s:g} s",
            )
        ).rowcount
    )


def reconcile_heartbeats(conn: Connection, *, now: datetime) -> int:
    """A unit whose heartbeat says it runs the version a rollout gave it has applied it, even
    if its report was lost (a hub killed between PUBACK and commit, for instance)."""
    running = select(UNITS.c.config_version).where(UNITS.c.id == RU.c.unit).scalar_subquery()
    active = select(ROLLOUTS.c.id).where(ROLLOUTS.c.state.in_(ACTIVE))
    return int(
        conn.execute(
            update(RU)
            .where(
                RU.c.rollout_id.in_(active),
                RU.c.state.in_((UnitState.DELIVERED.value, UnitState.TIMED_OUT.value)),
                RU.c.version == running,
            )
            .values(state=UnitState.APPLIED.value, finished_at=now, reason="seen in heartbeat")
        ).rowcount
    )


def due_republish(
    conn: Connection, *, now: datetime, after_s: float, limit: int = 2000
) -> list[Publication]:
    """Desired configs not applied yet and not published for ``after_s``: publish them again
    (a broker that crashed before saving its retained messages loses them)."""
    stmt = (
        select(UC.c.unit, VERSIONS.c.envelope, BLOBS.c.body)
        .join(
            VERSIONS,
            and_(VERSIONS.c.unit == UC.c.unit, VERSIONS.c.version == UC.c.desired_version),
        )
        .join(BLOBS, BLOBS.c.hash == VERSIONS.c.body_hash)
        .where(
            UC.c.desired_version > UC.c.applied_version,
            or_(UC.c.published_at.is_(None), UC.c.published_at < now - timedelta(seconds=after_s)),
            # a unit that refused this version refuses it again, unless the cause was transient
            or_(
                UC.c.report_version.is_(None),
                UC.c.report_version != UC.c.desired_version,
                UC.c.report_status != UnitState.REJECTED.value,
                UC.c.report_reason.like("artifact_unavailable%"),
            ),
        )
        .order_by(UC.c.unit)
        .limit(limit)
    )
    rows = conn.execute(stmt).all()
    if not rows:
        return []
    units = [r.unit for r in rows]
    conn.execute(update(UC).where(UC.c.unit.in_(units)).values(published_at=now))
    return [Publication(r.unit, canonical_json({**r.envelope, "body": r.body})) for r in rows]


def mark_unpublished(engine: Engine, units: list[str]) -> None:
    """Publishing failed (no broker connection): publish these on the next tick."""
    with engine.begin() as conn:
        for part in chunks(units):
            conn.execute(update(UC).where(UC.c.unit.in_(part)).values(published_at=None))


def step(
    engine: Engine,
    key: Ed25519PrivateKey,
    *,
    republish_after_s: float,
    now: datetime | None = None,
    full: bool = True,
) -> list[Publication]:
    """One pass of the driver over every active rollout; returns what to publish. ``full``
    adds the sweeps over every unit (republishing, heartbeat reconciliation), which need not
    run on each burst of reports."""
    now = now or datetime.now(UTC)
    out: list[Publication] = []
    with engine.begin() as conn:
        if full:
            out += due_republish(conn, now=now, after_s=republish_after_s)
            reconcile_heartbeats(conn, now=now)
        rollouts = active_rollouts(conn)
    for rollout_id, _state, timeout_s in rollouts:
        with engine.begin() as conn:
            expire(conn, rollout_id=rollout_id, timeout_s=timeout_s, now=now)
            out += advance(conn, key, rollout_id=rollout_id, now=now)
    return out
