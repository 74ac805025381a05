"""The county day's logic without services: how a visit uses the face verdicts it is given
(a first face visit: chip photo compared, then enrolled; a returning resident: 1:1 against
that template; a failed check: the card), how a unit's day is rebuilt when it applies a new
catalog, the noon change's rule, and the follow-up counts. The verdicts here come from a
stand-in judge; tests/simulators/test_county_faces.py runs the real pipeline."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from edge.eventlog import SqliteEventLog
from hub.catalog.villages import load_villages
from simulators.county.catalog_change import compressed
from simulators.county.clock import DAY_S, DayClock, speed_for
from simulators.county.faces import Shot, Verdict
from simulators.county.measure import face_mix, followup_counts
from simulators.county.plan import plan_day
from simulators.county.source import Switch, day_stream, play, village_matters

OPENS = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in the county


class Judge:
    """Matches a face with a template of the same person, as a pipeline would; records what
    it was asked. ``refuse``: every 1:1 check fails (over the threshold)."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.templates: dict[str, str] = {}  # ref -> identity
        self.calls: list[tuple[str, str, str]] = []

    def chip(self, unit: str, key: str, live: Shot) -> Verdict:
        self.calls.append(("chip", key, live.identity))
        return Verdict("chip", True, 0.31, 0.55)

    def enrol(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        self.calls.append(("enrol", key, live.identity))
        self.templates[ref] = live.identity
        return Verdict("enrol", True)

    def verify(self, unit: str, key: str, ref: str, live: Shot) -> Verdict:
        self.calls.append(("verify", key, live.identity))
        same = self.templates.get(ref) == live.identity and not self.refuse
        return Verdict("verify", same, 0.28 if same else 0.83, 0.51)


def _busy_village():
    villages = list(load_villages().villages)
    plan = plan_day(5, villages, villages, load=20)
    return max(plan.villages, key=lambda p: len(p.arrivals))


def _stream(v, judge=None, switches=(), bad_share=0.05):
    return day_stream(v.unit_id, v.arrivals, seed=5, opens=OPENS, matters=village_matters(),
                      bad_share=bad_share, faces=judge, switches=switches)  # fmt: skip


def _identified(stream):
    return {str(b.case_id): b for _, b in stream.events if b.state == "identified"}


def test_a_first_face_visit_compares_the_chip_photo_and_enrols_and_a_returning_one_is_verified():
    v = _busy_village()
    judge = Judge()
    stream = _stream(v, judge)
    faced = [x for x in stream.visits if x.face is not None and x.face.checks]
    first = [x for x in faced if not x.face.returning]
    back = [x for x in faced if x.face.returning]
    assert first
    assert back
    identified = _identified(stream)
    for x in first:
        kinds = [c.kind for c in x.face.checks]
        assert kinds == ["chip", "enrol"]  # the stand-in's chip comparisons all match
        data = identified[str(x.case_id)].data
        assert data["method"] == "id_card"
        assert data["chip_photo"] == "match"
        assert data["reference"] == "id_card_photo"
    for x in back:
        if x.face.wrong_template:
            continue
        data = identified[str(x.case_id)].data
        assert data["method"] == "face"
        assert data["reference"] == "template"
        assert data["distance"] == 0.28  # the judge's verdict, not a drawn number
    # every 1:1 check asked about a template enrolled earlier that day at this window
    enrolled_keys = [k for kind, k, _ in judge.calls if kind == "enrol"]
    verify_keys = [k for kind, k, _ in judge.calls if kind == "verify"]
    assert len(enrolled_keys) == len(first)
    assert len(verify_keys) == len(back)
    assert face_mix([stream])["verified_by_face"] == sum(x.face.checks[0].match for x in back)


def test_a_face_check_that_fails_sends_the_clerk_to_the_id_card():
    v = _busy_village()
    stream = _stream(v, Judge(refuse=True))
    back = [x for x in stream.visits if x.face is not None and x.face.returning]
    assert back
    identified = _identified(stream)
    for x in back:
        assert x.face_failed
        data = identified[str(x.case_id)].data
        assert data["method"] == "id_card"
        assert "reference" not in data  # the card, not compared: no face check on the event
    mix = face_mix([stream])
    assert mix["failed_then_card"] == len(back)
    assert mix["verified_by_face"] == 0


def test_the_same_verdicts_give_the_same_day():
    v = _busy_village()
    assert _stream(v, Judge()).events == _stream(v, Judge()).events


def test_visits_after_a_catalog_switch_use_the_changed_matter_and_those_before_do_not():
    v = _busy_village()
    before = _stream(v)
    matters = {m.code: m for m in village_matters()}
    changed = {c: m.model_copy(update={"promised_days": m.promised_days - 1})
               for c, m in matters.items() if not m.instant and m.promised_days >= 2}  # fmt: skip
    at = DAY_S / 2
    seq = sum(t < at for t, _ in before.events)
    after = _stream(v, switches=[Switch(at, seq, 2, changed)])
    # what a unit had committed before the switch is the same in the rebuilt day
    assert after.events[:seq] == before.events[:seq]
    selected = [(t, b) for t, b in after.events if b.state == "matter_selected"]
    late = [(t, b) for t, b in selected if b.matter_code in changed and t >= at + 60]
    early = [(t, b) for t, b in selected if b.matter_code in changed and t < at]
    assert late
    assert early
    for _, b in late:
        assert b.data["promised_days"] == changed[b.matter_code].promised_days
    for _, b in early:
        assert b.data["promised_days"] == matters[b.matter_code].promised_days
    sw = Switch(at, seq, 2, changed)
    assert Switch.from_row(json.loads(json.dumps(sw.row()))) == sw  # as the unit records it


def test_play_switches_to_the_rebuilt_day_and_commits_nothing_twice(tmp_path: Path):
    v = _busy_village()
    old = _stream(v, bad_share=0.0)
    changed = {m.code: m.model_copy(update={"promised_days": 1})
               for m in village_matters() if not m.instant and m.promised_days >= 2}  # fmt: skip
    clock = DayClock(time.time() - 2 * DAY_S, speed_for(1))  # the whole day is past: no waits
    switch_at = len(old.events) // 3
    asked: list[int] = []

    def rebuild(at: float, seq: int):
        asked.append(seq)
        if seq != switch_at or len(asked) > seq + 1:  # the unit applies the catalog once
            return None
        return _stream(v, switches=[Switch(at, seq, 2, changed)], bad_share=0.0)

    async def run() -> list[dict]:
        log = SqliteEventLog(tmp_path / "outbox.sqlite3", v.unit_id, durable=False)
        stop, done = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(play(old, log, clock, stop, rebuild, done))
        await asyncio.wait_for(done.wait(), 60)  # the day played out; the unit still watches
        stop.set()
        await task
        out = [json.loads(e.payload)["body"] for e in log.after(0, 100_000)]
        await log.close()
        return out

    committed = asyncio.run(run())
    new = _stream(v, switches=[Switch(old.events[switch_at][0], switch_at, 2, changed)],
                  bad_share=0.0)  # fmt: skip
    assert len(committed) == len(new.events)
    assert [b["case_id"] for b in committed] == [str(b.case_id) for _, b in new.events]
    assert [b["state"] for b in committed[:switch_at]] == [
        b.state for _, b in old.events[:switch_at]
    ]
    assert asked.count(switch_at) == 2  # asked once more after the switch, which said no


def test_the_noon_change_shortens_promised_limits_of_village_matters_only():
    base = {"code": "X", "delegated": True, "instant": False, "promised_days": 4}
    assert compressed(base) == {**base, "promised_days": 3}
    assert compressed({**base, "promised_days": 1}) is None
    assert compressed({**base, "instant": True, "promised_days": 0}) is None
    assert compressed({**base, "delegated": False}) is None


def test_follow_ups_are_counted_from_the_hubs_list_with_the_evening_rule():
    clock = DayClock(1_000_000.0, 100.0)

    def at(sim: float) -> str:
        return datetime.fromtimestamp(clock.wall(sim), UTC).isoformat()

    page = {"followups": [
        {"status": "closed", "opened_at": at(3600), "closed_at": at(4 * 3600)},
        {"status": "revisited", "opened_at": at(8 * 3600), "closed_at": None},
        {"status": "closed", "opened_at": at(5 * 3600), "closed_at": at(DAY_S + 1800)},
    ]}  # fmt: skip
    counts = followup_counts(page, clock, 7.5 * 3600)
    assert (counts["opened"], counts["closed"], counts["open"]) == (3, 2, 1)
    assert (counts["opened_before"], counts["of_those_closed"]) == (2, 2)
    assert counts["closed_at"] == ["12:30", "18:00"]
