"""A village window's day as a stream of transitions, and the unit's event source that commits
them on the accelerated clock.

The stream is a pure function of the seed and the village's arrivals: residents queue at the
one window (a visit starts when the previous one ends), and some 容缺 materials arrive later in
the day (by e-mail; the rest lapse). A unit restarted mid-day rebuilds the same stream and
resumes after the last event its log committed, so a killed unit neither skips nor repeats a
step of a case.

When the unit applies a new catalog (the noon rollout), its window uses it from the next
visit on: the unit records the switch (the simulated time of its next event, and the matters
that changed) in its data dir and rebuilds the rest of its day, so visits that began before
keep the matter they were opened with. The stream is then a pure function of the seed, the
switches and the face verdicts the unit's pipeline gave (journalled likewise), which is what a
restarted unit and the report rebuild it from."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from edge.eventlog import EventLog
from protocol.catalog import Matter
from protocol.messages import CaseTransition
from simulators.cases import seed_matters, simulated_clerk
from simulators.county.clock import DAY_S, DayClock
from simulators.county.faces import FaceJudge
from simulators.county.visits import FaceDesk, Visit, supplied, visit

SUPPLY_LATER = 0.5  # 容缺 cases whose materials arrive the same day; the others lapse
SUPPLY_AFTER_S = (3600.0, 5 * 3600.0)


@dataclass(frozen=True)
class DayStream:
    unit: str
    events: tuple[tuple[float, CaseTransition], ...]  # (simulated seconds since 08:30, body)
    visits: tuple[Visit, ...]
    supplied: frozenset[str]  # case ids whose owed materials arrived the same day
    catalog_version: int = 0  # the newest catalog its visits use (0: the seed's)


@dataclass(frozen=True)
class Switch:
    """The unit applied catalog ``version`` before its event at ``at`` (simulated seconds),
    with ``seq`` events committed: visits starting then or later use ``matters`` (those that
    changed, by code)."""

    at: float
    seq: int
    version: int
    matters: dict[str, Matter]

    def row(self) -> dict[str, object]:
        matters = {c: m.model_dump(mode="json") for c, m in self.matters.items()}
        return {"at": self.at, "seq": self.seq, "version": self.version, "matters": matters}

    @staticmethod
    def from_row(row: dict[str, Any]) -> Switch:
        matters = {c: Matter.model_validate(m) for c, m in row["matters"].items()}
        return Switch(float(row["at"]), int(row["seq"]), int(row["version"]), matters)


def switches_path(unit_dir: Path) -> Path:
    return unit_dir / "catalog_switches.jsonl"


def read_switches(unit_dir: Path) -> list[Switch]:
    try:
        lines = switches_path(unit_dir).read_text().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(Switch.from_row(json.loads(line)))
        except (ValueError, KeyError, TypeError):  # a line cut short by a kill -9
            continue
    return out


def record_switch(unit_dir: Path, switch: Switch) -> None:
    with switches_path(unit_dir).open("a") as f:
        f.write(json.dumps(switch.row(), ensure_ascii=False) + "\n")


def village_matters(excluded: Sequence[str] = ()) -> list[Matter]:
    """The catalog's delegated matters this village handles (the registry's exclusions out)."""
    out = set(excluded)
    return [m for m in seed_matters() if m.code not in out]


def day_stream(
    unit: str, arrivals: Sequence[float], *, seed: int, opens: datetime,
    matters: Sequence[Matter], bad_share: float, faces: FaceJudge | None = None,
    switches: Sequence[Switch] = (),
) -> DayStream:  # fmt: skip
    """``opens``: the day's 08:30 as the unit's clock reads it in its case data; ``faces``:
    the unit's face checks (None: a unit without face models, every resident by card)."""
    rng = random.Random(f"{seed}/{unit}/visits")
    desk = FaceDesk.new(unit, faces, seed) if faces is not None else None
    clerk = simulated_clerk(unit)
    timeline: list[tuple[float, int, CaseTransition]] = []
    visits: list[Visit] = []
    done: set[str] = set()
    free = 0.0
    order = 0
    for arrival in arrivals:
        start = max(arrival, free)
        matter = current(rng.choice(list(matters)), switches, start)
        v = visit(matter, rng, unit=unit, clerk=clerk, bad_share=bad_share, desk=desk,
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
    version = max((sw.version for sw in switches), default=0)
    return DayStream(unit, tuple((t, b) for t, _, b in timeline), tuple(visits), frozenset(done),
                     version)  # fmt: skip


def current(matter: Matter, switches: Sequence[Switch], start: float) -> Matter:
    """The matter as the unit's catalog had it when a visit started at ``start``."""
    for sw in sorted(switches, key=lambda sw: sw.at, reverse=True):
        if sw.at <= start:
            return sw.matters.get(matter.code, matter)
    return matter


Rebuild = Callable[[float, int], "DayStream | None"]


async def play(
    stream: DayStream, event_log: EventLog, clock: DayClock, stop: asyncio.Event,
    rebuild: Rebuild | None = None, done: asyncio.Event | None = None, poll_s: float = 0.25,
) -> None:  # fmt: skip
    """Commit the stream's transitions at their simulated times, after those the log already
    holds (a restart resumes). Events due while the unit was down are committed at once.

    With ``rebuild``, before each commit and every ``poll_s`` while waiting, ``rebuild(at,
    committed)`` may hand back the day rebuilt from simulated time ``at`` on (the unit applied
    a new catalog): the committed events, all before ``at``, are the same in it. Then the
    stream's end sets ``done`` and play keeps watching until ``stop``."""
    while not stop.is_set():
        i = event_log.last_seq
        ends = i >= len(stream.events)
        if rebuild is not None:
            at = clock.now_sim() if ends else min(clock.now_sim(), stream.events[i][0])
            if (again := rebuild(at, i)) is not None:
                stream = again
                continue
        if ends:
            if done is not None:
                done.set()
            if rebuild is None:
                return
            await _wait(stop, poll_s)
            continue
        at, body = stream.events[i]
        delay = clock.wall(at) - time.time()
        if delay > 0:
            await _wait(stop, min(delay, poll_s) if rebuild is not None else delay)
            continue
        await event_log.append(body)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
