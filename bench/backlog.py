"""Backlog benchmark: a unit that was offline with 100,000 events in its outbox reconnects;
how long until the hub has them all?

The unit is the real agent (`bianmin edge run`, its outbox pre-filled while offline), the hub a
real `bianmin hub ingest` process, on SQLite and on PostgreSQL. The last line printed is one
JSON object; the full result goes to bench/results/backlog.json with the machine description.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import BIANMIN, BenchBroker, Child, CpuMeter, rss_mb, wait_until, write_results
from bench.ingest import Database, hub_process
from edge.eventlog import SqliteEventLog
from simulators.cases import CaseSimulator

UNIT = "b00000"


def fill_outbox(data_dir: Path, events: int) -> float:
    async def fill() -> None:
        log = SqliteEventLog(data_dir / "outbox.sqlite3", UNIT, limit_bytes=1 << 31, durable=True)
        sim = CaseSimulator()
        for start in range(0, events, 1000):
            await log.append_many(sim.next_transition() for _ in range(min(1000, events - start)))
        await log.close()

    started = time.monotonic()
    asyncio.run(fill())
    return time.monotonic() - started


def drain(broker: BenchBroker, db_kind: str, root: Path, events: int) -> dict[str, Any]:
    data_dir = root / f"unit-{db_kind}"
    fill_s = fill_outbox(data_dir, events)
    db = Database(db_kind, root)
    hub = hub_process(broker, db, f"hub-{db_kind}")
    unit: Child | None = None
    try:
        meter = CpuMeter({"hub": [hub.pid]})
        meter.start()
        started = time.monotonic()
        unit = Child(
            [BIANMIN, "edge", "run", "--unit", UNIT, "--broker", broker.url,
             "--data-dir", str(data_dir), "--simulated-devices", "--rate", "0"],
            env={"BIANMIN_UNIT_PASSWORD": broker.creds.password_for(UNIT)},
        )  # fmt: skip
        rss: list[float] = []

        def done() -> bool:
            rss.append(rss_mb(hub.pid))
            return db.count() >= events

        finished = wait_until(done, 300, poll=0.1)
        drain_s = time.monotonic() - started
        cpu = meter.stop()
        return {
            "database": db_kind,
            "events": db.count(),
            "expected": events,
            "complete": finished,
            "drain_s": round(drain_s, 2),
            "events_per_s": round(events / drain_s, 1),
            "outbox_fill_s": round(fill_s, 2),
            "hub_cpu_s": cpu["hub"],
            "hub_rss_mb_max": round(max(rss), 1) if rss else None,
        }
    finally:
        if unit is not None:
            unit.finish()
        hub.finish()
        db.drop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bianmin-backlog-") as tmp:
        root = Path(tmp)
        with BenchBroker(root, [UNIT]) as broker:
            runs = {}
            for kind in ("sqlite", "postgres"):
                runs[kind] = drain(broker, kind, root, args.events)
                print(kind, json.dumps(runs[kind]), file=sys.stderr, flush=True)
    figures = {
        "events": args.events,
        "drain_s": max(r["drain_s"] for r in runs.values()),
        "drain_sqlite_s": runs["sqlite"]["drain_s"],
        "drain_postgres_s": runs["postgres"]["drain_s"],
        "complete": all(r["complete"] for r in runs.values()),
    }
    path = write_results("backlog", figures, {"runs": runs})
    print(f"results: {path}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
