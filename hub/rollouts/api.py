"""Rollout routes: thin wrappers over hub.rollouts.store; roles checked by dependencies."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hub.accounts.area import units_in
from hub.accounts.auth import Operator, Viewer
from hub.catalog.versions import current_catalog, current_registry
from hub.deps import CatalogsDep, RegistryDep, RowId, SessionDep, wake_driver
from hub.errors import OutOfScope
from hub.paging import PAGE_HEADERS, PageDep, send_headers
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
        session,
        request=body,
        actor=actor,
        catalog=catalog,
        registry=registry,
        signing_key=request.app.state.signing_key,
    )
    wake_driver(request)
    return rollout


@router.get("/rollouts", responses=PAGE_HEADERS)
def list_rollouts(
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[RolloutPublic]:
    """Newest first; for a town's or a village's account, the rollouts that reached its units
    (counted over those units)."""
    page.total, found = area.list_visible(
        session, units_in(actor.area, registry), limit=page.limit, offset=page.offset
    )
    send_headers(response, request, page, len(found))
    return found


@router.get("/rollouts/{rollout_id}")
def get_rollout(
    rollout_id: RowId, actor: Viewer, session: SessionDep, registry: RegistryDep
) -> RolloutPublic:
    return area.visible_rollout(session, rollout_id, units_in(actor.area, registry))


@router.get("/rollouts/{rollout_id}/units", responses=PAGE_HEADERS)
def rollout_units(
    rollout_id: RowId,
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
    state: UnitState | None = None,
) -> list[RolloutUnitPublic]:
    area_units = units_in(actor.area, registry)
    area.visible_rollout(session, rollout_id, area_units)
    if area_units is None:
        found = store.rollout_units(session, rollout_id=rollout_id, state=state, page=page)
    else:  # a town's units of the rollout: a few dozen at most, paged here
        rows = store.rollout_units(session, rollout_id=rollout_id, state=state)
        mine = [r for r in rows if r.unit in area_units]
        page.total = len(mine)
        found = mine[page.offset : page.offset + page.limit]
    send_headers(response, request, page, len(found))
    return found


@router.post("/rollouts/{rollout_id}/pause")
def pause_rollout(
    rollout_id: RowId, actor: Operator, session: SessionDep, registry: RegistryDep
) -> RolloutPublic:
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
    return store.pause_rollout(session, rollout_id=rollout_id, actor=actor)


@router.post("/rollouts/{rollout_id}/resume")
def resume_rollout(
    rollout_id: RowId, actor: Operator, session: SessionDep, registry: RegistryDep, request: Request
) -> RolloutPublic:
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
    rollout = store.resume_rollout(session, rollout_id=rollout_id, actor=actor)
    wake_driver(request)
    return rollout


@router.post("/rollouts/{rollout_id}/rollback", status_code=201)
def rollback_rollout(
    rollout_id: RowId, actor: Operator, session: SessionDep, registry: RegistryDep, request: Request
) -> RolloutPublic:
    """Returns the new rollout that carries the old content."""
    area.require_whole(session, rollout_id, units_in(actor.area, registry))
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
