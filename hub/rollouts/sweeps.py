"""The driver's sweeps over every unit and rollout, once a tick: time out units that did not
report, take a heartbeat running the issued version as applied, and find configs to publish
again (a broker that lost its retained messages)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, or_, select, update

from hub.rollouts.issue import BLOBS, Publication
from hub.rollouts.models import ACTIVE, UnitState
from hub.rollouts.store import ROLLOUTS, RU, UC, UNITS, VERSIONS
from hub.sql import chunks
from protocol.canonical import canonical_json

log = logging.getLogger("bianmin.hub.rollouts")


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
    # a bad row too, so that it is looked at again only after ``after_s``
    conn.execute(update(UC).where(UC.c.unit.in_(units)).values(published_at=now))
    out = []
    for r in rows:
        try:
            out.append(Publication(r.unit, canonical_json({**r.envelope, "body": r.body})))
        except Exception:  # one bad row must not stop the others from being published again
            log.exception("cannot publish the config of %s again", r.unit)
    return out


def mark_unpublished(engine: Engine, units: list[str]) -> None:
    """Publishing failed (no broker connection): publish these on the next tick."""
    with engine.begin() as conn:
        for part in chunks(units):
            conn.execute(update(UC).where(UC.c.unit.in_(part)).values(published_at=None))
