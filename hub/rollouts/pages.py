"""The rollout pages: the list with a form to start one (/rollouts) and one rollout with its
stages, its units' states and failures, and pause / resume / roll back (/rollouts/{id}).
The buttons call the API's routes (operators only, audited there); a rollout that reached no
unit of the account's area is not found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from firmware_config import builtin_profiles
from hub.accounts.area import units_in
from hub.accounts.auth import Viewer
from hub.accounts.roles import Actor, Role
from hub.catalog.versions import current_catalog
from hub.deps import CatalogsDep, RegistryDep, SessionDep, hub_now
from hub.errors import HubError, RolloutNotFound
from hub.fleet.pages import words
from hub.rollouts import area
from hub.rollouts.models import FAILED, Rollout, UnitState
from hub.rollouts.store import rollout_units
from hub.rollouts.words import target_words
from hub.web.pager import LimitQuery, OffsetQuery, Pager, filters
from hub.web.pages import page

router = APIRouter()
ROLLOUTS = Rollout.__table__  # type: ignore[attr-defined]


def _specs(request: Request, ids: list[int]) -> dict[int, dict[str, Any]]:
    with request.app.state.engine.connect() as conn:
        rows = conn.execute(select(ROLLOUTS.c.id, ROLLOUTS.c.spec).where(ROLLOUTS.c.id.in_(ids)))
        return {int(r.id): dict(r.spec or {}) for r in rows}


def _may_change(actor: Actor, session: Any, rollout_id: int, area_units: Any) -> bool:
    if not actor.role.allows(Role.OPERATOR):
        return False
    try:
        area.require_whole(session, rollout_id, area_units)
    except HubError:
        return False
    return True


@router.get("/rollouts", response_class=HTMLResponse)
def rollouts_page(
    request: Request,
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    catalogs: CatalogsDep,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    area_units = units_in(actor.area, registry)
    total, rollouts = area.list_visible(session, area_units, limit=limit, offset=offset)
    specs = _specs(request, [r.id for r in rollouts])
    towns = [
        d for d in registry.divisions
        if area_units is None or any(v.unit_id in area_units for v in registry.in_division(d.code))
    ]  # fmt: skip
    return page(
        request,
        "rollouts.html",
        {
            **words(hub_now(request.app)),
            "area": actor.area.label(registry),
            "rollouts": [(r, target_words(registry, specs.get(r.id, {}))) for r in rollouts],
            "pager": Pager("/rollouts", total, limit, offset),
            "can_act": actor.role.allows(Role.OPERATOR),
            "county": area_units is None,
            "towns": towns,
            "catalog_version": current_catalog(session, catalogs).version,
            "profiles": sorted(builtin_profiles()),
        },
        nav="/rollouts",
    )


@router.get("/rollouts/{rollout_id}", response_class=HTMLResponse)
def rollout_page(
    request: Request,
    rollout_id: Annotated[int, Path(ge=1, le=2**62)],
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    state: UnitState | None = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> HTMLResponse:
    area_units = units_in(actor.area, registry)
    try:
        rollout = area.visible_rollout(session, rollout_id, area_units)
    except RolloutNotFound:
        return page(
            request, "rollout_missing.html", {"rollout_id": rollout_id}, nav="/rollouts",
            status_code=404,
        )  # fmt: skip
    units = rollout_units(session, rollout_id=rollout_id)
    if area_units is not None:
        units = [u for u in units if u.unit in area_units]
    failures = [u for u in units if u.state in FAILED]
    shown = [u for u in units if state is None or u.state == state.value]
    spec = _specs(request, [rollout_id]).get(rollout_id, {})

    def village(unit: str) -> str:
        try:
            return registry.village(unit).name
        except LookupError:
            return unit

    return page(
        request,
        "rollout.html",
        {
            **words(hub_now(request.app)),
            "r": rollout,
            "target": target_words(registry, spec),
            "units": shown[offset : offset + limit],
            "failures": failures[:200],
            "failure_count": len(failures),
            "village": village,
            "state": state.value if state else "",
            "pager": Pager(
                f"/rollouts/{rollout_id}",
                len(shown),
                limit,
                offset,
                filters(state=state.value if state else None),
            ),
            "can_act": _may_change(actor, session, rollout_id, area_units),
            "partial": area_units is not None,
        },
        nav="/rollouts",
    )
