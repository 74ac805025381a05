"""The county day's plan and streams: drawn from the seed alone, shaped like a service window's
day, every visit a valid run of the real state machine, and a restarted unit resuming after the
last event its log committed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from edge.eventlog import SqliteEventLog
from hub.catalog.villages import load_villages
from simulators.county.chaos import plan_faults
from simulators.county.clock import DAY_S, DayClock, speed_for
from simulators.county.plan import COUNTY_RESIDENTS, plan_day, residents
from simulators.county.source import day_stream, play, village_matters

OPENS = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in the county


def _villages():
    return list(load_villages().villages)


def test_the_county_residents_are_spread_over_every_village_of_the_registry():
    people = residents(_villages())
    assert len(people) == 76
    assert abs(sum(people.values()) - COUNTY_RESIDENTS) < 100
    assert min(people.values()) > 0


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    villages = _villages()
    first, again = plan_day(7, villages, villages), plan_day(7, villages, villages)
    assert first == again
    assert plan_day(8, villages, villages) != first
    a = day_stream(villages[0].unit_id, first.villages[0].arrivals, seed=7, opens=OPENS,
                   matters=village_matters(), bad_share=0.01)  # fmt: skip
    b = day_stream(villages[0].unit_id, first.villages[0].arrivals, seed=7, opens=OPENS,
                   matters=village_matters(), bad_share=0.01)  # fmt: skip
    assert a.events == b.events  # case ids included: a restarted unit regenerates its cases


def test_a_county_day_has_its_volume_and_a_morning_peak_over_the_lunch_hour():
    villages = _villages()
    plan = plan_day(3, villages, villages, load=10)
    times = [t for v in plan.villages for t in v.arrivals]
    assert 2160 * 0.9 < len(times) < 2160 * 1.1  # ten times the county's ~216 cases a day
    assert all(0 <= t < DAY_S for t in times)
    morning = sum(5400 <= t < 9000 for t in times)  # 10:00-11:00
    lunch = sum(12600 <= t < 16200 for t in times)  # 12:00-13:00
    assert morning > 3 * lunch


def test_every_visit_runs_the_real_state_machine_to_its_close():
    villages = _villages()
    plan = plan_day(5, villages, villages, load=20)
    v = max(plan.villages, key=lambda p: len(p.arrivals))
    stream = day_stream(v.unit_id, v.arrivals, seed=5, opens=OPENS, matters=village_matters(),
                        bad_share=0.05)  # fmt: skip
    states = [body.state for _, body in stream.events]
    assert states.count("opened") == len(v.arrivals) == states.count("closed")
    assert [t for t, _ in stream.events] == sorted(t for t, _ in stream.events)
    assert states.count("supplied") == len(stream.supplied)
    assert any(x.owed for x in stream.visits)  # 容缺 among them
    # one window: a visit starts after the previous one ended
    opened = [t for t, body in stream.events if body.state == "opened"]
    closed = [t for t, body in stream.events if body.state == "closed"]
    assert all(c < o for c, o in zip(closed, opened[1:], strict=False))


def test_chaos_brings_one_fault_of_each_kind_at_seeded_times():
    faults = plan_faults(9, ["units-1", "units-2"], ["a-cun", "b-cun"])
    assert sorted(f.kind for f in faults) == ["broker", "hub", "link", "units"]
    assert faults == plan_faults(9, ["units-1", "units-2"], ["a-cun", "b-cun"])
    assert all(3600 <= f.at <= DAY_S - 5400 for f in faults)
    assert [f.at for f in faults] == sorted(f.at for f in faults)


def test_a_restarted_unit_commits_the_rest_of_its_stream_and_nothing_twice(tmp_path: Path):
    villages = _villages()
    plan = plan_day(2, villages, villages, load=5)
    v = plan.villages[0]
    stream = day_stream(v.unit_id, v.arrivals, seed=2, opens=OPENS, matters=village_matters(),
                        bad_share=0.0)  # fmt: skip
    clock = DayClock(time.time() - 2 * DAY_S, speed_for(1))  # the whole day is past: no waits

    async def run(events: tuple) -> list[str]:
        log = SqliteEventLog(tmp_path / "outbox.sqlite3", v.unit_id, durable=False)
        await play(dataclasses.replace(stream, events=events), log, clock, asyncio.Event())
        ids = [json.loads(e.payload)["body"]["case_id"] for e in log.after(0, 10_000)]
        await log.close()
        return ids

    half = len(stream.events) // 2
    assert len(asyncio.run(run(stream.events[:half]))) == half  # the unit dies here
    committed = asyncio.run(run(stream.events))  # and comes back with its log
    assert len(committed) == len(stream.events)
    assert committed == [str(b.case_id) for _, b in stream.events]
