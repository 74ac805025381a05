"""The blacklist reaches units by itself: after a change (hub.window.blacklist_sync), the hub's
timers start a blacklist-only rollout to every unit the hub has configured. Each unit's new
body is the body of its current desired version with only the blacklist pointer replaced, so
nothing else a unit runs changes; units whose body already points at the current list are left
out, and a unit never configured gets the list with its first rollout.

Changes within the coalescing window go out as one rollout. While another rollout is active
(running or paused) the delivery waits: units may be in one active rollout only, and a rollout
in progress must not have its bodies changed under it.

One transaction with the delivery row locked (PostgreSQL; SQLite has one writer), so two hub
processes never start two rollouts for one change."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import Session

from hub import audit
from hub.accounts.roles import SYSTEM
from hub.rollouts.issue import BLOBS
from hub.rollouts.models import ACTIVE
from hub.rollouts.render import body_hash, store_blobs
from hub.rollouts.store import ROLLOUTS, UC, VERSIONS, _insert_rollout
from hub.sql import chunks
from hub.window.blacklist import blacklist_artifact
from hub.window.blacklist_sync import DELIVERY, ROW_ID

log = logging.getLogger("bianmin.hub.rollouts")
KIND = "blacklist"
TIMEOUT_S = 600.0


def _current_bodies(session: Session) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Every configured unit's desired body hash, and the (few) distinct bodies by hash."""
    units = {
        r.unit: r.body_hash
        for r in session.execute(
            select(UC.c.unit, VERSIONS.c.body_hash)
            .join(
                VERSIONS,
                and_(VERSIONS.c.unit == UC.c.unit, VERSIONS.c.version == UC.c.desired_version),
            )
            .where(UC.c.desired_version > 0)
        )
    }
    bodies: dict[str, dict[str, Any]] = {}
    for part in chunks(sorted(set(units.values()))):
        rows = session.execute(select(BLOBS.c.hash, BLOBS.c.body).where(BLOBS.c.hash.in_(part)))
        bodies.update({r.hash: r.body for r in rows})
    return units, bodies


def deliver_blacklist(session: Session, *, now: datetime, coalesce_s: float) -> int | None:
    """Start the blacklist rollout if a change waits long enough and no rollout is active;
    return its id (None: nothing started). Commits."""
    row = session.execute(select(DELIVERY).where(DELIVERY.c.id == ROW_ID).with_for_update()).first()
    if row is None or row.dirty_since is None:
        session.rollback()
        return None
    if (now - row.dirty_since).total_seconds() < coalesce_s:
        session.rollback()
        return None
    active = session.execute(
        select(ROLLOUTS.c.id).where(ROLLOUTS.c.state.in_(ACTIVE)).order_by(ROLLOUTS.c.id)
    ).scalar()
    if active is not None:
        if row.waiting_for != active:
            session.execute(
                update(DELIVERY).where(DELIVERY.c.id == ROW_ID).values(waiting_for=active)
            )
            session.commit()
        else:
            session.rollback()
        return None
    ref = blacklist_artifact(session)
    pointer = ref.model_dump(mode="json")
    units, current = _current_bodies(session)
    bodies: dict[str, dict[str, Any]] = {}  # new bodies by hash
    renamed: dict[str, str] = {}  # a current body's hash -> its new body's hash
    for old_hash, body in current.items():
        if (body.get("blacklist") or {}).get("sha256") == ref.sha256:
            continue
        new = {**body, "blacklist": pointer}
        renamed[old_hash] = body_hash(new)
        bodies[renamed[old_hash]] = new
    hashes = {u: renamed[h] for u, h in sorted(units.items()) if h in renamed}
    rollout_id = None
    if hashes:
        store_blobs(session, bodies)
        spec = {"blacklist_sha256": ref.sha256, "changes": row.pending}
        rollout_id = _insert_rollout(
            session,
            row={
                "kind": KIND,
                "note": "诚信名单变更自动下发",
                "created_by": SYSTEM.name,
                "spec": spec,
                # only the list changes: nothing to judge, like a rollback it never pauses
                "failure_threshold": 1.0,
                "timeout_s": TIMEOUT_S,
            },
            stages=[sorted(hashes)],
            hashes=hashes,
        )
        audit.record(
            session, actor=SYSTEM, action="blacklist.rollout", target=f"rollout/{rollout_id}",
            detail={**spec, "units": len(hashes)},
        )  # fmt: skip
    done: dict[str, Any] = {"dirty_since": None, "pending": 0, "waiting_for": None}
    if rollout_id is not None:
        done |= {"rollout_id": rollout_id, "started_at": now}
    session.execute(update(DELIVERY).where(DELIVERY.c.id == ROW_ID).values(**done))
    session.commit()
    if rollout_id is not None:
        log.info("blacklist rollout %d to %d units", rollout_id, len(hashes))
    return rollout_id
