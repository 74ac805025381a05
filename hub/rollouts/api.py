"""Rollout routes: thin wrappers over hub.rollouts.store; roles checked by dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub.accounts.area import units_in
from hub.accounts.auth import Operator, Viewer
from hub.catalog.versions import current_catalog, current_registry
from hub.deps import CatalogsDep, RegistryDep, SessionDep, wake_driver
from hub.errors import OutOfScope
from hub.rollouts import area, store
from hub.rollouts.models import (
    RolloutCreate,
    RolloutPublic,
    RolloutUnitPublic,
    UnitConfigPublic,
    UnitState,
)
from hub.rollouts.plan import target_villages

router = APIRouter(prefix="/api")


@router.post("/rollouts", status_code=201)
def create_rollout(
    body: RolloutCreate,
    actor: Operator,
    session: SessionDep,
    catalogs: CatalogsDep,
    registry: RegistryDep,
    request: Request,
) -> RolloutPublic:
    """A staged rollout; an account of a town or a village targets its own units only."""
    area_units = units_in(actor.area, registry)
    if area_units is not None:
        outside = {v.unit_id for v in target_villages(registry, body.target)} - area_units
        if outside:
            raise OutOfScope(f"{len(outside)} target units are outside your area")
    catalog = current_catalog(session, catalogs)
    # the villages' exclusions as approved with the newest catalog (hub.catalog.offered)
    registry = current_registry(session, registry)
    rollout = store.create_rollout(
        session, request=body, actor=actor, catalog=catalog, registry=registry
    )
    wake_driver(request)
    return rollout


@router.get("/rollouts")
def list_rollouts(
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[RolloutPublic]:
    """Newest first; for a town's or a village's account, the rollouts that reached its units
    (counted over those units)."""
    return area.list_visible(session, units_in(actor.area, registry), limit=limit, offset=offset)[1]


@router.get("/rollouts/{rollout_id}")
def get_rollout(
    rollout_id: int, actor: Viewer, session: SessionDep, registry: RegistryDep
) -> RolloutPublic:
    return area.visible_rollout(session, rollout_id, units_in(actor.area, registry))


@router.get("/rollouts/{rollout_id}/units")
def rollout_units(
    rollout_id: int,
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    state: UnitState | None = None,
) -> list[RolloutUnitPublic]:
    area_units = units_in(actor.area, registry)
    area.visible_rollout(session, rollout_id, area_units)
    rows = store.rollout_units(session, rollout_id=rollout_id, state=state)
    return rows if area_units is None else [r for r in rows if r.unit in area_units]


@router.post("/rollouts/{rollout_id}/pause")
def pause_rollout(
    rollout_id: int, actor: Operator, session: SessionDep, registry: RegistryDep
) -> RolloutPublic:
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
    return store.pause_rollout(session, rollout_id=rollout_id, actor=actor)


@router.post("/rollouts/{rollout_id}/resume")
def resume_rollout(
    rollout_id: int, actor: Operator, session: SessionDep, registry: RegistryDep, request: Request
) -> RolloutPublic:
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
    rollout = store.resume_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.post("/rollouts/{rollout_id}/rollback", status_code=201)
def rollback_rollout(
    rollout_id: int, actor: Operator, session: SessionDep, registry: RegistryDep, request: Request
) -> RolloutPublic:
    """Returns the new rollout that carries the old content."""
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
    rollout = store.rollback_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.get("/config/units")
def unit_configs(
    actor: Viewer, session: SessionDep, registry: RegistryDep
) -> list[UnitConfigPublic]:
    """Desired, reported and running configuration versions of every unit of the caller's area."""
    area_units = units_in(actor.area, registry)
    return store.unit_configs(session, units=None if area_units is None else sorted(area_units))
