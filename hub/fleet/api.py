"""JSON API for the fleet operator and the fleet simulator: units, their events, the totals
and the dead letters. Routes stay thin; app.py requires the viewer role for all of them, and
the dead letters need an auditor: what a unit sent may hold personal data. An account scoped
to a town or village sees its own units only; another unit is answered as not found."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub.accounts.area import covers, units_in
from hub.accounts.auth import Auditor, Viewer
from hub.accounts.roles import Actor
from hub.deps import RegistryDep, SessionDep, SettingsDep
from hub.errors import UnitNotFound
from hub.fleet import events, units
from hub.models import DeadLetterPublic, EventRef, UnitDetail, UnitPublic
from protocol.villages import VillageRegistry

router = APIRouter(prefix="/api")


@router.get("/units")
def list_units(
    actor: Viewer, session: SessionDep, settings: SettingsDep, registry: RegistryDep
) -> list[UnitPublic]:
    """The units of the caller's area."""
    area_units = units_in(actor.area, registry)
    return units.list_units(session, stale_after_s=settings.stale_after_s, units=area_units)


def _in_area(actor: Actor, registry: VillageRegistry, unit_id: str) -> None:
    if not covers(actor.area, registry, unit_id):
        raise UnitNotFound(f"no unit {unit_id!r}")


@router.get("/units/{unit_id}")
def get_unit(
    unit_id: str, actor: Viewer, session: SessionDep, settings: SettingsDep, registry: RegistryDep
) -> UnitDetail:
    _in_area(actor, registry, unit_id)
    return units.get_unit(session, unit_id=unit_id, stale_after_s=settings.stale_after_s)


@router.get("/units/{unit_id}/events")
def unit_events(
    unit_id: str,
    actor: Viewer,
    session: SessionDep,
    registry: RegistryDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 10_000,
) -> list[EventRef]:
    """Event ids and sequence numbers of one unit, in seq order (paged by after_seq)."""
    _in_area(actor, registry, unit_id)
    return events.event_refs(session, unit_id=unit_id, after_seq=after_seq, limit=limit)


@router.get("/stats")
def stats(
    actor: Viewer, session: SessionDep, registry: RegistryDep, request: Request
) -> dict[str, Any]:
    consumer = getattr(request.app.state, "consumer", None)
    driver = getattr(request.app.state, "driver", None)
    return {
        **events.totals(session, units=units_in(actor.area, registry)),
        "ingest": consumer.snapshot() if consumer is not None else None,
        "rollout_driver": asdict(driver.stats) if driver is not None else None,
    }


@router.get("/dead-letters")
def dead_letters(
    actor: Auditor,
    session: SessionDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DeadLetterPublic]:
    return events.recent_dead_letters(
        session, limit=limit, offset=offset, units=units_in(actor.area, registry)
    )
