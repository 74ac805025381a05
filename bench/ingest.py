"""Ingest benchmark: how many unit events per second the hub stores durably, against the
limit of a bare paho subscriber on the same machine, in the same run.

Shapes:
  live     one event per message from 1,000 units (normal traffic)
  backlog  100 events per message (units catching up after an outage)

Method, per phase: start the consumer (the bare subscriber, or `bianmin hub ingest` on SQLite
or PostgreSQL), pause it with SIGSTOP, let publisher processes (500 units each, one MQTT
connection per unit) load the broker, then SIGCONT and time how long the consumer takes to hold
every event (the hub: committed in its database). Publishers run in other processes than the
consumer, as units would. A last phase measures unit->hub->ack latency at 1,000 events/s.

Usage: python bench/ingest.py [--quick] [--receiver lean|paho] [--only PHASE,...]
[--profile DIR]. The last line printed is one JSON object; the full result is written to
bench/results/ingest.json with the machine description (a partial run to ingest-partial.json).
--profile samples every hub process with py-spy (a dev extra) while it drains, into one
collapsed-stack file per phase in DIR (bench/profile_summary.py sums them up).
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

from bench.common import (
    BIANMIN,
    PYTHON,
    BenchBroker,
    Child,
    CpuMeter,
    pids_named,
    rss_mb,
    unit_ids,
    wait_until,
    write_results,
)
from hub.db import make_engine
from hub.models import Event

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
UNITS = 1000
PUBLISHER_PROCESSES = 2


class Database:
    """A fresh database per phase, so every phase starts from an empty events table."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{root / f'hub-{secrets.token_hex(3)}.sqlite3'}"
            self.name = None
        else:
            self.name = f"bianmin_bench_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"
        self.engine = make_engine(self.url)

    def count(self) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(Event)).scalar_one())
        except Exception:  # table not created yet
            return 0

    def drop(self) -> None:
        self.engine.dispose()
        if self.name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def publishers(
    broker: BenchBroker, messages: int, per_message: int, rate: float = 0
) -> list[Child]:
    share = UNITS // PUBLISHER_PROCESSES
    procs = []
    for p in range(PUBLISHER_PROCESSES):
        args = [
            PYTHON, "-m", "bench.publisher", "--broker", broker.url,
            "--credentials", str(broker.creds_path), "--first", str(p * share),
            "--count", str(share), "--messages", str(messages),
            "--events-per-message", str(per_message), "--rate", str(rate),
        ]  # fmt: skip
        if rate:
            args += ["--until-acked", "--ack-wait", "60"]
        procs.append(Child(args))
    return procs


def read_line(child: Child, key: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    assert child.proc.stdout is not None
    while time.monotonic() < deadline:
        line = child.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child exited before printing {key!r}")
        if line.startswith("{") and key in (doc := json.loads(line)):
            return doc
    raise TimeoutError(f"no {key!r} line within {timeout}s")


# set by main(): which receiver the hub reads with, and where py-spy writes (None: no profile)
RECEIVER = "lean"
PROFILE: Path | None = None


def hub_process(broker: BenchBroker, db: Database, name: str) -> Child:
    child = Child(
        [BIANMIN, "hub", "ingest", "--database", db.url, "--broker", broker.url,
         "--instance", name],
        env={
            "BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password,
            "BIANMIN_HUB_INGEST_RECEIVER": RECEIVER,
        },
    )  # fmt: skip
    read_line(child, "ready", 30)
    return child


def phase(
    broker: BenchBroker,
    consumer: str,
    db_kind: str | None,
    root: Path,
    *,
    messages: int,
    per_message: int,
    hubs: int = 1,
    label: str = "",
) -> dict[str, Any]:
    expected = UNITS * messages * per_message
    db = Database(db_kind, root) if db_kind else None
    consumers: list[Child] = []
    try:
        if consumer == "bare":
            consumers.append(
                Child(
                    [
                        PYTHON,
                        "-m",
                        "bench.bare_subscriber",
                        "--broker",
                        broker.url,
                        # one argument: a generated password may begin with "-"
                        f"--password={broker.creds.hub_password}",
                        "--expect",
                        str(expected),
                    ]
                )
            )
            read_line(consumers[0], "ready")
            time.sleep(0.5)  # SUBSCRIBE is sent right after CONNACK
        else:
            assert db is not None
            consumers = [hub_process(broker, db, f"hub-{i + 1}") for i in range(hubs)]
        samplers = [_profile(c.pid, f"{label}-{i + 1}") for i, c in enumerate(consumers)]
        for c in consumers:
            c.stop()
        pubs = publishers(broker, messages, per_message)
        for p in pubs:
            read_line(p, "ready")
        for p in pubs:
            read_line(p, "published", 300)
        groups = {
            "consumer": [c.pid for c in consumers],
            "mosquitto": [broker.process.proc.pid] if broker.process.proc else [],
            "postgres": pids_named("postgres") if db_kind == "postgres" else [],
        }
        meter = CpuMeter(groups)
        meter.start()
        started = time.monotonic()
        for c in consumers:
            c.cont()
        rss: list[float] = []
        if consumer == "bare":
            result = consumers[0].finish(timeout=600, ask=False)
            seconds = time.monotonic() - started
            got = result.get("events", 0)
            groups["consumer"] = []  # it has exited; it reports its own CPU time
            bare_cpu = result.get("cpu_s", 0.0)
        else:
            assert db is not None

            def done() -> bool:
                rss.append(sum(rss_mb(c.pid) for c in consumers))
                return db.count() >= expected

            wait_until(done, 600, poll=0.1)
            seconds = time.monotonic() - started
            got = db.count()
        cpu = meter.stop()
        # what each hub process says it did as it stops (its "stopped" line)
        stopped = [c.finish() for c in consumers] if consumer == "hub" else []
        for sampler in samplers:
            if sampler is not None:
                sampler.send_signal(signal.SIGINT)
                sampler.wait(60)
        if consumer == "bare":
            cpu["consumer"] = bare_cpu
        for p in pubs:
            p.finish()
        return {
            "consumer": consumer,
            "database": db_kind,
            "hub_processes": hubs if consumer == "hub" else 0,
            "events": got,
            "expected": expected,
            "seconds": round(seconds, 3),
            "events_per_s": round(got / seconds, 1),
            "cpu_seconds": cpu,
            "cores_busy": round(sum(cpu.values()) / seconds, 2),
            "rss_mb_start": round(rss[0], 1) if rss else None,
            "rss_mb_max": round(max(rss), 1) if rss else None,
            "rss_mb_end": round(rss[-1], 1) if rss else None,
            "batches": sum(s.get("batches", 0) for s in stopped) if stopped else None,
        }
    finally:
        for c in consumers:
            if c.proc.returncode is None:
                c.cont()
                c.finish()
        if db is not None:
            db.drop()


def _profile(pid: int, label: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling ``pid`` into PROFILE/label.txt (collapsed stacks), or None."""
    if PROFILE is None:
        return None
    PROFILE.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).parent / "py-spy"
    out = PROFILE / f"{label}.txt"
    proc = subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--rate", "400", "--format", "raw",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # attached before the phase starts
    return proc


def latency_phase(broker: BenchBroker, root: Path, seconds: int) -> dict[str, Any]:
    db = Database("sqlite", root)
    hub = hub_process(broker, db, "hub-latency")
    samples: list[tuple[float, float]] = []  # (seconds since start, hub RSS MB)
    stop = threading.Event()

    def sample() -> None:
        t0 = time.monotonic()
        while not stop.wait(1.0):
            samples.append((time.monotonic() - t0, rss_mb(hub.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        pubs = publishers(broker, seconds, 1, rate=1.0)
        sampler.start()
        results = [p.finish(timeout=seconds + 120, ask=False) for p in pubs]
    finally:
        stop.set()
        hub.finish()
        db.drop()
    lat = sorted(x for r in results for x in r.get("latencies_ms", []))
    unacked = sum(r.get("unacked", 0) for r in results)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

    return {
        "rate_events_per_s": UNITS,
        "seconds": seconds,
        "acked": len(lat),
        "unacked": unacked,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1] if lat else None,
        "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        "hub_rss_mb": _rss_trend(samples),
    }


def _rss_trend(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Hub memory under sustained load: after the first 10 s, does RSS keep growing?"""
    steady = [(t, m) for t, m in samples if t >= 10] or samples
    if len(steady) < 2:
        return {"first": None, "last": None, "max": None, "mb_per_minute": None}  # too short
    slope = statistics.linear_regression([t for t, _ in steady], [m for _, m in steady]).slope
    return {
        "first": round(steady[0][1], 1),
        "last": round(steady[-1][1], 1),
        "max": round(max(m for _, m in samples), 1),
        "mb_per_minute": round(slope * 60, 2),
        "series_every_10s": [round(m, 1) for t, m in samples if int(t) % 10 == 0],
    }


def _cpu_us(run: dict[str, Any]) -> float | None:
    cpu = run["cpu_seconds"].get("consumer")
    return round(1e6 * cpu / run["events"], 1) if cpu and run["events"] else None


def _cpu_ratio(runs: dict[str, dict[str, Any]], name: str) -> float | None:
    """What one hub process would reach against the bare peer with a core each: the peer's
    CPU per event over the hub's."""
    bare, hub = _cpu_us(runs["live_bare"]), _cpu_us(runs[name])
    return round(bare / hub, 2) if bare and hub else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="smaller runs, to check the script")
    ap.add_argument("--receiver", choices=["lean", "paho"], default="lean",
                    help="what the hub reads with (settings.ingest_receiver)")  # fmt: skip
    ap.add_argument("--only", help="comma-separated phases (live_bare,live_sqlite,...,latency)")
    ap.add_argument("--profile", type=Path, help="py-spy every hub phase into this directory")
    args = ap.parse_args()
    global RECEIVER, PROFILE
    RECEIVER, PROFILE = args.receiver, args.profile
    only = set(args.only.split(",")) if args.only else None
    live_msgs = 5 if args.quick else 60
    backlog_msgs = 1 if args.quick else 3
    latency_s = 15 if args.quick else 90
    latency: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bianmin-bench-") as tmp:
        root = Path(tmp)
        with BenchBroker(root, unit_ids(UNITS)) as broker:
            runs: dict[str, dict[str, Any]] = {}
            plan = [
                ("live_bare", "bare", None, live_msgs, 1, 1),
                ("live_sqlite", "hub", "sqlite", live_msgs, 1, 1),
                ("live_postgres", "hub", "postgres", live_msgs, 1, 1),
                ("live_2hubs_sqlite", "hub", "sqlite", live_msgs, 1, 2),
                ("live_2hubs_postgres", "hub", "postgres", live_msgs, 1, 2),
                ("backlog_bare", "bare", None, backlog_msgs, 100, 1),
                ("backlog_sqlite", "hub", "sqlite", backlog_msgs, 100, 1),
                ("backlog_postgres", "hub", "postgres", backlog_msgs, 100, 1),
            ]
            for name, consumer, db, msgs, per, hubs in plan:
                if only is not None and name not in only:
                    continue
                runs[name] = phase(
                    broker, consumer, db, root, messages=msgs, per_message=per, hubs=hubs,
                    label=name,
                )  # fmt: skip
                print(name, json.dumps(runs[name]), file=sys.stderr, flush=True)
            if only is None or "latency" in only:
                latency = latency_phase(broker, root, latency_s)
                print("latency", json.dumps(latency), file=sys.stderr, flush=True)
    figures = _figures(runs, latency) if only is None else _partial(runs)
    figures["receiver"] = RECEIVER
    figures["quick"] = args.quick
    name = "ingest-quick" if args.quick else "ingest" if only is None else "ingest-partial"
    path = write_results(name, figures, {"runs": runs, "latency": latency})
    print(f"results: {path}", file=sys.stderr)
    print(json.dumps(figures))


def _partial(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    bare = runs.get("live_bare", {}).get("events_per_s")
    out: dict[str, Any] = {}
    for name, run in runs.items():
        out[f"{name}_events_per_s"] = run["events_per_s"]
        out[f"{name}_consumer_cpu_us_per_event"] = _cpu_us(run)
        if bare and name.startswith("live_") and name != "live_bare":
            out[f"{name}_vs_bare"] = round(run["events_per_s"] / bare, 2)
    return out


def _figures(runs: dict[str, dict[str, Any]], latency: dict[str, Any]) -> dict[str, Any]:
    bare_live = runs["live_bare"]["events_per_s"]
    return {
        "live_bare_events_per_s": bare_live,
        "live_sqlite_events_per_s": runs["live_sqlite"]["events_per_s"],
        "live_postgres_events_per_s": runs["live_postgres"]["events_per_s"],
        "live_2hubs_sqlite_events_per_s": runs["live_2hubs_sqlite"]["events_per_s"],
        "live_2hubs_postgres_events_per_s": runs["live_2hubs_postgres"]["events_per_s"],
        "live_sqlite_vs_bare": round(runs["live_sqlite"]["events_per_s"] / bare_live, 2),
        "live_postgres_vs_bare": round(runs["live_postgres"]["events_per_s"] / bare_live, 2),
        "live_2hubs_sqlite_vs_bare": round(
            runs["live_2hubs_sqlite"]["events_per_s"] / bare_live, 2
        ),
        "live_2hubs_postgres_vs_bare": round(
            runs["live_2hubs_postgres"]["events_per_s"] / bare_live, 2
        ),
        # CPU per event of the consumer process(es) (the database server's not included): on
        # a machine others share, a starved consumer's rate says more about the machine than
        # about the code; its CPU per event does not
        **{f"{name}_consumer_cpu_us_per_event": _cpu_us(runs[name]) for name in runs},
        "live_sqlite_vs_bare_by_cpu": _cpu_ratio(runs, "live_sqlite"),
        "live_postgres_vs_bare_by_cpu": _cpu_ratio(runs, "live_postgres"),
        "backlog_bare_events_per_s": runs["backlog_bare"]["events_per_s"],
        "backlog_sqlite_events_per_s": runs["backlog_sqlite"]["events_per_s"],
        "backlog_postgres_events_per_s": runs["backlog_postgres"]["events_per_s"],
        "p50_latency_ms": latency["p50_ms"],
        "p99_latency_ms": latency["p99_ms"],
        "hub_rss_mb_max": max(r["rss_mb_max"] or 0 for r in runs.values()),
        "sustained_hub_rss_mb_per_minute": latency["hub_rss_mb"]["mb_per_minute"],
    }


if __name__ == "__main__":
    main()
