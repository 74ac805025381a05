"""Scale benchmark: a province's worth of units on one broker and one hub host.

For each size (default 1,000, 10,000 and 25,000 units): one Mosquitto with the project's
generated configuration (per-unit credentials and ACLs), `bianmin hub serve` (ingest, case
projection, web) plus extra `bianmin hub ingest` processes on the shared subscription, on
PostgreSQL (or SQLite), and the units in worker processes (bench/scale_units.py: light-weight
units on one event loop per process, the real wire protocol through mqttio). Every unit sends
a heartbeat every 30 s and case transitions at 100x the county's peak hour (see LOAD below).

Measured: units connected, unit->hub latency (publish to the hub's ack after commit), loss
(events sent vs events stored, unacked after the drain), hub RSS sampled every 5 s, CPU of the
hub processes, Mosquitto and the units, memory per connection on both sides.

Run: `.venv/bin/python bench/scale.py [--sizes 1000,10000,25000] [--minutes 2,2,10]`, or
`--quick` for a smoke run (20 units, 6 s, SQLite). The last line is one JSON object; writes
bench/results/scale.json (or scale-quick.json) with the machine description.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import BIANMIN, RESULTS, CpuMeter, pids_named, rss_mb, write_results  # noqa: E402
from bench.rollout import unit_ids  # noqa: E402
from hub.db import make_engine  # noqa: E402
from hub.models import Event  # noqa: E402
from provisioning import credentials  # noqa: E402
from provisioning.mosquitto import (  # noqa: E402
    BrokerLimits,
    MosquittoConfig,
    MosquittoProcess,
    free_port,
    tool_broker_user,
    wait_for_port,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
UNITS_PER_WORKER = 5000
# Where the server's autovacuum is off (this machine's is), the bench runs ANALYZE this often, as
# autovacuum would on a county's server; the results record both.
ANALYZE_EVERY_S = 30.0

# The county's load (the source: about 108,000 rated cases in two years over 76 windows).
# A case is rated once, so cases = ratings. Working days: 250 a year. The peak hour: the
# busiest day carries twice an average day, and its busiest hour (the morning peak of a window
# open 8 hours) a fifth of that day. Each case is about 10 transitions (bench figure below).
COUNTY_CASES_2Y = 108_000
COUNTY_UNITS = 76
WORKING_DAYS_2Y = 500
PEAK_DAY_FACTOR = 2.0
PEAK_HOUR_SHARE = 0.2
LOAD_FACTOR = 100


def load_model(transitions_per_case: float) -> dict[str, float]:
    per_day = COUNTY_CASES_2Y / WORKING_DAYS_2Y
    peak_hour = per_day * PEAK_DAY_FACTOR * PEAK_HOUR_SHARE
    per_unit_h = peak_hour / COUNTY_UNITS
    bench_cases_h = per_unit_h * LOAD_FACTOR
    return {
        "county_cases_per_working_day": round(per_day, 1),
        "county_peak_hour_cases": round(peak_hour, 1),
        "peak_hour_cases_per_unit": round(per_unit_h, 3),
        "load_factor": LOAD_FACTOR,
        "bench_cases_per_unit_hour": round(bench_cases_h, 1),
        "transitions_per_case": round(transitions_per_case, 2),
        "bench_events_per_unit_s": round(bench_cases_h * transitions_per_case / 3600, 4),
    }


def transitions_per_case(samples: int = 400) -> float:
    """How many transitions the fleet's case simulator makes per case (the events per case)."""
    import random

    from simulators.cases import CaseSimulator

    sim = CaseSimulator(rng=random.Random(7))
    closes = events = 0
    while closes < samples:
        events += 1
        closes += sim.next_transition().state == "closed"
    return events / samples


class Database:
    def __init__(self, kind: str, root: Path) -> None:
        self.name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{root / 'hub.sqlite3'}"
        else:
            self.name = f"bianmin_scale_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"
        self.engine = make_engine(self.url)
        self.autovacuum = self._setting("autovacuum") if self.name else None

    def _setting(self, name: str) -> str:
        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as conn:
            row = conn.execute(f"SHOW {name}").fetchone()
            return str(row[0]) if row else ""

    def keep_statistics(self) -> bool:
        """What autovacuum's ANALYZE does on a production server, done by hand when the server
        here runs with autovacuum off: without statistics the planner takes every
        `case_id IN (...)` of the case projection for half the table and scans all of it."""
        if self.autovacuum != "off":
            return False
        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("ANALYZE")
        return True

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Event)).scalar_one())

    def drop(self) -> None:
        self.engine.dispose()
        if self.name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Hub:
    """`hub serve` plus ``extra`` `hub ingest` processes, all on the shared subscription."""

    def __init__(self, root: Path, db: Database, broker: str, password: str, villages: Path,
                 extra: int) -> None:  # fmt: skip
        env = {**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": password}
        self.port = free_port()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = open(root / "hub.log", "wb")  # noqa: SIM115 - the children own it
        self.procs.append(subprocess.Popen(
            [BIANMIN, "hub", "serve", "--database", db.url, "--broker", broker,
             "--port", str(self.port), "--data-dir", str(root / "hub"),
             "--villages", str(villages), "--log-level", "WARNING"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        wait_for_port("127.0.0.1", self.port, timeout=120)
        deadline = time.monotonic() + 60
        while not httpx.get(f"http://127.0.0.1:{self.port}/healthz").json()["broker_connected"]:
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not connect to the broker")
            time.sleep(0.2)
        for i in range(extra):
            self.procs.append(subprocess.Popen(
                [BIANMIN, "hub", "ingest", "--database", db.url, "--broker", broker,
                 "--instance", f"scale-ingest-{i + 2}", "--log-level", "WARNING"],
                env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            ))  # fmt: skip
        if extra:
            time.sleep(2.0)  # let the extra processes subscribe before the load starts

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.log.close()


class Workers:
    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, jobs: list[dict[str, Any]]) -> int:
        for job in jobs:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.scale_units", stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, cwd=ROOT, limit=64 << 20,
            )  # fmt: skip
            await self.send(proc, json.dumps(job))
            self.procs.append(proc)
        connected = 0
        for proc in self.procs:
            assert proc.stdout is not None
            line = (await proc.stdout.readline()).decode().split()
            if not line or line[0] != "ready":
                raise RuntimeError(f"a unit worker failed to start: {line}")
            connected += int(line[1])
        return connected

    async def send(self, proc: asyncio.subprocess.Process, line: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(line.encode() + b"\n")
        await proc.stdin.drain()

    async def all(self, line: str) -> None:
        for proc in self.procs:
            await self.send(proc, line)

    async def reports(self) -> list[dict[str, Any]]:
        await self.all("stop")
        out = []
        for proc in self.procs:
            assert proc.stdout is not None
            out.append(json.loads(await proc.stdout.readline()))
        return out

    async def close(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                with_quit = proc.stdin is not None and not proc.stdin.is_closing()
                if with_quit:
                    await self.send(proc, "quit")
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()


def percentile(hist: dict[int, int], q: float) -> float | None:
    total = sum(hist.values())
    if not total:
        return None
    need = math.ceil(q * total)
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= need:
            return float(ms)
    return None


def broker_capacity() -> int:
    """How many client connections one Mosquitto can hold here: its open-files limit (it
    inherits ours, raised to the hard limit) less its listener, log and config files."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 50


async def measure(n_asked: int, minutes: float, root: Path, args: argparse.Namespace,
                  load: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    cap = broker_capacity()
    n = min(n_asked, cap)
    if n < n_asked:
        print(f"  {n_asked} units need {n_asked} open files in one Mosquitto; the hard limit "
              f"here allows {cap}: running {n}", flush=True)  # fmt: skip
    units, villages = unit_ids(n, root)
    creds = credentials.generate(units)
    broker_port = free_port()
    mosquitto = MosquittoProcess(
        MosquittoConfig(data_dir=root / "broker", port=broker_port, credentials=creds,
                        limits=BrokerLimits(max_queued_messages=100_000), persistence=False,
                        run_as=tool_broker_user())
    )  # fmt: skip
    mosquitto.start()
    broker_pid = mosquitto.proc.pid if mosquitto.proc else 0
    broker_rss_idle = rss_mb(broker_pid)
    broker_url = f"mqtt://127.0.0.1:{broker_port}"
    db = Database(args.database, root)
    hub: Hub | None = None
    workers = Workers()
    try:
        hub = await asyncio.to_thread(
            Hub, root, db, broker_url, creds.hub_password, villages, args.extra_ingest
        )
        hub_rss_idle = sum(rss_mb(p) for p in hub.pids)
        procs = max(1, math.ceil(n / UNITS_PER_WORKER))
        t0 = time.monotonic()
        connected = await workers.start([
            {"units": [[u, creds.password_for(u)] for u in units[i::procs]],
             "broker": broker_url, "events_per_unit_s": load["bench_events_per_unit_s"],
             "health_s": args.health_s, "seed": i, "connect_timeout": max(120.0, n / 40),
             "drain_s": 180}
            for i in range(procs)
        ])  # fmt: skip
        connect_s = time.monotonic() - t0
        print(f"  {connected}/{n} units connected in {connect_s:.1f} s ({procs} unit "
              f"processes)", flush=True)  # fmt: skip
        broker_rss_connected = rss_mb(broker_pid)
        worker_pids = [p.pid for p in workers.procs]
        meter = CpuMeter({"hub": hub.pids, "mosquitto": [broker_pid], "units": worker_pids,
                          "postgres": pids_named("postgres") if db.name else []})  # fmt: skip
        samples: list[dict[str, float]] = []
        await workers.all("go")
        meter.start()
        t_load = time.monotonic()
        duration = minutes * 60
        analyzed_at = time.monotonic()
        analyze_runs = 0
        while (elapsed := time.monotonic() - t_load) < duration:
            if time.monotonic() - analyzed_at >= ANALYZE_EVERY_S:
                analyzed_at = time.monotonic()
                analyze_runs += await asyncio.to_thread(db.keep_statistics)
            samples.append({
                "t": round(elapsed, 1),
                "hub_rss_mb": round(sum(rss_mb(p) for p in hub.pids), 1),
                "broker_rss_mb": round(rss_mb(broker_pid), 1),
                "units_rss_mb": round(sum(rss_mb(p) for p in worker_pids), 1),
                "load1": round(os.getloadavg()[0], 2),
            })  # fmt: skip
            await asyncio.sleep(min(5.0, max(0.1, duration - elapsed)))
        cpu = meter.stop()
        load_s = time.monotonic() - t_load
        print(f"  load done after {load_s:.0f} s; waiting for the last acks", flush=True)
        reports = await workers.reports()
        drain_s = time.monotonic() - t_load - load_s
        dead_hub = [p.pid for p in hub.procs if p.poll() is not None]
        stored = await asyncio.to_thread(db.count)
    finally:
        await workers.close()
        if hub is not None:
            hub.stop()
        mosquitto.stop()
        db.drop()
    hist: dict[int, int] = {}
    for r in reports:
        for ms, c in r["hist_ms"].items():
            hist[int(ms)] = hist.get(int(ms), 0) + c
    sent = sum(r["sent"] for r in reports)
    hub_series = [s["hub_rss_mb"] for s in samples]
    steady = [s for s in samples if s["t"] >= min(60.0, duration / 3)] or samples
    slope = (
        statistics.linear_regression([s["t"] for s in steady],
                                     [s["hub_rss_mb"] for s in steady]).slope * 60
        if len(steady) >= 2 else None
    )  # fmt: skip
    units_rss_before = sum(r["rss_before_kb"] for r in reports) / 1024
    units_rss_connected = sum(r["rss_connected_kb"] for r in reports) / 1024
    hub_cpu_cores = cpu["hub"] / load_s
    return {
        "units_asked": n_asked,
        "units": n,
        "connected": connected,
        "connected_at_end": sum(r["connected"] for r in reports),
        "disconnects": sum(r["disconnects"] for r in reports),
        "connect_s": round(connect_s, 1),
        "unit_processes": len(reports),
        "hub_processes": 1 + args.extra_ingest,
        "database": args.database,
        "postgres_autovacuum": db.autovacuum,
        "bench_analyze_runs": analyze_runs,
        "load_minutes": round(load_s / 60, 2),
        "events_sent": sent,
        "events_per_s": round(sent / load_s, 1),
        "health_per_s": round(sum(r["health_sent"] for r in reports) / load_s, 1),
        "events_stored": stored,
        "events_acked": sum(r["acked"] for r in reports),
        "unacked_after_drain": sum(r["unacked"] for r in reports),
        "lost": sent - stored,
        "resent": sum(r["resent"] for r in reports),
        "drain_s": round(drain_s, 1),
        "latency_ms": {"p50": percentile(hist, 0.5), "p99": percentile(hist, 0.99),
                       "p999": percentile(hist, 0.999), "max": float(max(hist)) if hist else None},
        "hub_died": dead_hub,
        "hub_rss_mb": {"idle": round(hub_rss_idle, 1),
                       "first": hub_series[0] if hub_series else None,
                       "last": hub_series[-1] if hub_series else None,
                       "max": max(hub_series) if hub_series else None,
                       "mb_per_minute_after_warmup": None if slope is None else round(slope, 2)},
        "cpu_seconds": cpu,
        "cores_busy": {k: round(v / load_s, 3) for k, v in cpu.items()},
        "hub_cpu_per_1000_units_pct_core": round(100 * hub_cpu_cores / (n / 1000), 2),
        "hub_cpu_us_per_message": round(
            1e6 * cpu["hub"] / max(1, sent + sum(r["health_sent"] for r in reports)), 1),
        "broker_kb_per_connection": round(
            1024 * (broker_rss_connected - broker_rss_idle) / max(1, connected), 1),
        "broker_rss_mb": {"idle": round(broker_rss_idle, 1),
                          "connected": round(broker_rss_connected, 1),
                          "max": max((s["broker_rss_mb"] for s in samples), default=None)},
        "units_kb_per_unit_connected": round(
            1024 * (units_rss_connected - units_rss_before) / max(1, connected), 1),
        "units_rss_mb": {"before": round(units_rss_before, 1),
                         "connected": round(units_rss_connected, 1),
                         "end": round(sum(r["rss_end_kb"] for r in reports) / 1024, 1)},
        "load_avg_during": [s["load1"] for s in samples[:: max(1, len(samples) // 20)]],
        "series_every_5s": samples,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--sizes", default="1000,10000,25000")
    ap.add_argument("--minutes", default="2,2,10", help="load time per size")
    ap.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--extra-ingest", type=int, default=1,
                    help="`hub ingest` processes beside `hub serve`")  # fmt: skip
    ap.add_argument("--health-s", type=float, default=30.0)
    ap.add_argument("--quick", action="store_true", help="20 units for 6 s on SQLite")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.minutes, args.database, args.extra_ingest = "20", "0.1", "sqlite", 0
    sizes = [int(s) for s in args.sizes.split(",")]
    minutes = [float(m) for m in args.minutes.split(",")]
    minutes += [minutes[-1]] * (len(sizes) - len(minutes))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # Mosquitto inherits it
    load = load_model(transitions_per_case())
    print(f"load: {json.dumps(load)}; load average now {os.getloadavg()}", flush=True)
    results = []
    for n, m in zip(sizes, minutes, strict=True):
        print(f"{n} units for {m} min:", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"bench-scale-{n}-") as tmp:
            r = asyncio.run(measure(n, m, Path(tmp), args, load))
        print(f"  {r['events_per_s']} events/s + {r['health_per_s']} heartbeats/s; p99 "
              f"{r['latency_ms']['p99']} ms; lost {r['lost']}, unacked {r['unacked_after_drain']};"
              f" hub RSS {r['hub_rss_mb']}; hub {r['hub_cpu_per_1000_units_pct_core']} % of a "
              f"core per 1,000 units; broker {r['broker_kb_per_connection']} KB/connection, "
              f"units {r['units_kb_per_unit_connected']} KB/unit", flush=True)  # fmt: skip
        results.append(r)
    figures = {
        "load": load,
        "fd_hard_limit": hard,
        "load_avg_at_end": [round(x, 2) for x in os.getloadavg()],
        "sizes": {str(r["units_asked"]): {k: r[k] for k in (
            "units", "connected", "events_per_s", "lost", "unacked_after_drain", "latency_ms",
            "hub_rss_mb", "hub_cpu_per_1000_units_pct_core", "broker_kb_per_connection",
            "units_kb_per_unit_connected")} for r in results},
        "quick": args.quick,
    }  # fmt: skip
    details = {"runs": results}
    path = write_results(
        "scale-quick" if args.quick else "scale", figures, details, args.results_dir
    )
    print(f"results: {path}", file=sys.stderr)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
