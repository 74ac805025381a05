"""Projecting cases into case_record: mark a case pending when its events arrive (in ingest's
transaction), recompute pending cases from all their events and actions, rebuild everything.

Recomputing a whole case is cheap (a case has a dozen or two events) and makes the record a
pure function of the facts (hub.cases.fold), so live projection and rebuild agree exactly.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select, tuple_

from hub.cases.fold import Action, UnitEvent, fold
from hub.cases.tables import CaseAction, CasePending, CaseRecord
from hub.followups.hook import DEFAULT_FOLLOWUP_DAYS, open_followups
from hub.models import Event
from hub.sql import chunks, insert_for
from hub.window.idgen import ROTATING, RotationUnderWay, rotating
from protocol.messages import EVENT_KINDS

RECORDS = CaseRecord.__table__  # type: ignore[attr-defined]
ACTIONS = CaseAction.__table__  # type: ignore[attr-defined]
PENDING = CasePending.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
CASE_KIND = EVENT_KINDS[0]  # "case.transition"
PROJECT_CHUNK = 200  # cases recomputed per transaction


def mark_pending(conn: Connection, case_ids: Iterable[uuid.UUID]) -> None:
    """Queue these cases for projection (in the caller's transaction): a new row, or the
    generation of an existing one bumped so a projector holding the old one keeps it."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    stmt = insert_for(conn, PENDING)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PENDING.c.case_id], set_={"gen": PENDING.c.gen + 1}
    )
    for chunk in chunks(ids):
        conn.execute(stmt, [{"case_id": c, "gen": 0} for c in chunk])


def project(
    conn: Connection,
    case_ids: Sequence[uuid.UUID],
    *,
    followup_days: int = DEFAULT_FOLLOWUP_DAYS,
) -> int:
    """Recompute these cases' records from their events and actions. Returns how many
    records now exist for them (a case whose opening has not arrived has none yet). A bad
    rating opens its follow-up here, once (hub.followups.hook), due ``followup_days`` working
    days after the rating."""
    events: dict[uuid.UUID, list[UnitEvent]] = defaultdict(list)
    actions: dict[uuid.UUID, list[Action]] = defaultdict(list)
    for chunk in chunks(case_ids):
        rows = conn.execute(
            select(
                EVENTS.c.case_id, EVENTS.c.ts, EVENTS.c.unit, EVENTS.c.seq, EVENTS.c.state,
                EVENTS.c.matter_code, EVENTS.c.body,
            ).where(EVENTS.c.case_id.in_(chunk), EVENTS.c.kind == CASE_KIND)
        )  # fmt: skip
        for r in rows:
            data = r.body.get("data") if isinstance(r.body, dict) else None
            events[r.case_id].append(
                UnitEvent(r.ts, r.unit, r.seq, r.state or "", r.matter_code, data or {})
            )
        for a in conn.execute(select(ACTIONS).where(ACTIONS.c.case_id.in_(chunk))):
            actions[a.case_id].append(Action(a.id, a.at, a.kind, a.actor, a.data or {}))
    records = [
        rec
        for case_id in case_ids
        if (rec := fold(case_id, events.get(case_id, ()), actions.get(case_id, ()))) is not None
    ]
    _upsert(conn, records)
    open_followups(conn, records, days=followup_days)
    return len(records)


def _upsert(conn: Connection, records: list[dict[str, Any]]) -> None:
    if not records:
        return
    stmt = insert_for(conn, RECORDS)
    columns = [c.name for c in RECORDS.columns if c.name != "case_id"]
    stmt = stmt.on_conflict_do_update(
        index_elements=[RECORDS.c.case_id], set_={c: stmt.excluded[c] for c in columns}
    )
    conn.execute(stmt, records)


def drain_pending(
    engine: Engine, limit: int = PROJECT_CHUNK, *, followup_days: int = DEFAULT_FOLLOWUP_DAYS
) -> int:
    """Project up to ``limit`` pending cases in one transaction; returns how many were taken.
    Several hub processes may drain at once: each recomputes from committed facts, and a
    pending row is deleted only at the generation that was read."""
    with engine.begin() as conn:
        if rotating(conn):
            return 0  # the cases wait in the queue until the rotation is done
        taken = conn.execute(select(PENDING.c.case_id, PENDING.c.gen).limit(limit)).all()
        if not taken:
            return 0
        project(conn, [t.case_id for t in taken], followup_days=followup_days)
        for chunk in chunks(taken):
            conn.execute(
                delete(PENDING).where(
                    tuple_(PENDING.c.case_id, PENDING.c.gen).in_(
                        [(t.case_id, t.gen) for t in chunk]
                    )
                )
            )
    return len(taken)


def rebuild(
    engine: Engine,
    *,
    chunk: int = PROJECT_CHUNK,
    followup_days: int = DEFAULT_FOLLOWUP_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute every case from its events and actions; returns the records written. Records
    with no opening event left (never, unless events were deleted by hand) are removed.
    ``progress(done, total)`` is called after each chunk of cases. Refused (RotationUnderWay)
    while a rotation of the reference key is under way: finish it first."""
    with engine.begin() as conn:
        if rotating(conn):
            raise RotationUnderWay(ROTATING)
        ids = sorted(
            set(
                conn.execute(
                    select(EVENTS.c.case_id)
                    .where(and_(EVENTS.c.case_id.is_not(None), EVENTS.c.kind == CASE_KIND))
                    .distinct()
                ).scalars()
            )
            | set(conn.execute(select(ACTIONS.c.case_id).distinct()).scalars())
        )
    written = done = 0
    for part in chunks(ids, chunk):
        with engine.begin() as conn:
            written += project(conn, part, followup_days=followup_days)
        done += len(part)
        if progress is not None:
            progress(done, len(ids))
    with engine.begin() as conn:
        known = set(ids)
        stale = [c for c in conn.execute(select(RECORDS.c.case_id)).scalars() if c not in known]
        for part in chunks(stale):
            conn.execute(delete(RECORDS).where(RECORDS.c.case_id.in_(part)))
    return written
