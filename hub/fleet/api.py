"""JSON API for the fleet operator and the fleet simulator: units, their events, the totals
and the dead letters. Routes stay thin; app.py requires the viewer role for all of them, and
the dead letters need an auditor: what a unit sent may hold personal data. An account scoped
to a town or village sees its own units only; another unit is answered as not found."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from hub.accounts.area import covers, units_in
from hub.accounts.auth import Auditor, Viewer
from hub.accounts.roles import Actor
from hub.deps import RegistryDep, SessionDep, SettingsDep
from hub.errors import UnitNotFound
from hub.fleet import events, units
from hub.models import DeadLetterPublic, EventRef, UnitDetail, UnitPublic
from hub.paging import MAX_LIMIT, PAGE_HEADERS, PageDep, send_cursor_link, send_headers
from protocol.villages import VillageRegistry

router = APIRouter(prefix="/api")


@router.get("/units", responses=PAGE_HEADERS)
def list_units(
    actor: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[UnitPublic]:
    """The units the account's area covers (a town: its villages), by id."""
    found = units.list_units(
        session,
        stale_after_s=settings.stale_after_s,
        units=units_in(actor.area, registry),
        page=page,
    )
    send_headers(response, request, page, len(found))
    return found


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
    request: Request,
    response: Response,
    after_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> list[EventRef]:
    """Event ids and sequence numbers of one unit, in seq order (paged by the cursor
    ``after_seq``: pass the last seq of a page to get the next)."""
    _in_area(actor, registry, unit_id)
    found = events.event_refs(session, unit_id=unit_id, after_seq=after_seq, limit=limit)
    after = found[-1].seq if found else after_seq
    send_cursor_link(
        response, request, name="after_seq", after=after, limit=limit, returned=len(found)
    )
    return found


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


@router.get("/dead-letters", responses=PAGE_HEADERS)
def dead_letters(
    actor: Auditor,
    session: SessionDep,
    registry: RegistryDep,
    page: PageDep,
    request: Request,
    response: Response,
) -> list[DeadLetterPublic]:
    """The newest first; a scoped account gets those of its units."""
    found = events.recent_dead_letters(session, units=units_in(actor.area, registry), page=page)
    send_headers(response, request, page, len(found))
    return found
