"""The window route of 容缺 follow-up: `POST /api/unit/cases/owed`, authenticated as a unit
(its own token, like the data registry query), bounded by the unit routes' body limit."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from hub.cases.supply import count_lookup, owed_cases
from hub.window.api import UnitDep
from hub.window.idgen import unit_reference
from protocol.supply import OwedAnswer, OwedLookup

router = APIRouter()


@router.post("/api/unit/cases/owed")
def owed(lookup: OwedLookup, unit: UnitDep, request: Request) -> OwedAnswer:
    """Cases with 容缺 materials still owed, for the slip's token or the applicant's reference
    (a unit records 补齐 as a `supplied` transition about one of them)."""
    engine = request.app.state.engine
    settings = request.app.state.settings
    if lookup.applicant is not None:  # of the unit's generation: the records hold the current
        current = unit_reference(request.app.state, lookup.applicant, lookup.generation)
        lookup = lookup.model_copy(update={"applicant": current, "generation": None})
    with engine.begin() as conn:
        count_lookup(conn, unit, settings.unit_lookups_per_hour, datetime.now(UTC))
    with engine.begin() as conn:
        return owed_cases(conn, lookup, unit, request.app.state.catalogs.current)
