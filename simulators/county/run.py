"""`bianmin simulate county`: a broker, the hub (`bianmin hub serve`) and every village's unit
(the real agent code, in worker processes) playing one working day on an accelerated clock;
the simulated offices working the forwarded cases and bad ratings through the hub's API until
the evening; a catalog change at noon, made and approved through the hub's API by two
operators and rolled out; chaos when asked. Ends with the report (simulators.county.report)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from edge.eventlog import read_committed
from hub.db import make_engine
from hub.fleet.events import all_event_ids
from provisioning import credentials
from provisioning.mosquitto import MosquittoConfig, MosquittoProcess, free_port, tool_broker_user
from simulators.county import measure
from simulators.county.backoffice import EVENING_S, FOLLOWUPS_CLOSE_IF_OPENED_BEFORE_S, Offices
from simulators.county.chaos import Chaos, plan_faults
from simulators.county.clock import CHINA, DAY_S, DayClock
from simulators.county.faces import Recorded
from simulators.county.faces import require as require_faces
from simulators.county.plan import DayPlan, Fault, plan_day
from simulators.county.procs import Child, hub_child, worker_child
from simulators.county.setup import prepare_hub, villages_file
from simulators.county.source import DayStream, Switch, day_stream, read_switches, village_matters
from simulators.county.worker import UnitSpec, WorkerSpec
from simulators.summary import compare

log = logging.getLogger("bianmin.simulators.county")
ROLLOUT_AT_S = 3.5 * 3600.0  # 12:00
ROLLOUT_SETTLE_S = 60.0  # wall seconds the noon rollout may still take after the day
FACES_TIMEOUT_S = 600.0  # wall seconds the workers may take for the day's face checks


@dataclass(frozen=True)
class Options:
    seed: int = 1
    villages: int | None = None  # the first N of the registry; None: all
    speed: float = 108.0  # a 9-hour day in 5 minutes
    load: float = 1.0
    bad_share: float = 0.005
    workers: int = 4
    chaos: bool = False
    chaos_rounds: int = 1
    database_url: str | None = None  # default: SQLite in the run's directory
    drain_timeout_s: float = 180.0
    boot_s: float = 6.0  # wall seconds for the agents to start before the window opens
    faces: bool = True  # run the face checks through the real pipeline (False: card only)
    rollout_at_s: float = ROLLOUT_AT_S  # the catalog change (simulated seconds since 08:30)


async def simulate(options: Options, out_dir: Path, data_dir: Path | None = None) -> dict[str, Any]:
    """Run the day; write report.json and report.html into ``out_dir``; return the report."""
    root = data_dir or Path(tempfile.mkdtemp(prefix="bianmin-county-"))
    try:
        return await _simulate(options, root, out_dir)
    finally:
        if data_dir is None:
            shutil.rmtree(root, ignore_errors=True)


async def _simulate(o: Options, root: Path, out_dir: Path) -> dict[str, Any]:
    from hub.catalog.villages import load_villages
    from simulators.county.report import write_report

    started = time.time()
    phases: dict[str, float] = {}

    def phase(name: str) -> None:  # wall seconds since the start, for the report
        phases[name] = round(time.time() - started, 1)

    registry = load_villages()
    chosen = list(registry.villages[: o.villages] if o.villages else registry.villages)
    units = [v.unit_id for v in chosen]
    plan = plan_day(o.seed, chosen, list(registry.villages), load=o.load)
    creds = credentials.generate(units)
    broker = MosquittoProcess(
        MosquittoConfig(
            data_dir=root / "broker", port=free_port(), credentials=creds, run_as=tool_broker_user()
        )
    )
    broker.start()
    database_url = o.database_url or f"sqlite:///{root / 'hub.sqlite3'}"
    port = free_port()
    hub_url = f"http://127.0.0.1:{port}"
    subset = villages_file(root, chosen) if len(chosen) < len(registry.villages) else None
    prepared = prepare_hub(root, database_url, chosen, subset)
    phase("hub_prepared")
    hub = hub_child(root, database_url, broker.config.port, port, creds.hub_password,
                    subset).start()  # fmt: skip
    children: dict[str, Child] = {"hub": hub}
    engine = make_engine(database_url)
    try:
        await _wait_hub(hub_url, hub)
        phase("hub_serving")
        opens = datetime.now(CHINA).replace(hour=8, minute=30, second=0, microsecond=0)
        if o.faces:
            await asyncio.to_thread(require_faces)
        groups = _groups(plan, o.workers)
        for i, group in enumerate(groups):
            spec = WorkerSpec(
                name=f"units-{i + 1}", dir=str(root / f"units-{i + 1}"),
                data_root=str(root / "units"), broker_port=broker.config.port, hub_url=hub_url,
                hub_key=prepared.hub_key, seed=o.seed, bad_share=o.bad_share,
                opens=opens.isoformat(), speed=o.speed, faces=o.faces,
                units=[UnitSpec(v.unit_id, creds.password_for(v.unit_id), list(v.arrivals),
                                list(registry.village(v.unit_id).matters_excluded),
                                [(e.start, e.length) for e in v.offline]) for v in group],
            )  # fmt: skip
            path = root / f"units-{i + 1}.json"
            spec.write(path)
            children[spec.name] = worker_child(root, spec.name, path).start()
        workers = [n for n in children if n != "hub"]
        face_stats = await _faces_ready(root, {n: children[n] for n in workers})
        phase("faces_checked")
        clock = DayClock(time.time() + o.boot_s, o.speed)
        for name in workers:
            (root / name / "go").write_text(repr(clock.start_wall))
        faults = plan_faults(o.seed, workers, units, o.chaos_rounds) if o.chaos else []

        def hub_rows() -> list[tuple[str, str, int]]:
            try:
                with engine.connect() as conn:
                    return [(u, str(i), s) for u, i, s in all_event_ids(conn, units=units)]
            except Exception:
                return []

        chaos = Chaos(
            faults, clock, data_root=root / "units", units=units, hub_rows=hub_rows,
            kill=lambda f: _kill(f, children, broker, root),
            restart=lambda f: _restart(f, children, broker, root),
            ready=lambda f: _ready(f, hub_url, hub),
        )  # fmt: skip
        stop = asyncio.Event()
        offices = Offices(hub_url, prepared.token, clock, o.seed)
        office_task = asyncio.create_task(offices.run(stop))
        tokens = (prepared.token, prepared.approver)
        rollout = measure.RolloutWatch(hub_url, tokens, clock, units)
        rollout_task = asyncio.create_task(rollout.run(o.rollout_at_s, stop))
        chaos_task = asyncio.create_task(chaos.run())
        await asyncio.sleep(max(0.0, clock.end_wall() - time.time()))
        await chaos_task
        phase("day_over")
        recoveries = await chaos.finish()
        drained = await _drain(root, children, units, hub_rows, o.drain_timeout_s)
        phase("drained")
        await rollout.wait_settled(ROLLOUT_SETTLE_S)
        phase("rollouts_settled")
        # every unit's day as it played it: the seed, its catalog switches, its face verdicts
        switches = {u: read_switches(root / "units" / u) for u in units}
        streams = _streams(plan, o, registry, opens, root, switches)
        bad = sum(v.rating in (1, 2) for s_ in streams for v in s_.visits)
        await _evening(offices, clock, bad)
        phase("offices_done")
        stop.set()
        await asyncio.gather(office_task, rollout_task, return_exceptions=True)
        await offices.close()
        for name, child in children.items():
            if name != "hub":
                child.stop()
        committed = {u: _read(root / "units" / u / "outbox.sqlite3") for u in units}
        verdict = compare(committed, hub_rows())
        deficiency = measure.fast_forward_deficiencies(engine)
        indicators = await measure.indicators(hub_url, prepared.token)
        followups = await measure.hub_get(hub_url, prepared.token, "/api/followups", limit=500)
        configs = await measure.hub_get(hub_url, prepared.token, "/api/config/units", limit=500)
        change = rollout.change
        phase("measured")
        report = {
            "run": {
                "seed": o.seed, "villages": len(units), "speed": round(o.speed, 2),
                "day_wall_s": round(DAY_S / o.speed, 1), "load": o.load,
                "bad_share": o.bad_share, "workers": len(groups), "chaos": o.chaos,
                "database": database_url.split(":", 1)[0], "drained": drained,
                "wall_s": round(time.time() - started, 1), "phases": phases,
                "machine": measure.machine(), "day": opens.date().isoformat(),
            },
            "plan": measure.plan_mix(plan, streams),
            "delivery": verdict.__dict__ | {"exact": verdict.exact},
            "cases_per_hour": measure.cases_per_hour(engine, units, clock),
            "latency": measure.latency(engine, units, _disturbed(plan, clock, chaos)),
            "outbox": measure.outbox_series(root, len(groups), clock),
            "rollouts": rollout.report(),
            "catalog_change": {
                **(change.row() if change is not None else {}),
                "config_versions": measure.unit_versions(
                    configs, switches, change.version if change else None),
                "cases_on_changed_matters": measure.catalog_cases(engine, change, switches),
            },
            "face_cost": measure.face_cost(face_stats),
            "face_on_hub": measure.identified_by(engine, units),
            "offices": {k: v for k, v in offices.tally.__dict__.items() if k != "due"},
            "followups": measure.followup_counts(
                followups, clock, FOLLOWUPS_CLOSE_IF_OPENED_BEFORE_S),
            "deficiency": deficiency,
            "indicators": indicators,
            "chaos": [r.row() for r in recoveries],
            "faults": [f.__dict__ for f in faults],
        }  # fmt: skip
        write_report(report, out_dir)
        return report
    finally:
        for child in children.values():
            child.stop()
        broker.stop()
        engine.dispose()


def _streams(
    plan: DayPlan, o: Options, registry: Any, opens: datetime, root: Path,
    switches: dict[str, list[Switch]],
) -> list[DayStream]:  # fmt: skip
    """The units' days rebuilt as they played them, their face verdicts read back from the
    units' journals (the same seed, the same switches, the same verdicts: the same stream)."""
    faces = Recorded(root / "units") if o.faces else None
    return [
        day_stream(v.unit_id, v.arrivals, seed=o.seed, opens=opens, bad_share=o.bad_share,
                   matters=village_matters(registry.village(v.unit_id).matters_excluded),
                   faces=faces, switches=switches[v.unit_id])
        for v in plan.villages
    ]  # fmt: skip


async def _faces_ready(root: Path, workers: dict[str, Child]) -> list[dict[str, float]]:
    """Wait for every worker's face checks; what they cost, from each worker's faces-ready."""
    deadline = time.time() + FACES_TIMEOUT_S
    stats: dict[str, dict[str, float]] = {}
    while len(stats) < len(workers):
        for name, child in workers.items():
            path = root / name / "faces-ready"
            if name not in stats and path.exists():
                stats[name] = json.loads(path.read_text())
            elif name not in stats and not child.alive():
                raise RuntimeError(f"{name} stopped before the day:\n{child.log_tail()}")
        if time.time() > deadline:
            raise RuntimeError(f"the face checks took over {FACES_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.2)
    return [stats[n] for n in workers]


async def _evening(offices: Offices, clock: DayClock, bad: int) -> None:
    """The offices work on after the windows close: until every bad rating's follow-up (the
    hub opens one each) is closed, or until the evening (EVENING_S)."""
    while clock.now_sim() < EVENING_S:
        try:
            total, left = await offices.followups_left()
            if total >= bad and left == 0:
                return
        except (httpx.HTTPError, OSError, KeyError, ValueError):
            pass
        await asyncio.sleep(0.5)


def _disturbed(plan: DayPlan, clock: DayClock, chaos: Chaos) -> measure.Disturbed:
    """Whether a unit's commit at a wall time fell in its offline episode or in a fault's span
    (kill to caught up); the margin covers the reconnect after a link comes back."""
    margin = 2.0
    offline = {
        v.unit_id: [(clock.wall(e.start), clock.wall(e.start + e.length) + margin)
                    for e in v.offline]
        for v in plan.villages
    }  # fmt: skip
    spans = list(chaos.disturbed)

    def disturbed(unit: str, at: float) -> bool:
        return any(a <= at <= b for a, b in [*offline.get(unit, ()), *spans])

    return disturbed


def _groups(plan: DayPlan, n: int) -> list[list[Any]]:
    n = max(1, min(n, len(plan.villages)))
    return [list(plan.villages[i::n]) for i in range(n)]


def _read(path: Path) -> dict[str, int]:
    return read_committed(path) if path.exists() else {}


async def _wait_hub(url: str, hub: Child, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    async with httpx.AsyncClient() as http:
        while time.time() < deadline:
            if not hub.alive():
                raise RuntimeError(f"the hub did not start:\n{hub.log_tail()}")
            try:
                if (await http.get(f"{url}/healthz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the hub did not answer in {timeout}s:\n{hub.log_tail()}")


async def _ready(f: Fault, hub_url: str, hub: Child) -> bool:
    """Wait until the hub answers again after its restart (True); other parts: False, nothing
    to wait for (Mosquitto's start waits for its port; a worker resumes on its own)."""
    if f.kind != "hub":
        return False
    await _wait_hub(hub_url, hub, timeout=120.0)
    return True


def _kill(f: Fault, children: dict[str, Child], broker: MosquittoProcess, root: Path) -> None:
    if f.kind == "broker":
        broker.kill()
    elif f.kind == "link":
        _link_command(root, children, f"cut {f.target}")
    else:
        children[f.target].kill()


def _restart(f: Fault, children: dict[str, Child], broker: MosquittoProcess, root: Path) -> None:
    if f.kind == "broker":
        broker.start()  # same port, same credentials
    elif f.kind == "link":
        _link_command(root, children, f"heal {f.target}")
    else:
        children[f.target].start()


def _link_command(root: Path, children: dict[str, Child], line: str) -> None:
    # every worker reads its own file and acts on the units it runs
    for name in children:
        if name != "hub":
            with open(root / name / "links", "a") as f:
                f.write(line + "\n")


async def _drain(
    root: Path, children: dict[str, Child], units: list[str], hub_rows: Any, timeout: float
) -> bool:
    """Wait until every worker has committed its whole stream and the hub holds every event."""
    deadline = time.time() + timeout
    workers = [n for n in children if n != "hub"]
    while time.time() < deadline:
        if all((root / n / "streams-done").exists() for n in workers):
            committed = sum(len(_read(root / "units" / u / "outbox.sqlite3")) for u in units)
            if len(await asyncio.to_thread(hub_rows)) >= committed:
                return True
        await asyncio.sleep(0.5)
    return False
