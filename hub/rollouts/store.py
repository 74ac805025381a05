"""What the operator does to rollouts: create, pause, resume, roll back, and read their state.
Plain functions over a session; each change commits together with its audit entry."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from firmware_config import builtin_profiles
from hub import audit
from hub.accounts.roles import Actor
from hub.artifacts.store import artifact_ref
from hub.calendar.versions import calendar_artifact, current_document
from hub.errors import (
    InvalidRequest,
    InvalidTransition,
    NothingToRollBack,
    RolloutNotFound,
    UnitsBusy,
    UnknownProfile,
)
from hub.models import Unit
from hub.paging import Page, fetch
from hub.rollouts.models import (
    ACTIVE,
    ConfigVersion,
    Rollout,
    RolloutCreate,
    RolloutPublic,
    RolloutState,
    RolloutUnit,
    RolloutUnitPublic,
    UnitConfig,
    UnitConfigPublic,
    UnitState,
)
from hub.rollouts.plan import plan_stages, target_villages
from hub.rollouts.render import HUB_MADE, render_bodies
from hub.rollouts.software import software_target
from hub.sql import chunks
from hub.window.blacklist import blacklist_artifact
from hub.window.clerks import rosters
from protocol.catalog import Catalog
from protocol.config_schema import schema_note, unit_schema
from protocol.villages import VillageRegistry

ROLLOUTS = Rollout.__table__  # type: ignore[attr-defined]
RU = RolloutUnit.__table__  # type: ignore[attr-defined]
VERSIONS = ConfigVersion.__table__  # type: ignore[attr-defined]
UC = UnitConfig.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]


def busy_units(session: Session, units: Sequence[str]) -> dict[str, int]:
    """Units already in a running or paused rollout, with that rollout's id."""
    found: dict[str, int] = {}
    for part in chunks(units):
        stmt = (
            select(RU.c.unit, RU.c.rollout_id)
            .join(ROLLOUTS, ROLLOUTS.c.id == RU.c.rollout_id)
            .where(ROLLOUTS.c.state.in_(ACTIVE), RU.c.unit.in_(list(part)))
        )
        found.update({r.unit: r.rollout_id for r in session.execute(stmt)})
    return found


def _refuse_busy(session: Session, units: Sequence[str]) -> None:
    busy = busy_units(session, units)
    if busy:
        shown = ", ".join(f"{u} (rollout {r})" for u, r in sorted(busy.items())[:10])
        more = f" and {len(busy) - 10} more" if len(busy) > 10 else ""
        raise UnitsBusy(
            f"{len(busy)} target units are in an active rollout: {shown}{more}; "
            "let it finish, or roll it back first"
        )


def _insert_rollout(
    session: Session, *, row: dict[str, Any], stages: list[list[str]], hashes: dict[str, str]
) -> int:
    now = datetime.now(UTC)
    rid = session.execute(
        insert(ROLLOUTS)
        .values(
            created_at=now,
            updated_at=now,
            stages=len(stages),
            units=sum(len(s) for s in stages),
            state=RolloutState.RUNNING.value,
            **row,
        )
        .returning(ROLLOUTS.c.id)
    ).scalar_one()
    session.execute(
        insert(RU),
        [
            {
                "rollout_id": rid,
                "unit": unit,
                "stage": i,
                "state": UnitState.PENDING.value,
                "body_hash": hashes[unit],
            }
            for i, stage in enumerate(stages)
            for unit in stage
        ],
    )
    return int(rid)


def create_rollout(
    session: Session,
    *,
    request: RolloutCreate,
    actor: Actor,
    catalog: Catalog,
    registry: VillageRegistry,
    signing_key: Ed25519PrivateKey | None = None,
) -> RolloutPublic:
    """Plan the stages, render and store every unit's body, record the rollout as running.
    The driver issues stage 0 on its next tick. ``signing_key`` signs a software release."""
    villages = target_villages(registry, request.target)
    stages = plan_stages(
        villages,
        canary=request.canary,
        canary_count=request.canary_count,
        stage_size=request.stage_size,
    )
    units = [u for stage in stages for u in stage]
    _refuse_busy(session, units)
    profile = builtin_profiles().get(request.profile)
    if profile is None:
        known = ", ".join(sorted(builtin_profiles()))
        raise UnknownProfile(f"no hardware profile {request.profile!r}; known: {known}")
    extra = [artifact_ref(session, sha) for sha in request.artifacts]
    if any(ref.kind in HUB_MADE for ref in extra):
        raise InvalidRequest(
            "artifacts: catalog slices, blacklists and calendars are chosen by the hub, not listed"
        )
    software = None
    if request.software is not None:
        if signing_key is None:
            raise InvalidRequest("software: this hub has no signing key to sign the release")
        software = software_target(session, request.software, signing_key)
    hashes = render_bodies(
        session,
        units=units,
        catalog=catalog,
        registry=registry,
        profile=profile,
        thresholds=request.thresholds,
        extra=extra,
        # the blacklist and the calendar as they are now; units get later changes with the
        # next rollout
        blacklist=blacklist_artifact(session),
        calendar=calendar_artifact(session),
        # each village's active clerks as they are now, like the blacklist
        rosters=rosters(session, units),
        software=software,
    )
    spec = {
        **request.model_dump(mode="json"),
        "software_version": software.release.version if software else None,
        "catalog_version": catalog.version,
        "calendar_version": current_document(session)[0].version,
    }
    rid = _insert_rollout(
        session,
        row={
            "kind": "rollout",
            "note": request.note,
            "created_by": actor.name,
            "spec": spec,
            "failure_threshold": request.failure_threshold,
            "timeout_s": request.timeout_s,
        },
        stages=stages,
        hashes=hashes,
    )
    audit.record(
        session,
        actor=actor,
        action="rollout.create",
        target=f"rollout/{rid}",
        detail={
            "units": len(units),
            "stages": [len(s) for s in stages],
            **spec,
            # the profile's face thresholds as signed into the configs, so a change to them
            # reads in the audit log itself, not only as a profile name
            "face_thresholds": {
                "verify": profile.face.verify_threshold,
                "id_photo": profile.face.id_photo_threshold,
            },
        },
    )
    session.commit()
    return get_rollout(session, rollout_id=rid)


def _load(session: Session, rollout_id: int) -> Rollout:
    row = session.get(Rollout, rollout_id)
    if row is None:
        raise RolloutNotFound(f"no rollout {rollout_id}")
    return row


def _transition(
    session: Session,
    *,
    rollout_id: int,
    actor: Actor,
    action: str,
    allowed: tuple[str, ...],
    values: dict[str, Any],
) -> RolloutPublic:
    row = _load(session, rollout_id)
    before = row.state
    changed = session.execute(
        update(ROLLOUTS)
        .where(ROLLOUTS.c.id == rollout_id, ROLLOUTS.c.state.in_(allowed))
        .values(updated_at=datetime.now(UTC), **values)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.rollback()
        raise InvalidTransition(
            f"rollout {rollout_id} is {before}; {action} needs it {' or '.join(allowed)}"
        )
    audit.record(
        session,
        actor=actor,
        action=f"rollout.{action}",
        target=f"rollout/{rollout_id}",
        detail={"from": before, **values},
    )
    session.commit()
    session.expire_all()
    return get_rollout(session, rollout_id=rollout_id)


def pause_rollout(session: Session, *, rollout_id: int, actor: Actor) -> RolloutPublic:
    """Stop issuing further stages. Configs already delivered stay delivered."""
    return _transition(
        session,
        rollout_id=rollout_id,
        actor=actor,
        action="pause",
        allowed=(RolloutState.RUNNING.value,),
        values={"state": RolloutState.PAUSED.value, "paused_reason": f"paused by {actor.name}"},
    )


def resume_rollout(session: Session, *, rollout_id: int, actor: Actor) -> RolloutPublic:
    """Go on. The failures of the current stage count as accepted by the operator, so the
    threshold that paused it does not pause it again at once."""
    row = _load(session, rollout_id)
    return _transition(
        session,
        rollout_id=rollout_id,
        actor=actor,
        action="resume",
        allowed=(RolloutState.PAUSED.value,),
        values={
            "state": RolloutState.RUNNING.value,
            "paused_reason": None,
            "accepted_stage": row.stage,
        },
    )


def rollback_rollout(session: Session, *, rollout_id: int, actor: Actor) -> RolloutPublic:
    """Undo a rollout with a new rollout: each unit it reached gets a new, higher version
    carrying the body it ran before. The original stops (its pending units never get it)."""
    original = _load(session, rollout_id)
    if original.state == RolloutState.ROLLED_BACK.value:
        raise InvalidTransition(f"rollout {rollout_id} was rolled back already")
    reached = {
        r.unit: r.version
        for r in session.execute(
            select(RU.c.unit, RU.c.version).where(
                RU.c.rollout_id == rollout_id, RU.c.version.is_not(None)
            )
        )
    }
    previous, skipped = _previous_bodies(session, reached)
    if not previous:
        raise NothingToRollBack(
            f"rollout {rollout_id} reached no unit that had a configuration before it"
        )
    session.execute(
        update(ROLLOUTS)
        .where(ROLLOUTS.c.id == rollout_id)
        .values(state=RolloutState.ROLLED_BACK.value, updated_at=datetime.now(UTC))
    )
    units = sorted(previous)
    _refuse_busy(session, units)
    spec = {"rollback_of": rollout_id, "skipped": skipped}
    rid = _insert_rollout(
        session,
        row={
            "kind": "rollback",
            "note": f"rollback of rollout {rollout_id}",
            "created_by": actor.name,
            "spec": spec,
            # a rollback is the way out of trouble: it never pauses itself
            "failure_threshold": 1.0,
            "timeout_s": original.timeout_s,
            "parent_id": rollout_id,
        },
        stages=[units],
        hashes=previous,
    )
    audit.record(
        session,
        actor=actor,
        action="rollout.rollback",
        target=f"rollout/{rollout_id}",
        detail={"rollback": rid, "units": len(units), "skipped": skipped},
    )
    session.commit()
    return get_rollout(session, rollout_id=rid)


def _previous_bodies(
    session: Session, reached: dict[str, int]
) -> tuple[dict[str, str], dict[str, str]]:
    """For each unit, the body of the version before the one the rollout issued."""
    previous: dict[str, tuple[int, str]] = {}
    desired: dict[str, int] = {}
    for part in chunks(sorted(reached)):
        for r in session.execute(
            select(VERSIONS.c.unit, VERSIONS.c.version, VERSIONS.c.body_hash).where(
                VERSIONS.c.unit.in_(list(part))
            )
        ):
            best = previous.get(r.unit)
            if r.version < reached[r.unit] and (best is None or r.version > best[0]):
                previous[r.unit] = (r.version, r.body_hash)
        desired.update(
            session.execute(
                select(UC.c.unit, UC.c.desired_version).where(UC.c.unit.in_(list(part)))
            ).all()
        )
    out: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for unit, version in reached.items():
        if desired.get(unit, 0) > version:
            skipped[unit] = f"has a newer version {desired[unit]} since"
        elif unit not in previous:
            skipped[unit] = "had no configuration before"
        else:
            out[unit] = previous[unit][1]
    return out, skipped


# -- reading --------------------------------------------------------------------------------


def _public(session: Session, row: Rollout) -> RolloutPublic:
    counts: Counter[str] = Counter()
    stage_counts: list[Counter[str]] = [Counter() for _ in range(row.stages)]
    stmt = (
        select(RU.c.stage, RU.c.state, func.count())
        .where(RU.c.rollout_id == row.id)
        .group_by(RU.c.stage, RU.c.state)
    )
    for stage, state, n in session.execute(stmt):
        counts[state] += n
        stage_counts[stage][state] += n
    states = [s.value for s in UnitState]
    return RolloutPublic.model_validate(
        {
            **row.model_dump(exclude={"spec", "accepted_stage"}),
            "catalog_version": row.spec.get("catalog_version"),
            "calendar_version": row.spec.get("calendar_version"),
            "profile": row.spec.get("profile"),
            "software_version": row.spec.get("software_version"),
            "counts": {s: counts[s] for s in states},
            "stage_counts": [{s: c[s] for s in states} for c in stage_counts],
        }
    )


def get_rollout(session: Session, *, rollout_id: int) -> RolloutPublic:
    return _public(session, _load(session, rollout_id))


def list_rollouts(
    session: Session, *, limit: int = 50, page: Page | None = None
) -> list[RolloutPublic]:
    stmt = select(Rollout).order_by(ROLLOUTS.c.id.desc())
    rows = fetch(session, stmt if page else stmt.limit(limit), page)
    return [_public(session, r[0]) for r in rows]


def rollout_units(
    session: Session, *, rollout_id: int, state: UnitState | None = None, page: Page | None = None
) -> list[RolloutUnitPublic]:
    _load(session, rollout_id)
    stmt = (
        select(RU, UNITS.c.health)
        .outerjoin(UNITS, UNITS.c.id == RU.c.unit)
        .where(RU.c.rollout_id == rollout_id)
        .order_by(RU.c.stage, RU.c.unit)
    )
    if state is not None:
        stmt = stmt.where(RU.c.state == state.value)
    out = []
    for r in fetch(session, stmt, page):
        row = dict(r._mapping)
        row["schema_note"] = schema_note(unit_schema(row.pop("health", None)))
        out.append(RolloutUnitPublic.model_validate(row))
    return out


def unit_configs(
    session: Session, *, units: Sequence[str] | None = None, page: Page | None = None
) -> list[UnitConfigPublic]:
    """Desired, reported and running (heartbeat) versions per unit."""
    stmt = (
        select(UC, UNITS.c.config_version.label("running_version"))
        .outerjoin(UNITS, UNITS.c.id == UC.c.unit)
        .order_by(UC.c.unit)
    )
    if units is not None:
        stmt = stmt.where(UC.c.unit.in_(list(units)))
    return [UnitConfigPublic.model_validate(dict(r._mapping)) for r in fetch(session, stmt, page)]
