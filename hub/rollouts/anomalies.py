"""Config versions a unit claims but the hub never issued it.

Versions come only from the hub: a unit's next version is one above the highest the hub ever
issued it. A heartbeat's ``config_version`` or a ``config/reported`` version above that is
nothing the unit got from this hub: a corrupted or hostile unit, or a hub database restored
from a backup older than the unit's configuration. Such a claim is recorded on the unit's
UnitConfig row and in the audit log (``config.anomaly``), shown in the API and on the
dashboard, and never used to compute a version: a heartbeat claiming 2^63-1 would otherwise
make the next version overflow and stall every rollout that includes the unit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select, update

from hub import audit
from hub.accounts.roles import SYSTEM
from hub.models import Unit
from hub.rollouts.models import UnitConfig
from hub.sql import chunks, insert_for

log = logging.getLogger("bianmin.hub.rollouts")
UC = UnitConfig.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]
ACTION = "config.anomaly"


def record_anomalies(
    conn: Connection, claims: Mapping[str, int], *, source: str, now: datetime
) -> list[str]:
    """Record every claimed version above the highest the hub issued that unit (and not
    recorded already); return those units. ``source`` is ``heartbeat`` or ``report``."""
    known: dict[str, tuple[int, int | None]] = {}
    for part in chunks(sorted(claims)):
        rows = conn.execute(
            select(UC.c.unit, UC.c.desired_version, UC.c.anomaly_version).where(
                UC.c.unit.in_(list(part))
            )
        )
        known.update({r.unit: (r.desired_version, r.anomaly_version) for r in rows})
    new = {
        unit: claimed
        for unit, claimed in sorted(claims.items())
        if claimed > known.get(unit, (0, None))[0] and claimed != known.get(unit, (0, None))[1]
    }
    if not new:
        return []
    conn.execute(
        insert_for(conn, UC).on_conflict_do_nothing(index_elements=["unit"]),
        [{"unit": u} for u in new],
    )
    conn.execute(
        update(UC)
        .where(UC.c.unit == bindparam("u"))
        .values(anomaly_version=bindparam("v"), anomaly_source=source, anomaly_at=now),
        [{"u": u, "v": v} for u, v in new.items()],
    )
    for unit, claimed in new.items():
        issued = known.get(unit, (0, None))[0]
        log.warning(
            "unit %s claims config version %d in a %s; the hub issued it up to %d",
            unit,
            claimed,
            source,
            issued,
        )
        audit.record(
            conn,
            actor=SYSTEM,
            action=ACTION,
            target=f"unit/{unit}",
            detail={"claimed": claimed, "issued": issued, "source": source},
        )
    return list(new)


def sweep_heartbeats(conn: Connection, *, now: datetime) -> list[str]:
    """Units whose last heartbeat runs a version above anything issued to them (the driver's
    tick: ingest writes heartbeats in bulk and does not look at versions)."""
    rows = conn.execute(
        select(UNITS.c.id, UNITS.c.config_version)
        .outerjoin(UC, UC.c.unit == UNITS.c.id)
        .where(
            UNITS.c.config_version > func.coalesce(UC.c.desired_version, 0),
            or_(
                UC.c.anomaly_version.is_(None),
                UC.c.anomaly_version != UNITS.c.config_version,
            ),
        )
    )
    claims = {r.id: r.config_version for r in rows}
    return record_anomalies(conn, claims, source="heartbeat", now=now) if claims else []
