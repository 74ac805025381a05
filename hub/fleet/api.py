"""JSON API for the fleet operator and the fleet simulator: units, their events, the totals
and the dead letters. Routes stay thin; app.py requires the viewer role for all of them, and
the dead letters need an auditor: what a unit sent may hold personal data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub.accounts.auth import Auditor
from hub.deps import SessionDep, SettingsDep
from hub.fleet import events, units
from hub.models import DeadLetterPublic, EventRef, UnitDetail, UnitPublic

router = APIRouter(prefix="/api")


@router.get("/units")
def list_units(session: SessionDep, settings: SettingsDep) -> list[UnitPublic]:
    return units.list_units(session, stale_after_s=settings.stale_after_s)


@router.get("/units/{unit_id}")
def get_unit(unit_id: str, session: SessionDep, settings: SettingsDep) -> UnitDetail:
    return units.get_unit(session, unit_id=unit_id, stale_after_s=settings.stale_after_s)


@router.get("/units/{unit_id}/events")
def unit_events(
    unit_id: str,
    session: SessionDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 10_000,
) -> list[EventRef]:
    """Event ids and sequence numbers of one unit, in seq order (paged by after_seq)."""
    return events.event_refs(session, unit_id=unit_id, after_seq=after_seq, limit=limit)


@router.get("/stats")
def stats(session: SessionDep, request: Request) -> dict[str, Any]:
    consumer = getattr(request.app.state, "consumer", None)
    driver = getattr(request.app.state, "driver", None)
    return {
        **events.totals(session),
        "ingest": consumer.snapshot() if consumer is not None else None,
        "rollout_driver": asdict(driver.stats) if driver is not None else None,
    }


@router.get("/dead-letters")
def dead_letters(
    _: Auditor, session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[DeadLetterPublic]:
    return events.recent_dead_letters(session, limit=limit)
