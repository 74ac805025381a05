"""What the report measures, each from where it is true: deliveries and latency from the hub's
event table (received_at against the unit's ts), outbox depths from the units' own samples,
rollouts and indicators from the hub's API, 容缺 outcomes from the hub's case record after its
own timers ran on the supply dates."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from simulators.county.backoffice import EVENING_S
from simulators.county.catalog_change import CatalogChange, CatalogEditor
from simulators.county.clock import DAY_S, DayClock, label
from simulators.county.faces import Verdict
from simulators.county.plan import DayPlan
from simulators.county.source import DayStream, Switch

OUTBOX_POINTS = 180  # points of the outbox series in the report


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}  # fmt: skip


def plan_mix(plan: DayPlan, streams: list[DayStream]) -> dict[str, Any]:
    """The day's mix as the units played it (the same seed, the same mix)."""
    visits = [v for s in streams for v in s.visits]
    ratings = Counter(str(v.rating) if v.rating is not None else "unrated" for v in visits)
    return {
        "residents": sum(v.residents for v in plan.villages),
        "visits": len(visits),
        "events": sum(len(s.events) for s in streams),
        "face": face_mix(streams),
        "face_failed_then_card": sum(v.face_failed for v in visits),
        "card_read_failed_typed": sum(v.card_failed for v in visits),
        "deferred": sum(bool(v.owed) for v in visits),
        "supplied_same_day": sum(len(s.supplied) for s in streams),
        "forwarded": sum(v.forwarded for v in visits),
        "ratings": dict(sorted(ratings.items())),
        "offline_episodes": [
            {"unit": v.unit_id, "from": label(e.start), "minutes": round(e.length / 60)}
            for v in plan.villages for e in v.offline
        ],
    }  # fmt: skip


def face_mix(streams: list[DayStream]) -> dict[str, Any]:
    """The day's face checks as the units' pipelines judged them (their journals): first
    visits (the card's chip photo against the live face, then enrolment), returning residents
    (1:1 against their template), and what failed and why."""
    visits = [v for s in streams for v in s.visits]
    faced = [v.face for v in visits if v.face is not None]
    first = [f for f in faced if not f.returning]
    back = [f for f in faced if f.returning]
    checks = [c for f in faced for c in f.checks]
    chips = [c for c in checks if c.kind == "chip"]
    enrols = [c for c in checks if c.kind == "enrol"]
    verifies = [f.checks[0] for f in back]

    def why(vs: list[Verdict]) -> dict[str, int]:
        out = Counter(("match" if v.match else v.problem or "over_threshold") for v in vs)
        return dict(sorted(out.items()))

    def dist(vs: list[Verdict]) -> dict[str, float] | None:
        d = sorted(v.distance for v in vs if v.distance is not None)
        if not d:
            return None
        return {"min": d[0], "median": d[len(d) // 2], "max": d[-1], "n": len(d)}

    own = [f.checks[0] for f in back if not f.wrong_template]
    wrong = [f.checks[0] for f in back if f.wrong_template]
    return {
        "consented": sum(v.face_consent for v in visits),
        "checks": len(checks),
        "first_visits": len(first),
        "first_visits_card_typed": sum(1 for f in first if not f.checks),
        "chip_compare": why(chips),
        "enrolled": sum(f.enrolled for f in first),
        "enrol": why(enrols),
        "returning": len(back),
        "verify": why(verifies),
        "verified_by_face": sum(v.match for v in verifies),
        "failed_then_card": sum(not v.match for v in verifies),
        "wrong_template": {"checks": len(wrong), "accepted": sum(v.match for v in wrong)},
        "degraded": {"checks": sum(f.degraded is not None for f in faced),
                     "passed": sum(f.checks[0].match for f in faced
                                   if f.degraded is not None and f.checks)},
        "distance": {"own_template": dist(own), "wrong_template": dist(wrong),
                     "chip": dist(chips)},
    }  # fmt: skip


def face_cost(stats: list[dict[str, float]]) -> dict[str, Any]:
    """What the checks cost the worker processes: the pipeline runs, milliseconds each (wall
    and CPU), the models' load time and the resident memory they add to a process."""
    runs = sum(int(s.get("checks", 0)) for s in stats)
    wall = sum(s.get("wall_ms", 0.0) for s in stats)
    cpu = sum(s.get("cpu_ms", 0.0) for s in stats)
    added = [s["rss_loaded_mb"] - s["rss_before_mb"] for s in stats if s.get("rss_loaded_mb")]
    return {
        "workers": len(stats), "pipeline_runs": runs,
        "wall_ms_per_run": round(wall / runs, 1) if runs else None,
        "cpu_ms_per_run": round(cpu / runs, 1) if runs else None,
        "cpu_s_total": round(cpu / 1000, 1),
        "load_s": [s.get("load_s") for s in stats],
        "rss_added_by_models_mb": [round(a, 1) for a in added],
        "rss_after_checks_mb": [s.get("rss_after_mb") for s in stats],
    }  # fmt: skip


def _events() -> Any:
    from hub.fleet.events import EVENTS

    return EVENTS


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def cases_per_hour(engine: Engine, units: list[str], clock: DayClock) -> list[dict[str, Any]]:
    """Cases opened per simulated hour, as the hub stored them (the unit's commit time on the
    accelerated clock)."""
    ev = _events()
    with engine.connect() as conn:
        rows = conn.execute(
            select(ev.c.ts).where(ev.c.unit.in_(units), ev.c.state == "opened")
        ).all()
    hours: Counter[int] = Counter()
    for (ts,) in rows:
        sim = clock.sim(_utc(ts).timestamp())
        hours[min(int(8.5 + sim / 3600), 17)] += 1
    return [{"hour": f"{h:02d}:00", "cases": hours.get(h, 0)} for h in range(8, 18)]


Disturbed = Callable[[str, float], bool]  # (unit, wall time of its commit): link down or fault


def latency(engine: Engine, units: list[str], disturbed: Disturbed) -> dict[str, Any]:
    """Unit commit (its ts) to hub commit (received_at), in wall milliseconds: over every event,
    and over those committed while their unit's link was up and no fault was being recovered
    from (``undisturbed``): an offline episode's events wait for the link by design."""
    ev = _events()
    with engine.connect() as conn:
        rows = conn.execute(
            select(ev.c.unit, ev.c.ts, ev.c.received_at).where(ev.c.unit.in_(units))
        ).all()
    pairs = [(u, _utc(t).timestamp(), _utc(r).timestamp()) for u, t, r in rows]
    quiet = [(r - t) * 1000 for u, t, r in pairs if not disturbed(u, t)]
    out = _spread(sorted((r - t) * 1000 for _, t, r in pairs))
    out["undisturbed"] = _spread(sorted(quiet))
    return out


def _spread(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"events": 0}

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 1)

    edges = [50, 100, 250, 500, 1000, 5000, 30000]
    buckets = Counter(next((f"≤{e} ms" for e in edges if x <= e), f">{edges[-1]} ms") for x in ms)
    return {"events": len(ms), "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
            "max_ms": round(ms[-1], 1),
            "histogram": {k: buckets.get(k, 0) for k in
                          [*(f"≤{e} ms" for e in edges), f">{edges[-1]} ms"]}}  # fmt: skip


def outbox_series(root: Path, workers: int, clock: DayClock) -> list[dict[str, Any]]:
    """The units' outbox depth over the day: the sum and the deepest unit, from the workers'
    samples, bucketed to OUTBOX_POINTS points of simulated time."""
    step = DAY_S * 1.15 / OUTBOX_POINTS
    samples: list[tuple[float, dict[str, int]]] = []
    for i in range(workers):
        path = root / f"units-{i + 1}" / "samples.jsonl"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            try:
                sample = json.loads(line)
            except ValueError:  # a line cut short by a kill -9
                continue
            samples.append((sample["t"], sample["depth"]))
    samples.sort(key=lambda s: s[0])
    # every unit's depth as last sampled (a worker killed for a while keeps its last figures)
    state: dict[str, int] = {}
    at_bucket: dict[int, tuple[int, int]] = {}
    for t, depth in samples:
        state.update(depth)
        b = int(clock.sim(t) // step)
        if 0 <= b < OUTBOX_POINTS:
            at_bucket[b] = (sum(state.values()), max(state.values(), default=0))
    return [{"t": label(b * step), "sim_s": round(b * step), "total": total, "max": deepest}
            for b, (total, deepest) in sorted(at_bucket.items())]  # fmt: skip


class RolloutWatch:
    """Follows the first configuration's rollout and, from ``at``, makes the noon catalog
    change through the hub's API (simulators.county.catalog_change) and follows its rollout."""

    def __init__(
        self, hub_url: str, tokens: tuple[str, str], clock: DayClock, units: list[str]
    ) -> None:  # fmt: skip
        self.hub_url = hub_url
        self.units = units
        self.tokens = tokens  # the author's and the approver's
        self.clock = clock
        self.started: dict[int, float] = {}  # rollout id -> simulated start
        self.states: dict[int, dict[str, Any]] = {}
        self.finished: dict[int, float] = {}  # rollout id -> wall seconds to finish
        self.errors = 0
        self.change: CatalogChange | None = None
        self._settled = asyncio.Event()

    async def run(self, at: float, stop: asyncio.Event) -> None:
        author, approver = (
            httpx.AsyncClient(base_url=self.hub_url, timeout=10,
                              headers={"Authorization": f"Bearer {t}"})
            for t in self.tokens
        )  # fmt: skip
        wall0 = {1: time.time()}
        self.started[1] = 0.0
        editor = CatalogEditor(author, approver)
        async with author, approver:
            while not stop.is_set():
                try:
                    if self.change is None and self.clock.now_sim() >= at:
                        began = self.clock.now_sim()
                        self.change = await editor.run(stop)
                        if self.change is not None and self.change.rollout is not None:
                            rid = self.change.rollout
                            self.started[rid] = began
                            wall0[rid] = time.time()
                    for rid in self.started:
                        if rid in self.finished:
                            continue
                        r = await author.get(f"/api/rollouts/{rid}")
                        r.raise_for_status()
                        state = r.json()
                        self.states[rid] = state
                        if state["state"] in ("completed", "failed", "rolled_back"):
                            self.finished[rid] = round(time.time() - wall0[rid], 2)
                    if self.settled():
                        self._settled.set()
                except (httpx.HTTPError, OSError, KeyError, ValueError):
                    self.errors += 1  # the hub is down (chaos): ask again
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5)

    def settled(self) -> bool:
        """Both rollouts started and ended (completed, failed or rolled back)."""
        return len(self.started) > 1 and all(r in self.finished for r in self.started)

    async def wait_settled(self, timeout: float) -> None:
        """Give the noon rollout up to ``timeout`` wall seconds more to end."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), timeout)

    def report(self) -> list[dict[str, Any]]:
        out = []
        for rid, at in self.started.items():
            s = self.states.get(rid, {})
            out.append({
                "id": rid, "note": s.get("note"), "started": label(at), "state": s.get("state"),
                "units": s.get("units"), "counts": s.get("counts"), "stages": s.get("stages"),
                "catalog_version": s.get("catalog_version"),
                "finished_after_s": self.finished.get(rid),
            })  # fmt: skip
        return out


def fast_forward_deficiencies(engine: Engine) -> dict[str, Any]:
    """容缺 cases whose materials did not come are lapsed by the hub's own timer once their
    supply date passes, days after this simulated day: run that timer (the hub's code, on the
    hub's database) as of the day after the last supply date, and count the outcomes."""
    from hub.cases.deficiency import sweep_deficiencies
    from hub.cases.project import RECORDS
    from simulators.cases import CALENDAR

    c = RECORDS.c
    with engine.connect() as conn:
        last = conn.execute(select(func.max(c.supply_by))).scalar()
    before = _by_deficiency(engine)
    if isinstance(last, str):
        last = date.fromisoformat(last)
    swept = None
    if last is not None:
        today = last + timedelta(days=1)
        result = sweep_deficiencies(
            engine, now=datetime.combine(today, datetime.min.time(), UTC), today=today,
            calendar=CALENDAR, grace_days=lambda _: 5,
        )  # fmt: skip
        swept = {"as_of": today.isoformat(), "lapsed": result.lapsed, "failed": result.failed}
    after = _by_deficiency(engine)
    return {"at_close": {str(k): v for k, v in before.items()}, "sweep": swept,
            "after_supply_dates": {str(k): v for k, v in after.items()}}  # fmt: skip


def _by_deficiency(engine: Engine) -> dict[Any, int]:
    from hub.cases.project import RECORDS

    c = RECORDS.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.deficiency, func.count()).group_by(c.deficiency)).all()
    return {k: int(n) for k, n in rows}


async def indicators(hub_url: str, token: str) -> dict[str, Any]:
    """The hub's /api/indicators for the county (default period), as it computes them."""
    async with httpx.AsyncClient(base_url=hub_url, timeout=30) as h:
        r = await h.get("/api/indicators", headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        data: dict[str, Any] = r.json()
    return {k: data[k] for k in ("period", "scope", "totals", "by_town", "declared") if k in data}


def catalog_cases(
    engine: Engine, change: CatalogChange | None, switches: dict[str, list[Switch]]
) -> dict[str, Any]:
    """The cases on the matters the noon change shortened, from the hub's records: the limit
    each carries (its promised_due against the old and the new promised days on the
    working-day calendar), split by whether its unit had switched to the new catalog when it
    opened the case (the opened event's seq, in the hub's event table, after the switch)."""
    from hub.cases.project import RECORDS
    from simulators.cases import CALENDAR

    if change is None or not change.changed:
        return {}
    c, ev = RECORDS.c, _events().c
    with engine.connect() as conn:
        rows = conn.execute(
            select(ev.unit, ev.seq, c.matter_code, c.accepted_on, c.supply_by, c.promised_due)
            .join(RECORDS, c.case_id == ev.case_id)
            .where(ev.state == "opened", c.matter_code.in_(sorted(change.changed)))
        ).all()
    counts: Counter[tuple[str, str]] = Counter()
    for unit, seq, code, accepted, supply_by, due in rows:
        sw = next((s for s in switches.get(unit, ()) if s.version == change.version), None)
        when = "after_switch" if sw is not None and seq > sw.seq else "before_switch"
        if accepted is None or due is None:
            counts[(when, "not_accepted")] += 1
            continue
        start = _day(supply_by) or _day(accepted)
        before, after = change.changed[code]
        due = _day(due)
        limit = ("new" if due == CALENDAR.add_working_days(start, after) else
                 "old" if due == CALENDAR.add_working_days(start, before) else "other")  # fmt: skip
        counts[(when, limit)] += 1
    kinds = ("old", "new", "other", "not_accepted")
    return {w: {k: counts.get((w, k), 0) for k in kinds} for w in ("before_switch", "after_switch")}


def _day(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def unit_versions(
    configs: list[dict[str, Any]], switches: dict[str, list[Switch]], version: int | None
) -> dict[str, Any]:
    """Each unit's configuration version as the hub holds it (desired, reported applied), and
    when its window switched to the new catalog (simulated time, from the unit's data dir)."""
    rows = {}
    for cfg in configs:
        unit = cfg["unit"]
        sw = next((s for s in switches.get(unit, ()) if s.version == version), None)
        rows[unit] = {"desired": cfg.get("desired_version"), "applied": cfg.get("applied_version"),
                      "running": cfg.get("running_version"),
                      "catalog_switch": label(sw.at) if sw is not None else None}  # fmt: skip
    return {
        "units": len(rows),
        "applied_desired": sum(r["applied"] == r["desired"] for r in rows.values()),
        "switched_to_new_catalog": sum(r["catalog_switch"] is not None for r in rows.values()),
        "per_unit": rows,
    }


async def hub_get(hub_url: str, token: str, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(base_url=hub_url, timeout=30) as h:
        r = await h.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        r.raise_for_status()
        return r.json()


def followup_counts(page: dict[str, Any], clock: DayClock, before_s: float) -> dict[str, Any]:
    """Follow-ups of bad ratings from the hub's own list: opened, closed (办结), still open;
    and of those opened before ``before_s`` (simulated), how many were closed."""
    rows = page["followups"]
    closed = [f for f in rows if f["status"] == "closed"]
    early = [
        f
        for f in rows
        if clock.sim(_utc(datetime.fromisoformat(f["opened_at"])).timestamp()) < before_s
    ]
    return {
        "opened": len(rows), "closed": len(closed), "open": len(rows) - len(closed),
        "by_status": dict(sorted(Counter(f["status"] for f in rows).items())),
        "rule": f"{label(before_s)} 前开启的回访当晚 {label(EVENING_S)} 前办结",
        "opened_before": len(early),
        "of_those_closed": sum(f["status"] == "closed" for f in early),
        "closed_at": sorted(label(clock.sim(_utc(datetime.fromisoformat(f["closed_at"]))
                                            .timestamp())) for f in closed if f["closed_at"]),
    }  # fmt: skip


def identified_by(engine: Engine, units: list[str]) -> dict[str, int]:
    """How the hub's events say each case's applicant was identified (face, id_card, ...)."""
    ev = _events()
    with engine.connect() as conn:
        rows = conn.execute(
            select(ev.c.body).where(ev.c.unit.in_(units), ev.c.state == "identified")
        ).all()
    out: Counter[str] = Counter()
    for (body,) in rows:
        data = (json.loads(body) if isinstance(body, str) else body).get("data") or {}
        out[str(data.get("method"))] += 1
    return dict(sorted(out.items()))
