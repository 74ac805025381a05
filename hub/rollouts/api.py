"""Rollout routes: thin wrappers over hub.rollouts.store; roles checked by dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub.accounts.auth import Operator, Viewer
from hub.catalog.versions import current_catalog, current_registry
from hub.deps import CatalogsDep, RegistryDep, SessionDep, wake_driver
from hub.rollouts import store
from hub.rollouts.models import (
    RolloutCreate,
    RolloutPublic,
    RolloutUnitPublic,
    UnitConfigPublic,
    UnitState,
)

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
    _: Viewer, session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RolloutPublic]:
    return store.list_rollouts(session, limit=limit)


@router.get("/rollouts/{rollout_id}")
def get_rollout(rollout_id: int, _: Viewer, session: SessionDep) -> RolloutPublic:
    return store.get_rollout(session, rollout_id=rollout_id)


@router.get("/rollouts/{rollout_id}/units")
def rollout_units(
    rollout_id: int, _: Viewer, session: SessionDep, state: UnitState | None = None
) -> list[RolloutUnitPublic]:
    return store.rollout_units(session, rollout_id=rollout_id, state=state)


@router.post("/rollouts/{rollout_id}/pause")
def pause_rollout(rollout_id: int, actor: Operator, session: SessionDep) -> RolloutPublic:
    return store.pause_rollout(session, rollout_id=rollout_id, actor=actor)


@router.post("/rollouts/{rollout_id}/resume")
def resume_rollout(
    rollout_id: int, actor: Operator, session: SessionDep, request: Request
) -> RolloutPublic:
    rollout = store.resume_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.post("/rollouts/{rollout_id}/rollback", status_code=201)
def rollback_rollout(
    rollout_id: int, actor: Operator, session: SessionDep, request: Request
) -> RolloutPublic:
    """Returns the new rollout that carries the old content."""
    rollout = store.rollback_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.get("/config/units")
def unit_configs(_: Viewer, session: SessionDep) -> list[UnitConfigPublic]:
    """Desired, reported and running configuration versions of every unit."""
    return store.unit_configs(session)
