"""Record units' `config/reported` messages. Called inside the ingest transaction, so a report
is stored exactly when the rest of its batch is, by any ingest process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, Connection, and_, bindparam, case, or_, update

from hub.rollouts.anomalies import record_anomalies
from hub.rollouts.models import RolloutUnit, UnitConfig, UnitState
from hub.sql import insert_for
from protocol.messages import ConfigReported

UC = UnitConfig.__table__  # type: ignore[attr-defined]
RU = RolloutUnit.__table__  # type: ignore[attr-defined]


def record_reports(
    conn: Connection, reports: Sequence[tuple[str, ConfigReported]], now: datetime
) -> None:
    if not reports:
        return
    latest: dict[str, ConfigReported] = {}
    applied: dict[str, int] = {}
    claimed: dict[str, int] = {}
    for unit, rep in reports:
        if unit not in latest or latest[unit].ts <= rep.ts:
            latest[unit] = rep
        if rep.status == "applied":
            applied[unit] = max(applied.get(unit, 0), rep.version)
        claimed[unit] = max(claimed.get(unit, 0), rep.version)
    # before the update below, which makes sure every reporting unit has a row
    record_anomalies(conn, claimed, source="report", now=now)
    conn.execute(
        insert_for(conn, UC).on_conflict_do_nothing(index_elements=["unit"]),
        [{"unit": u} for u in sorted(latest)],
    )
    # applied_version only counts versions the hub issued: a claim above them is an anomaly,
    # and would make the next version overflow (hub/rollouts/anomalies.py)
    newer = bindparam("applied_v", type_=BigInteger)
    conn.execute(
        update(UC)
        .where(UC.c.unit == bindparam("u"))
        .values(
            report_version=bindparam("v"),
            report_status=bindparam("s"),
            report_reason=bindparam("why"),
            reported_at=now,
            applied_version=case(
                (and_(UC.c.applied_version < newer, newer <= UC.c.desired_version), newer),
                else_=UC.c.applied_version,
            ),
        ),
        [
            {
                "u": unit,
                "v": rep.version,
                "s": rep.status,
                "why": rep.reason,
                "applied_v": applied.get(unit, 0),
            }
            for unit, rep in sorted(latest.items())
        ],
    )
    # An applied report is the truth about what the unit runs, even after a transient
    # rejection or a timeout; a rejection only settles a unit still waiting for an answer.
    done = [{"u": u, "v": r.version} for u, r in reports if r.status == "applied"]
    if done:
        conn.execute(
            update(RU)
            .where(
                RU.c.unit == bindparam("u"),
                RU.c.version == bindparam("v"),
                RU.c.state != UnitState.APPLIED.value,
            )
            .values(state=UnitState.APPLIED.value, finished_at=now, reason=None),
            done,
        )
    refused = [
        {"u": u, "v": r.version, "why": r.reason} for u, r in reports if r.status == "rejected"
    ]
    if refused:
        conn.execute(
            update(RU)
            .where(
                RU.c.unit == bindparam("u"),
                RU.c.version == bindparam("v"),
                # or_, not in_: an IN list cannot be expanded inside an executemany
                or_(
                    RU.c.state == UnitState.DELIVERED.value,
                    RU.c.state == UnitState.TIMED_OUT.value,
                ),
            )
            .values(state=UnitState.REJECTED.value, finished_at=now, reason=bindparam("why")),
            refused,
        )
    # A deferral (a software update waiting for the window to be idle or for the end of
    # office hours) settles nothing: the unit stays delivered, and the reason says why.
    waiting = [
        {"u": u, "v": r.version, "why": f"deferred: {r.reason or ''}"}
        for u, r in reports
        if r.status == "deferred"
    ]
    if waiting:
        conn.execute(
            update(RU)
            .where(
                RU.c.unit == bindparam("u"),
                RU.c.version == bindparam("v"),
                RU.c.state == UnitState.DELIVERED.value,
            )
            .values(reason=bindparam("why")),
            waiting,
        )
