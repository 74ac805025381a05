"""Case projection benchmark: CPU of the case projector per event when it makes a pass after
every ingest commit (the peer: how the projector ran before it coalesced) against a pass per
several commits (what one pass per 0.25 s gives under a steady stream), in the same run, over
the same events.

A live stream of 100 units, each case driven through the unit's real state machine
(simulators.cases), is committed through the hub's ingest writer in batches of 5 events (one
message per unit, as the live hub's small batches are); the projector drains the pending queue
after every batch (peer) or after every 10 batches (coalesced). Each shape runs on a database of
its own; ANALYZE runs every 2,000 events where the server's autovacuum is off, as it would.

Run: `.venv/bin/python bench/projection.py [--cases 300] [--database sqlite|postgres]`.
The last line is one JSON object; writes bench/results/projection.json.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_results  # noqa: E402
from hub.cases.project import drain_pending  # noqa: E402
from hub.db import create_tables, make_engine  # noqa: E402
from hub.ingest.batch import commit_ingest_batch  # noqa: E402
from hub.ingest.intake import take  # noqa: E402
from mqttio import Received  # noqa: E402
from protocol import topics  # noqa: E402
from protocol.ids import uuid7  # noqa: E402
from protocol.messages import CaseEnvelope, TxBatch, encode  # noqa: E402
from protocol.topics import Channel  # noqa: E402
from simulators.cases import seed_matters, simulate_case  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
UNITS = 100
BATCH_EVENTS = 5
COALESCED_BATCHES = 10
ANALYZE_EVERY = 2000
# after the simulated cases' times, so none is refused as from the future
RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)


def live_stream(n_cases: int, seed: int = 1) -> list[CaseEnvelope]:
    """The units' events interleaved: each unit's cases in order, the units side by side."""
    rng = random.Random(seed)
    matters = seed_matters()
    per_unit: list[list[CaseEnvelope]] = []
    for u in range(UNITS):
        unit = f"p{u:03d}"
        events: list[CaseEnvelope] = []
        for _ in range(max(1, n_cases // UNITS)):
            for ts, t in simulate_case(rng.choice(matters), rng, unit=unit):
                events.append(
                    CaseEnvelope(id=uuid7(), unit=unit, seq=len(events) + 1, ts=ts, body=t)
                )
        per_unit.append(events)
    longest = max(len(e) for e in per_unit)
    return [e[i] for i in range(longest) for e in per_unit if i < len(e)]


def commit(engine: Any, events: list[CaseEnvelope]) -> None:
    by_unit: dict[str, list[CaseEnvelope]] = {}
    for e in events:
        by_unit.setdefault(e.unit, []).append(e)
    messages = [
        Received(topics.topic(u, Channel.TX), encode(TxBatch(events=evs)), 1, False)
        for u, evs in by_unit.items()
    ]
    intake = take(messages, RECEIVED, drift_s=10**9)
    commit_ingest_batch(engine, intake.batch)


class Database:
    def __init__(self, kind: str, root: Path) -> None:
        self.name: str | None = None
        if kind == "sqlite":
            self.url = f"sqlite:///{root / f'hub-{secrets.token_hex(3)}.sqlite3'}"
        else:
            self.name = f"bianmin_projection_{secrets.token_hex(3)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.name}"
        self.engine = make_engine(self.url)
        create_tables(self.engine)
        self.analyze = False
        if self.name:
            with self.engine.connect() as conn:
                self.analyze = conn.exec_driver_sql("SHOW autovacuum").scalar() == "off"

    def keep_statistics(self) -> None:
        if self.analyze:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

    def drop(self) -> None:
        self.engine.dispose()
        if self.name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run(stream: list[CaseEnvelope], every: int, kind: str, root: Path) -> dict[str, Any]:
    """Commit the stream in batches, draining the projector after every ``every`` batches."""
    db = Database(kind, root)
    try:
        cpu = 0.0
        passes = 0
        for i, start in enumerate(range(0, len(stream), BATCH_EVENTS)):
            commit(db.engine, stream[start : start + BATCH_EVENTS])
            if (i + 1) % every == 0:
                t = time.process_time()
                while drain_pending(db.engine):
                    passes += 1
                cpu += time.process_time() - t
            if start % ANALYZE_EVERY < BATCH_EVENTS:
                db.keep_statistics()
        t = time.process_time()
        while drain_pending(db.engine):
            passes += 1
        cpu += time.process_time() - t
    finally:
        db.drop()
    return {
        "events": len(stream),
        "batches_per_pass": every,
        "passes": passes,
        "projection_us_per_event": round(1e6 * cpu / len(stream), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    args = ap.parse_args()
    stream = live_stream(args.cases)
    with tempfile.TemporaryDirectory(prefix="bench-projection-") as tmp:
        root = Path(tmp)
        peer = run(stream, 1, args.database, root)
        print(f"a pass per commit (peer): {peer}", flush=True)
        coalesced = run(stream, COALESCED_BATCHES, args.database, root)
        print(f"a pass per {COALESCED_BATCHES} commits: {coalesced}", flush=True)
    figures = {
        "database": args.database,
        "events": len(stream),
        "per_commit_us_per_event": peer["projection_us_per_event"],
        "coalesced_us_per_event": coalesced["projection_us_per_event"],
        "saving": round(
            peer["projection_us_per_event"] / max(0.1, coalesced["projection_us_per_event"]), 2
        ),
    }
    path = write_results("projection", figures, {"per_commit": peer, "coalesced": coalesced})
    print(f"results: {path}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
