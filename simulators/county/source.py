"""A village window's day as a stream of transitions, and the unit's event source that commits
them on the accelerated clock.

The stream is a pure function of the seed and the village's arrivals: residents queue at the
one window (a visit starts when the previous one ends), and some 容缺 materials arrive later in
the day (by e-mail; the rest lapse). A unit restarted mid-day rebuilds the same stream and
resumes after the last event its log committed, so a killed unit neither skips nor repeats a
step of a case."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.eventlog import EventLog
from protocol.catalog import Matter
from protocol.messages import CaseTransition
from simulators.cases import seed_matters, simulated_clerk
from simulators.county.clock import DAY_S, DayClock
from simulators.county.visits import Visit, supplied, visit

SUPPLY_LATER = 0.5  # 容缺 cases whose materials arrive the same day; the others lapse
SUPPLY_AFTER_S = (3600.0, 5 * 3600.0)


@dataclass(frozen=True)
class DayStream:
    unit: str
    events: tuple[tuple[float, CaseTransition], ...]  # (simulated seconds since 08:30, body)
    visits: tuple[Visit, ...]
    supplied: frozenset[str]  # case ids whose owed materials arrived the same day


def village_matters(excluded: Sequence[str] = ()) -> list[Matter]:
    """The catalog's delegated matters this village handles (the registry's exclusions out)."""
    out = set(excluded)
    return [m for m in seed_matters() if m.code not in out]


def day_stream(
    unit: str, arrivals: Sequence[float], *, seed: int, opens: datetime,
    matters: Sequence[Matter], bad_share: float,
) -> DayStream:  # fmt: skip
    """``opens``: the day's 08:30 as the unit's clock reads it in its case data."""
    rng = random.Random(f"{seed}/{unit}/visits")
    clerk = simulated_clerk(unit)
    timeline: list[tuple[float, int, CaseTransition]] = []
    visits: list[Visit] = []
    done: set[str] = set()
    free = 0.0
    order = 0
    for arrival in arrivals:
        start = max(arrival, free)
        v = visit(rng.choice(list(matters)), rng, unit=unit, clerk=clerk, bad_share=bad_share,
                  start=opens + timedelta(seconds=start))  # fmt: skip
        visits.append(v)
        for offset, body in v.steps:
            timeline.append((start + offset, order, body))
            order += 1
        free = start + v.length + rng.uniform(20, 90)  # the next resident steps up
        if v.owed and rng.random() < SUPPLY_LATER:
            at = free + rng.uniform(*SUPPLY_AFTER_S)
            if at < DAY_S:
                timeline.append((at, order, supplied(v, clerk)))
                order += 1
                done.add(str(v.case_id))
    timeline.sort(key=lambda x: (x[0], x[1]))
    return DayStream(unit, tuple((t, b) for t, _, b in timeline), tuple(visits), frozenset(done))


async def play(
    stream: DayStream, event_log: EventLog, clock: DayClock, stop: asyncio.Event
) -> None:
    """Commit the stream's transitions at their simulated times, after those the log already
    holds (a restart resumes). Events due while the unit was down are committed at once."""
    for i, (at, body) in enumerate(stream.events):
        if i < event_log.last_seq:
            continue
        delay = clock.wall(at) - time.time()
        if delay > 0:
            try:
                await asyncio.wait_for(stop.wait(), delay)
                return
            except TimeoutError:
                pass
        elif stop.is_set():
            return
        await event_log.append(body)
