"""``GET /api/indicators``: the measured indicators of a period as JSON, for viewers, inside
the asking account's area (hub.indicators.measure defines each figure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from hub.accounts.auth import Viewer
from hub.accounts.roles import Actor
from hub.deps import hub_now
from hub.indicators.query import build
from hub.indicators.report import IndicatorReport
from hub.indicators.scope import Scope, period, resolve
from protocol.calendar import local_date
from protocol.catalog import MATTER_CODE_PATTERN
from protocol.topics import UNIT_ID_PATTERN

router = APIRouter()


@dataclass(frozen=True)
class Asked:
    """The query as given (the page echoes it in its form)."""

    start: date | None = None
    end: date | None = None
    village: str | None = None
    town: str | None = None
    matter: str | None = None


def asked(
    start: Annotated[date | None, Query(alias="from", description="first day (China time)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, inclusive")] = None,
    village: Annotated[str | None, Query(pattern=rf"^{UNIT_ID_PATTERN}$")] = None,
    town: Annotated[str | None, Query(max_length=64, description="division code")] = None,
    matter: Annotated[str | None, Query(pattern=MATTER_CODE_PATTERN)] = None,
) -> Asked:
    return Asked(start, end, village, town, matter)


AskedDep = Annotated[Asked, Depends(asked)]


def scope_for(request: Request, actor: Actor, q: Asked) -> Scope:
    start, end = period(q.start, q.end, local_date(hub_now(request.app)))
    return resolve(
        actor.area, request.app.state.registry, start=start, end=end,
        village=q.village, town=q.town, matter=q.matter,
    )  # fmt: skip


def report_for(request: Request, actor: Actor, scope: Scope) -> IndicatorReport:
    registry = request.app.state.registry
    with request.app.state.engine.connect() as conn:
        return build(
            conn, scope, catalog=request.app.state.catalogs.current, registry=registry,
            area_label=actor.area.label(registry), today=local_date(hub_now(request.app)),
        )  # fmt: skip


@router.get("/api/indicators")
def indicators(actor: Viewer, request: Request, q: AskedDep) -> IndicatorReport:
    """Cases opened in the period (``from``..``to``, at most three years; by default the last
    30 days) in the account's area, narrowed to a ``town``, a ``village`` or a ``matter``:
    totals, each town, village and matter, and a per-day series. A village or town outside
    the account's area is not found (404), like one that does not exist."""
    return report_for(request, actor, scope_for(request, actor, q))
