"""Reading the cases of a scope from case_record (only the columns the indicators use, in
pages of rows) and building the report the API and the page share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from hub.calendar import current_calendar
from hub.cases.project import RECORDS
from hub.catalog.indicators import compute as declared_figures
from hub.catalog.service import matters_for_unit
from hub.indicators import report as r
from hub.indicators.measure import CaseFacts, Measure, measure
from hub.indicators.scope import Scope
from protocol.calendar import CHINA, local_date
from protocol.catalog import Catalog
from protocol.villages import VillageRegistry

_COLUMNS = (
    "unit", "matter_code", "opened_at", "status", "instant", "forwarded_to", "accepted_on",
    "legal_due", "promised_due", "ended_at", "deficiency", "rating", "materials_received",
    "steps_taken",
)  # fmt: skip


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA)


def case_facts(conn: Connection, scope: Scope) -> Iterator[CaseFacts]:
    c = RECORDS.c
    where = [
        c.opened_at >= _day_start(scope.start),
        c.opened_at < _day_start(scope.end + timedelta(1)),
    ]
    if scope.units is not None:
        where.append(c.unit.in_(scope.units))
    if scope.matter is not None:
        where.append(c.matter_code == scope.matter)
    # the database counts the owed materials: no JSON list is decoded per row
    owed = func.coalesce(func.json_array_length(c.owed), 0).label("owed")
    rows = conn.execution_options(yield_per=2000).execute(
        select(*(c[name] for name in _COLUMNS), owed).where(*where)
    )
    for row in rows:
        yield CaseFacts(
            unit=row.unit, matter_code=row.matter_code, opened_on=local_date(row.opened_at),
            status=row.status, instant=bool(row.instant), forwarded_to=row.forwarded_to,
            accepted_on=row.accepted_on, legal_due=row.legal_due, promised_due=row.promised_due,
            ended_on=local_date(row.ended_at) if row.ended_at is not None else None,
            deficiency=row.deficiency, rating=row.rating,
            materials_received=row.materials_received, owed=int(row.owed),
            steps_taken=row.steps_taken,
        )  # fmt: skip


def build(
    conn: Connection,
    scope: Scope,
    *,
    catalog: Catalog,
    registry: VillageRegistry,
    area_label: str,
    today: date,
) -> r.IndicatorReport:
    matters = {m.code: m for m in catalog.matters}
    sums = measure(case_facts(conn, scope), Measure(matters, current_calendar(conn), today))
    return r.IndicatorReport(
        period=r.Period(start=scope.start, end=scope.end, days=scope.days, today=today),
        scope=r.ScopeOut(
            area=area_label, town=scope.town, village=scope.village, matter=scope.matter,
            label=_label(scope, catalog, registry, area_label),
        ),
        totals=r.figures(sums.total),
        by_town=r.by_town(sums, registry, scope.villages),
        by_village=r.by_village(sums, registry, scope.villages),
        by_matter=r.by_matter(sums, matters),
        series=r.series(sums, scope.start, scope.end),
        declared=_declared(scope, catalog, registry),
    )  # fmt: skip


def _declared(scope: Scope, catalog: Catalog, registry: VillageRegistry) -> dict[str, Any]:
    if scope.matter is not None:
        chosen = tuple(m for m in catalog.matters if m.code == scope.matter)
    elif scope.village is not None:
        chosen = matters_for_unit(scope.village, catalog, registry)
    else:
        chosen = catalog.delegated()
    return declared_figures(chosen).rounded()


def _label(scope: Scope, catalog: Catalog, registry: VillageRegistry, area: str) -> str:
    parts = [area]
    if scope.village is not None:
        parts = [registry.village(scope.village).name]
    elif scope.town is not None:
        parts = [registry.division(scope.town).name]
    if scope.matter is not None:
        m = catalog.get(scope.matter)
        parts.append(m.name if m else scope.matter)
    return " · ".join(parts)
