"""Indicators benchmark: how long `GET /api/indicators` takes to compute a county's figures
from case_record, for a year of N cases (N = 10,000 and 108,000: the source's two years of
ratings), on SQLite and, when it runs, PostgreSQL.

The rows are synthetic but shaped like real records (the seed registry's 76 villages, the
catalog's delegated matters, a mix of statuses, ratings, 容缺 states and back-office steps),
inserted directly rather than through ingest (which bench/ingest.py measures). The figure is
hub.indicators.query.build(): the read, the one pass of hub.indicators.measure and the report.

The peer, measured in the same run over the same rows: the case API's counts
(hub.cases.counts.case_counts, `GET /api/cases/counts`), which the database aggregates with
GROUP BY but which computes a subset (no breakdowns, no reductions, no per-day series).

Run: `.venv/bin/python bench/indicators.py [--sizes 10000,108000] [--postgres URL]`.
Prints figures as it goes; the last line is one JSON object; writes bench/results/indicators.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import write_results  # noqa: E402
from hub.accounts.area import COUNTY  # noqa: E402
from hub.calendar import current_calendar  # noqa: E402
from hub.cases.counts import case_counts  # noqa: E402
from hub.cases.project import RECORDS  # noqa: E402
from hub.cases.query import CaseFilter, conditions  # noqa: E402
from hub.catalog.loader import load_catalog  # noqa: E402
from hub.catalog.villages import load_villages  # noqa: E402
from hub.db import create_tables, make_engine  # noqa: E402
from hub.indicators.query import build  # noqa: E402
from hub.indicators.scope import resolve  # noqa: E402
from protocol.calendar import WorkCalendar  # noqa: E402

START, END = date(2025, 12, 1), date(2026, 11, 30)
TODAY = date(2026, 12, 1)
RUNS = 3


def rows(n: int, rng: random.Random) -> list[dict[str, Any]]:
    registry, catalog, cal = load_villages(None), load_catalog(), WorkCalendar.china()
    units, matters = registry.unit_ids(), catalog.delegated()
    days = (END - START).days + 1
    out = []
    for _ in range(n):
        m = rng.choice(matters)
        opened_day = START + timedelta(rng.randrange(days))
        opened = datetime(opened_day.year, opened_day.month, opened_day.day, 2, tzinfo=UTC)
        opened += timedelta(minutes=rng.randrange(480))
        outcome = rng.random()
        status, ended, deficiency, owed, forwarded = "completed", None, "none", [], None
        accepted: date | None = opened_day
        if outcome < 0.03:
            status, accepted = "not_accepted", None
        elif outcome < 0.04:
            status, accepted = "cancelled", None
        elif m.approval.value != "window":
            forwarded = m.approval.value
            if rng.random() < 0.08:
                deficiency = rng.choice(["owed", "lapsed", "supplied", "supplied", "withdrawn"])
                owed = ["病历及出院小结"]
            if rng.random() < 0.1 or deficiency in ("owed", "lapsed"):
                status = "received"
            elif deficiency == "withdrawn":
                status = "withdrawn"
        if status == "completed":
            took = 0 if forwarded is None else max(0, m.promised_days + rng.randint(-2, 2))
            ended = datetime.combine(cal.add_working_days(opened_day, took), opened.timetz())
        out.append({
            "case_id": uuid.uuid4(), "unit": rng.choice(units), "opened_at": opened,
            "updated_at": ended or opened, "matter_code": m.code, "approval": m.approval.value,
            "instant": m.instant, "window_state": "closed", "status": status,
            "accepted_on": accepted,
            "legal_due": cal.add_working_days(opened_day, m.legal_days) if accepted else None,
            "promised_due": cal.add_working_days(opened_day, m.promised_days) if accepted else None,
            "deficiency": deficiency, "given": [], "waived": [], "owed": owed, "missing": [],
            "forwarded_to": forwarded, "ended_at": ended,
            "rating": rng.choices([5, 4, 3, 2, 1, None], [85, 10, 2, 1, 1, 1])[0],
            "materials_received": max(1, m.materials_after + rng.randint(-1, 1)),
            "steps_taken": len(m.steps_after) + (rng.random() < 0.1), "times": {},
            "events": 12, "actions": 0 if forwarded is None else 2,
        })  # fmt: skip
    return out


def timed(fn: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(RUNS):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def measure(url: str, n: int, data: list[dict[str, Any]]) -> dict[str, Any]:
    engine = make_engine(url)
    create_tables(engine)
    registry, catalog = load_villages(None), load_catalog()
    with engine.begin() as conn:
        conn.execute(RECORDS.delete())
        for i in range(0, len(data), 5000):
            conn.execute(RECORDS.insert(), data[i : i + 5000])
    scope = resolve(COUNTY, registry, start=START, end=END)
    with engine.connect() as conn:
        ours, report = timed(
            lambda: build(conn, scope, catalog=catalog, registry=registry, area_label="县",
                          today=TODAY)
        )  # fmt: skip
        f = CaseFilter(opened_from=START, opened_to=END)
        where = conditions(f, current_calendar(conn), TODAY)
        peer, counts = timed(lambda: case_counts(conn, where, TODAY))
    engine.dispose()
    assert report.totals.cases == counts["cases"] == n
    return {
        "cases": n, "indicators_s": round(ours, 3), "counts_peer_s": round(peer, 3),
        "cases_per_s": round(n / ours), "good_rating_rate": report.totals.ratings.rate,
    }  # fmt: skip


def own_schema(url: str) -> str:
    """A schema of the benchmark's own in that database (dropped when the run ends), so no
    other user of it sees these tables."""
    import atexit

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    atexit.register(drop)
    return f"{url}?options=-csearch_path%3D{schema}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="10000,108000")
    p.add_argument("--postgres", default=None, help="a PostgreSQL URL to measure as well")
    args = p.parse_args()
    rng = random.Random(7)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        if args.postgres:
            targets["postgresql"] = own_schema(args.postgres)
        for size in (int(s) for s in args.sizes.split(",")):
            data = rows(size, rng)
            for name, url in targets.items():
                got = measure(url, size, data)
                print(f"{name} {size:,} cases: indicators {got['indicators_s']} s "
                      f"(peer counts {got['counts_peer_s']} s)", flush=True)  # fmt: skip
                figures[f"{name}_{size}"] = got
    summary = {k: v["indicators_s"] for k, v in figures.items()}
    write_results("indicators", figures, {"period": [str(START), str(END)], "best_of": RUNS})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
