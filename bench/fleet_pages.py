"""Fleet pages benchmark: how long the county's overview (/) and the first page of /fleet take
to render with N units in the hub (the 76 of the registry plus simulated ones the registry
lacks, each with a heartbeat, a configuration issued and an open alert on one in ten), for
N = 76, 1,000 and 10,000.

The pages read every unit of the account's area to count and group them by town (the counts
need them all), then render one page of rows. The peer, measured in the same run: `/api/units`,
which reads the same unit rows and returns them all as JSON, as the old dashboard did.

Everything is real: `create_app` on a SQLite file (or --database URL), Starlette's TestClient
in this process (no network in between), the hub's own tables written directly.

Run: `.venv/bin/python bench/fleet_pages.py [--sizes 76,1000,10000] [--runs 7]`. Prints figures
as it goes; the last line is one JSON object; writes bench/results/fleet_pages.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from bench.common import write_results  # noqa: E402
from hub.alerts.store import ALERTS  # noqa: E402
from hub.app import create_app  # noqa: E402
from hub.catalog.villages import load_villages  # noqa: E402
from hub.models import Unit  # noqa: E402
from hub.rollouts.models import UnitConfig  # noqa: E402
from hub.settings import HubSettings  # noqa: E402

UNITS = Unit.__table__  # type: ignore[attr-defined]
UC = UnitConfig.__table__  # type: ignore[attr-defined]
HEALTH = {
    "outbox": {"depth": 2, "bytes": 1800, "limit_bytes": 50_000_000, "alarm": False},
    "versions": {"agent": "1.4.2", "protocol": "1"},
    "devices": {
        "printer": {"present": True, "ok": True, "paper": "ok"},
        "camera": {"present": True, "ok": True},
        "pad": {"present": True, "ok": True},
        "rating": {"present": True, "ok": True},
    },
}


def seed(app: Any, n: int) -> None:
    now = datetime.now(UTC)
    ids = list(load_villages().unit_ids())
    ids += [f"sim{i:05d}" for i in range(n - len(ids))]
    with app.state.engine.begin() as conn:
        conn.execute(
            insert(UNITS),
            [
                {"id": u, "first_seen": now, "last_seen": now - timedelta(seconds=i % 300),
                 "online": i % 17 != 0, "events": 100, "cases": 30, "last_seq": 100,
                 "health": HEALTH, "health_at": now, "config_version": 3,
                 "clock_offset_s": 0.5, "clock_drift": False}
                for i, u in enumerate(ids)
            ],
        )  # fmt: skip
        conn.execute(
            insert(UC), [{"unit": u, "desired_version": 3, "applied_version": 3} for u in ids]
        )
        conn.execute(
            insert(ALERTS),
            [
                {"kind": "unit_offline", "subject": u, "started_at": now, "raised_at": now,
                 "notifications": 1, "detail": {}}
                for u in ids[::10]
            ],
        )  # fmt: skip


def timed(client: TestClient, path: str, runs: int) -> dict[str, float]:
    client.get(path).raise_for_status()  # warm: templates compiled, caches filled
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(path).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def measure(n: int, runs: int, database: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'hub.db'}"
        # the alert timer would run its pass over the seeded units during the timing
        settings = HubSettings(
            database_url=url, broker_url=None, data_dir=Path(tmp), alert_tick_s=3600
        )
        with TestClient(create_app(settings)) as client:
            seed(client.app, n)
            out = {
                "overview": timed(client, "/", runs),
                "fleet_first_page": timed(client, "/fleet", runs),
                "fleet_one_town": timed(client, "/fleet?town=qingshui-zhen", runs),
                "peer_api_units": timed(client, "/api/units", runs),
            }
    print(f"N={n:>6}: " + ", ".join(f"{k} {v['median_ms']} ms" for k, v in out.items()), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="76,1000,10000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database", default=None, help="an empty database URL (default: SQLite)")
    args = parser.parse_args()
    figures = {
        str(n): measure(n, args.runs, args.database) for n in map(int, args.sizes.split(","))
    }
    write_results(
        "fleet_pages", figures, {"runs": args.runs, "database": args.database or "sqlite"}
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
