"""Rollout routes: thin wrappers over hub.rollouts.store; roles checked by dependencies."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hub.accounts.area import units_in
from hub.accounts.auth import Operator, Viewer
from hub.catalog.versions import current_catalog, current_registry
from hub.deps import CatalogsDep, RegistryDep, RowId, SessionDep, wake_driver
from hub.paging import PAGE_HEADERS, PageDep, send_headers
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


@router.get("/rollouts", responses=PAGE_HEADERS)
def list_rollouts(
    _: Viewer, session: SessionDep, page: PageDep, request: Request, response: Response
) -> list[RolloutPublic]:
    """The newest first."""
    found = store.list_rollouts(session, page=page)
    send_headers(response, request, page, len(found))
    return found


@router.get("/rollouts/{rollout_id}")
def get_rollout(rollout_id: RowId, _: Viewer, session: SessionDep) -> RolloutPublic:
    return store.get_rollout(session, rollout_id=rollout_id)


@router.get("/rollouts/{rollout_id}/units", responses=PAGE_HEADERS)
def rollout_units(
    rollout_id: RowId,
    _: Viewer,
    session: SessionDep,
    page: PageDep,
    request: Request,
    response: Response,
    state: UnitState | None = None,
) -> list[RolloutUnitPublic]:
    found = store.rollout_units(session, rollout_id=rollout_id, state=state, page=page)
    send_headers(response, request, page, len(found))
    return found


@router.post("/rollouts/{rollout_id}/pause")
def pause_rollout(rollout_id: RowId, actor: Operator, session: SessionDep) -> RolloutPublic:
    return store.pause_rollout(session, rollout_id=rollout_id, actor=actor)


@router.post("/rollouts/{rollout_id}/resume")
def resume_rollout(
    rollout_id: RowId, actor: Operator, session: SessionDep, request: Request
) -> RolloutPublic:
    rollout = store.resume_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.post("/rollouts/{rollout_id}/rollback", status_code=201)
def rollback_rollout(
    rollout_id: RowId, actor: Operator, session: SessionDep, request: Request
) -> RolloutPublic:
    """Returns the new rollout that carries the old content."""
    rollout = store.rollback_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.get("/config/units", responses=PAGE_HEADERS)
def unit_configs(
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[UnitConfigPublic]:
    """Desired, reported and running configuration versions of the units the account's area
    covers."""
    area = units_in(actor.area, registry)
    found = store.unit_configs(session, units=sorted(area) if area is not None else None, page=page)
    send_headers(response, request, page, len(found))
    return found
