"""Rollouts as an account's area sees them: a rollout is visible when it reached at least one
unit of the area (else it is not found), shows only the area's units, and may be paused,
resumed or rolled back only by an account whose area holds every unit it reaches (a town's
office does not stop the county's rollout for the other towns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from sqlalchemy import Connection, func, select
from sqlmodel import Session

from hub.errors import OutOfScope, RolloutNotFound
from hub.rollouts.models import Rollout, RolloutPublic, RolloutUnit, UnitState
from hub.rollouts.store import get_rollout
from hub.sql import chunks

ROLLOUTS = Rollout.__table__  # type: ignore[attr-defined]
RU = RolloutUnit.__table__  # type: ignore[attr-defined]


def rollouts_reaching(db: Session | Connection, units: Collection[str]) -> set[int]:
    """The rollouts that include at least one of ``units``."""
    found: set[int] = set()
    for part in chunks(sorted(units)):
        stmt = select(RU.c.rollout_id).where(RU.c.unit.in_(list(part))).distinct()
        found.update(int(r) for r in db.execute(stmt).scalars())
    return found


def visible_rollout(
    session: Session, rollout_id: int, area_units: frozenset[str] | None
) -> RolloutPublic:
    """The rollout with its counts over the area's units only; not found outside the area."""
    rollout = get_rollout(session, rollout_id=rollout_id)
    if area_units is None:
        return rollout
    if rollout_id not in rollouts_reaching(session, area_units):
        raise RolloutNotFound(f"no rollout {rollout_id}")
    return area_counts(session, rollout, area_units)


def area_counts(session: Session, rollout: RolloutPublic, units: frozenset[str]) -> RolloutPublic:
    """``rollout`` with its unit counts (overall and per stage) over ``units`` only."""
    states = [s.value for s in UnitState]
    counts: Counter[str] = Counter()
    stages: list[Counter[str]] = [Counter() for _ in range(rollout.stages)]
    for part in chunks(sorted(units)):
        stmt = (
            select(RU.c.stage, RU.c.state, func.count())
            .where(RU.c.rollout_id == rollout.id, RU.c.unit.in_(list(part)))
            .group_by(RU.c.stage, RU.c.state)
        )
        for stage, state, n in session.execute(stmt):
            counts[state] += n
            stages[stage][state] += n
    return rollout.model_copy(
        update={
            "units": sum(counts.values()),
            "counts": {s: counts[s] for s in states},
            "stage_counts": [{s: c[s] for s in states} for c in stages],
        }
    )


def require_whole(session: Session, rollout_id: int, area_units: frozenset[str] | None) -> None:
    """Refuse a change to a rollout reaching units outside the caller's area (not found when
    it reaches none of them)."""
    if area_units is None:
        return
    visible_rollout(session, rollout_id, area_units)
    reached = set(session.execute(select(RU.c.unit).where(RU.c.rollout_id == rollout_id)).scalars())
    if not reached <= area_units:
        raise OutOfScope(
            f"rollout {rollout_id} reaches units outside your area; the county's office acts on it"
        )


def list_visible(
    session: Session,
    area_units: frozenset[str] | None,
    *,
    limit: int,
    offset: int,
    states: Collection[str] | None = None,
) -> tuple[int, list[RolloutPublic]]:
    """(how many, this page) of the rollouts the area sees (in ``states``), newest first."""
    where = [] if states is None else [ROLLOUTS.c.state.in_(sorted(states))]
    if area_units is not None:
        ids = sorted(rollouts_reaching(session, area_units))
        if not ids:
            return 0, []
        where.append(ROLLOUTS.c.id.in_(ids))
    total = session.execute(select(func.count()).select_from(ROLLOUTS).where(*where)).scalar_one()
    page = session.execute(
        select(ROLLOUTS.c.id)
        .where(*where)
        .order_by(ROLLOUTS.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    out = [get_rollout(session, rollout_id=int(r)) for r in page]
    if area_units is not None:
        out = [area_counts(session, r, area_units) for r in out]
    return int(total), out
