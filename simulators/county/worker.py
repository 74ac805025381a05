"""A worker process running a group of the county's units: the real agent (event log, link,
configuration, notices, heartbeat) of each, its day stream as the event source, its link
through a LinkProxy that the plan's offline episodes cut. The orchestrator (simulators.county.run)
starts several, so that a SIGKILL of one is a real crash of some units; restarted, the units
resume from their data dirs.

    python -m simulators.county.worker SPEC.json

Before the day the worker loads one face pipeline for all its units and runs every face check
of their day through it (simulators.county.faces), writes `faces-ready` with what that cost,
and waits for the orchestrator's `go` (the wall time the window opens). The worker samples its
units' outbox depths into samples.jsonl, writes `streams-done` once every stream has been
committed, and runs until SIGTERM."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from edge.agent import Agent, build_agent
from edge.eventlog import EventLog
from edge.kit import EventSource
from edge.link import LinkSettings
from edge.settings import EdgeSettings
from mqttio.backoff import Backoff
from protocol.catalog import CatalogSlice, Matter
from simulators.county.clock import DayClock
from simulators.county.faces import Checks
from simulators.county.linkproxy import LinkProxy
from simulators.county.source import (
    DayStream,
    Switch,
    day_stream,
    play,
    read_switches,
    record_switch,
    village_matters,
)
from simulators.fleet import FDS_PER_UNIT, _raise_fd_limit
from simulators.kit import SimulatedKit

log = logging.getLogger("bianmin.simulators.county")
SAMPLE_S = 0.5  # wall seconds between outbox-depth samples
# quick to notice a dead broker or hub and quick back: a day lasts minutes here
LINK = LinkSettings(ack_timeout_s=2.0, ack_timeout_max_s=8.0, keepalive_s=5,
                    backoff=Backoff(initial=0.2, maximum=2.0))  # fmt: skip


@dataclass(frozen=True)
class UnitSpec:
    unit_id: str
    password: str
    arrivals: list[float]
    excluded: list[str]
    offline: list[tuple[float, float]]  # (start, length) in simulated seconds


@dataclass(frozen=True)
class WorkerSpec:
    name: str
    dir: str  # samples and markers
    data_root: str  # units' data dirs
    broker_port: int
    hub_url: str
    hub_key: str
    seed: int
    bad_share: float
    opens: str  # ISO datetime of the day's 08:30 on the units' clocks
    speed: float
    faces: bool = True
    units: list[UnitSpec] = field(default_factory=list)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @staticmethod
    def read(path: Path) -> WorkerSpec:
        raw = json.loads(path.read_text())
        units = [UnitSpec(**u) for u in raw.pop("units")]
        return WorkerSpec(**raw, units=units)


class UnitDay:
    """A village's day as its unit plays it: rebuilt from the seed, the catalog switches and
    the face verdicts recorded in its data dir."""

    def __init__(
        self, spec: WorkerSpec, u: UnitSpec, opens: datetime, faces: Checks | None
    ) -> None:  # fmt: skip
        self.spec, self.u, self.opens, self.faces = spec, u, opens, faces
        self.dir = Path(spec.data_root) / u.unit_id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.matters = village_matters(u.excluded)
        self.switches = read_switches(self.dir)
        self.stream = self.build()

    def build(self) -> DayStream:
        return day_stream(self.u.unit_id, self.u.arrivals, seed=self.spec.seed, opens=self.opens,
                          matters=self.matters, bad_share=self.spec.bad_share, faces=self.faces,
                          switches=self.switches)  # fmt: skip

    def applied(self, catalog: CatalogSlice | None, at: float, seq: int) -> DayStream | None:
        """The rest of the day rebuilt when the unit runs a catalog newer than its stream's:
        the visits from ``at`` (after its ``seq`` committed events) use the matters that
        changed."""
        if catalog is None or catalog.catalog_version <= self._version():
            return None
        base = {m.code: m for m in self.matters}
        changed: dict[str, Matter] = {
            m.code: m for m in catalog.matters if m.code in base and m != base[m.code]
        }
        switch = Switch(at, seq, catalog.catalog_version, changed)
        record_switch(self.dir, switch)
        self.switches.append(switch)
        self.stream = self.build()
        return self.stream

    def _version(self) -> int:
        return max((sw.version for sw in self.switches), default=_seed_version())


@functools.cache
def _seed_version() -> int:
    from hub.catalog.loader import load_catalog

    return load_catalog().version


class CountyKit(SimulatedKit):
    """Simulated parts without a window; the event source is the village's day stream."""

    def __init__(self, settings: EdgeSettings, day: UnitDay, clock: DayClock) -> None:
        super().__init__(settings)
        self.day = day
        self.clock = clock
        self.finished = asyncio.Event()
        self.agent: Agent | None = None

    def _catalog(self) -> CatalogSlice | None:
        running = self.agent.config.current if self.agent is not None else None
        return running.catalog if running is not None else None

    def case_source(self, event_log: EventLog) -> EventSource | None:
        async def source(stop: asyncio.Event) -> None:
            def rebuild(at: float, seq: int) -> DayStream | None:
                return self.day.applied(self._catalog(), at, seq)

            # watches for a new catalog until the worker stops, the stream done or not
            await play(self.day.stream, event_log, self.clock, stop, rebuild, self.finished)

        return source


async def run(spec: WorkerSpec) -> None:
    opens = datetime.fromisoformat(spec.opens)
    out = Path(spec.dir)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    days = await asyncio.to_thread(_days, spec, opens, out)
    clock = DayClock(await _go(out), spec.speed)
    _raise_fd_limit(FDS_PER_UNIT * len(spec.units) + 200)
    http = httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20))
    agents: list[Agent] = []
    kits: list[CountyKit] = []
    proxies: dict[str, LinkProxy] = {}
    tasks: list[asyncio.Task[None]] = []
    for u, day in zip(spec.units, days, strict=True):
        proxy = await LinkProxy(spec.broker_port).start()
        proxies[u.unit_id] = proxy
        settings = EdgeSettings(
            unit_id=u.unit_id, broker_url=f"mqtt://127.0.0.1:{proxy.port}",
            broker_password=u.password, data_dir=Path(spec.data_root) / u.unit_id,
            health_interval_s=5.0, durable=False,  # WAL without fsync: safe against kill -9
            hub_url=spec.hub_url, hub_public_key=spec.hub_key, face=False, event_rate=0,
        )  # fmt: skip
        kit = CountyKit(settings, day, clock)
        agent = build_agent(settings, kit=kit, link_settings=LINK, http=http)
        kit.agent = agent
        agent.start()
        agents.append(agent)
        kits.append(kit)
        for start, length in u.offline:
            tasks.append(asyncio.create_task(_episode(proxies[u.unit_id], clock, start, length)))
    tasks.append(asyncio.create_task(_sample(agents, out / "samples.jsonl")))
    tasks.append(asyncio.create_task(_link_commands(proxies, out / "links")))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def streams_done() -> None:
        await asyncio.gather(*(k.finished.wait() for k in kits))

    waits = [asyncio.create_task(streams_done()), asyncio.create_task(stop.wait())]
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    if not stop.is_set():
        (out / "streams-done").write_text(str(time.time()))
    await stop.wait()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
    for p in proxies.values():
        await p.close()
    await http.aclose()


def _days(spec: WorkerSpec, opens: datetime, out: Path) -> list[UnitDay]:
    """Every unit's day, its face checks run through one pipeline for the whole process (or
    read back from the units' journals after a restart); their cost goes to faces-ready."""
    faces = Checks(Path(spec.data_root)) if spec.faces else None
    days = [UnitDay(spec, u, opens, faces) for u in spec.units]
    stats = faces.stats.row() if faces is not None else {}
    (out / "faces-ready").write_text(json.dumps(stats))
    return days


async def _go(out: Path) -> float:
    """The wall time the window opens, once the orchestrator has written it."""
    path = out / "go"
    while True:
        try:
            return float(path.read_text())
        except (FileNotFoundError, ValueError):
            await asyncio.sleep(0.05)


async def _episode(proxy: LinkProxy, clock: DayClock, start: float, length: float) -> None:
    """An offline episode: the link down from ``start`` for ``length`` (simulated); a worker
    restarted during one keeps the rest of it."""
    end = clock.wall(start + length)
    wait = clock.wall(start) - time.time()
    if time.time() >= end:
        return
    if wait > 0:
        await asyncio.sleep(wait)
    proxy.cut()
    await asyncio.sleep(max(0.0, end - time.time()))
    proxy.heal()


async def _link_commands(proxies: dict[str, LinkProxy], path: Path) -> None:
    """Chaos link cuts: the orchestrator appends `cut UNIT` / `heal UNIT` lines to ``path``."""
    done = 0
    while True:
        await asyncio.sleep(0.1)
        lines = await asyncio.to_thread(_lines, path)
        for line in lines[done:]:
            verb, _, unit = line.partition(" ")
            proxy = proxies.get(unit)
            if proxy is not None:
                proxy.cut() if verb == "cut" else proxy.heal()
        done = len(lines)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


async def _sample(agents: list[Agent], path: Path) -> None:
    with path.open("a") as f:
        while True:
            depth = {a.unit: a.event_log.depth for a in agents}
            f.write(json.dumps({"t": round(time.time(), 3), "depth": depth}) + "\n")
            f.flush()
            await asyncio.sleep(SAMPLE_S)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(WorkerSpec.read(Path(sys.argv[1]))))


if __name__ == "__main__":
    main()
