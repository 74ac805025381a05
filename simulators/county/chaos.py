"""Chaos on demand: faults drawn from the seed (a SIGKILL of the hub, of the broker, of a worker
of units; a cut village link), each undone after a few seconds, and how long the county took
to recover from each: from the restart until the hub holds every event the units had committed
when it came back (so a backlog the fault built up counts in the recovery)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from edge.eventlog import read_committed
from simulators.county.clock import DAY_S, DayClock, label
from simulators.county.plan import Fault

log = logging.getLogger("bianmin.simulators.county")
KINDS = ("hub", "broker", "units", "link")
DOWN_S = {"hub": (3.0, 6.0), "broker": (2.0, 4.0), "units": (1.5, 3.0), "link": (3.0, 6.0)}
RECOVERY_TIMEOUT_S = 120.0


def plan_faults(seed: int, workers: list[str], units: list[str], rounds: int = 1) -> list[Fault]:
    """``rounds`` of one fault of each kind, in a seeded order at seeded times between 09:30
    and 16:00, at least half an hour apart."""
    rng = random.Random(f"{seed}/chaos")
    kinds = [k for _ in range(rounds) for k in KINDS]
    rng.shuffle(kinds)
    span = (3600.0, DAY_S - 1.5 * 3600.0)
    slot = (span[1] - span[0]) / len(kinds)
    faults = []
    for i, kind in enumerate(kinds):
        at = span[0] + i * slot + rng.uniform(0, slot - 1800.0 if slot > 1800 else 0)
        target = {"hub": "hub", "broker": "broker", "units": rng.choice(workers),
                  "link": rng.choice(units)}[kind]  # fmt: skip
        faults.append(Fault(round(at, 1), kind, target, round(rng.uniform(*DOWN_S[kind]), 2)))
    return faults


@dataclass
class Recovery:
    kind: str
    target: str
    at: str  # simulated time of day
    down_s: float  # wall seconds the part was down
    recovered_s: float | None  # wall seconds from the restart until the hub caught up
    backlog: int  # events committed by units and not yet in the hub at the restart
    # wall seconds from the restart until the part answered again (the hub: /healthz)
    ready_s: float | None = None

    def row(self) -> dict[str, object]:
        return asdict(self)


class Chaos:
    """Runs the faults; ``kill``/``restart`` hold what each kind does to which part."""

    def __init__(
        self, faults: list[Fault], clock: DayClock, *, data_root: Path, units: list[str],
        kill: Callable[[Fault], None], restart: Callable[[Fault], None],
        hub_rows: Callable[[], list[tuple[str, str, int]]],
        ready: Callable[[Fault], Awaitable[bool]] | None = None,
    ) -> None:  # fmt: skip
        self.faults = faults
        self.clock = clock
        self.data_root = data_root
        self.units = units
        self.kill = kill
        self.restart = restart
        self.hub_rows = hub_rows
        self.ready = ready
        self.recoveries: list[Recovery] = []
        # wall-time spans from each kill until the hub caught up (or gave up waiting)
        self.disturbed: list[tuple[float, float]] = []
        self._measuring: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        for fault in self.faults:
            await asyncio.sleep(max(0.0, self.clock.wall(fault.at) - time.time()))
            log.warning("chaos: %s %s at %s", fault.kind, fault.target, label(fault.at))
            down = time.time()
            await asyncio.to_thread(self.kill, fault)
            await asyncio.sleep(fault.down_s)
            await asyncio.to_thread(self.restart, fault)
            record = Recovery(fault.kind, fault.target, label(fault.at),
                              round(time.time() - down, 2), None, 0)  # fmt: skip
            self.recoveries.append(record)
            task = asyncio.create_task(self._measure(record, time.time(), down))
            self._measuring.append(task)

    async def finish(self) -> list[Recovery]:
        await asyncio.gather(*self._measuring, return_exceptions=True)
        return self.recoveries

    def _committed(self) -> dict[str, int]:
        out = {}
        for u in self.units:
            path = self.data_root / u / "outbox.sqlite3"
            try:
                out[u] = max(read_committed(path).values(), default=0) if path.exists() else 0
            except Exception:  # a unit mid-restart: take it as nothing new
                out[u] = 0
        return out

    async def _measure(self, record: Recovery, restarted: float, down: float) -> None:
        try:
            fault = Fault(0, record.kind, record.target, 0)
            if self.ready is not None and await self.ready(fault):
                record.ready_s = round(time.time() - restarted, 2)
            await self._catch_up(record, restarted)
        finally:
            self.disturbed.append((down, time.time()))

    async def _catch_up(self, record: Recovery, restarted: float) -> None:
        wanted = await asyncio.to_thread(self._committed)
        first = True
        while time.time() - restarted < RECOVERY_TIMEOUT_S:
            rows = await asyncio.to_thread(self.hub_rows)
            held: dict[str, int] = {}
            for unit, _, seq in rows:
                if seq <= wanted.get(unit, 0):
                    held[unit] = held.get(unit, 0) + 1
            missing = sum(max(0, n - held.get(u, 0)) for u, n in wanted.items())
            if first:
                record.backlog, first = missing, False
            if missing == 0:
                record.recovered_s = round(time.time() - restarted, 2)
                return
            await asyncio.sleep(0.25)
