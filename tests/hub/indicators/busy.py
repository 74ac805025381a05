"""A busier month for the page's charts and its screenshot: October 2026 (the National Day
holiday included) at twenty villages, two in each of the ten towns, some 450 cases through
the real ingest and projection, with the back offices' steps, some late and some 容缺 lapsed.
Deterministic (a seeded generator); tests read its figures from the API, not by hand."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from hub.accounts.roles import Actor, Role
from hub.cases.actions import record_action
from hub.cases.fold import ActionKind
from protocol.calendar import WorkCalendar
from protocol.catalog import Approval, Matter
from protocol.villages import VillageRegistry
from simulators.cases import seed_matters
from tests.hub.cases.ingested import drain, ingest
from tests.support.cases import ScriptedCase, envelopes

MONTH = (date(2026, 10, 1), date(2026, 10, 31))
OFFICE = Actor("office", Role.BACKOFFICE)


def _at(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 8)


def seed_month(engine: Engine, registry: VillageRegistry, rng_seed: int = 12) -> int:
    """Commit the month's cases and the hub's steps on them; returns how many cases."""
    rng = random.Random(rng_seed)
    cal = WorkCalendar.china()
    by_town: dict[str, list[str]] = {}
    for v in registry.villages:
        by_town.setdefault(v.division, []).append(v.unit_id)
    units = [u for town in by_town.values() for u in rng.sample(town, min(2, len(town)))][:20]
    matters = [m for m in seed_matters() if m.code not in ("LAW-002",)]
    owing = [m for m in matters if any(x.deferrable for x in m.materials)]
    events: list[Any] = []
    later: list[tuple[Any, Matter, date]] = []
    day, n = MONTH[0], 0
    while day <= MONTH[1]:
        busy = 1.0 if cal.is_working_day(day) else 0.15
        for i, unit in enumerate(units):
            for _ in range(
                rng.choices([0, 1, 2, 3], [1, 2, 2, 1])[0] if rng.random() < busy else 0
            ):
                defer = rng.random() < 0.08
                matter = rng.choice(owing if defer else matters)
                rating = rng.choices([5, 4, 3, 2, 1, None], [80, 12, 3, 1, 1, 3])[0]
                kw: dict[str, Any] = {"rating": rating, "defer": defer}
                if not defer and rng.random() < 0.04:
                    kw = {"decline": True, "rating": rating}
                start = _at(day, 8.5 + rng.random() * 8)
                case = ScriptedCase(unit, matter, start=start, clerk="c01")
                steps = case.transitions(**kw)
                events += envelopes(unit, steps, seq0=10_000 * i + 100 * n + 1)
                n += 1
                if matter.approval is not Approval.WINDOW and "decline" not in kw:
                    later.append((steps[0][1].case_id, matter, day))
        day += timedelta(1)
    ingest(engine, events)
    drain(engine)
    for case_id, matter, opened in later:
        _back_office(engine, rng, cal, case_id, matter, opened)
    return n


def _back_office(
    engine: Engine, rng: random.Random, cal: WorkCalendar, case_id: Any, m: Matter, opened: date
) -> None:
    """The office receives and decides within its promised days mostly, late sometimes, and
    some 容缺 cases lapse."""
    took = m.promised_days + (rng.randint(1, 3) if rng.random() < 0.1 else -rng.randint(0, 1))
    done = cal.add_working_days(opened, max(1, took))
    steps: list[tuple[ActionKind, datetime, dict[str, Any]]] = [
        (ActionKind.RECEIVED, _at(cal.add_working_days(opened, 1), 9), {})
    ]
    if rng.random() < 0.1:
        steps.append((ActionKind.CORRECTION, _at(cal.add_working_days(opened, 1), 15),
                      {"asked": ["补充说明"]}))  # fmt: skip
        steps.append((ActionKind.RESUBMITTED, _at(cal.add_working_days(opened, 1), 16), {}))
    if done <= MONTH[1] + timedelta(10) and rng.random() < 0.9:
        steps.append((ActionKind.COMPLETED, _at(done, 16), {"result": "准予"}))
    elif rng.random() < 0.5:
        steps.append((ActionKind.LAPSED, _at(done, 9), {}))
    for kind, at, data in steps:
        with engine.begin() as conn:
            record_action(conn, case_id=case_id, kind=kind, actor=OFFICE, at=at, data=data)
