"""One unit or one rollout failing never stalls the others (issue 10), on SQLite and
PostgreSQL, driving the database steps directly: a version a unit claims but was never issued
is an anomaly, not the base of the next version; a unit the hub cannot issue fails alone; a
rollout whose step keeps failing is paused with the error while the others advance; and a
database that is unavailable pauses nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, OperationalError
from sqlmodel import Session

from hub import audit
from hub.rollouts import issue, store, tick
from hub.rollouts.issue import advance as advance_for_real
from hub.rollouts.store import RU, UC
from protocol.bounds import INT64_MAX
from protocol.signing import sign_document
from tests.support.rollouts import (
    OPERATOR,
    QINGSHUI,
    apply_all,
    create,
    drive,
    heartbeat,
    report,
    status,
)

BAD, *GOOD = QINGSHUI[:4]


def unit_states(engine, rollout_id):
    with engine.connect() as conn:
        rows = conn.execute(
            select(RU.c.unit, RU.c.state, RU.c.version, RU.c.reason).where(
                RU.c.rollout_id == rollout_id
            )
        )
        return {r.unit: (r.state, r.version, r.reason) for r in rows}


def configs(engine):
    with Session(engine) as s:
        return {c.unit: c for c in store.unit_configs(s)}


def audited(engine, action):
    with Session(engine) as s:
        return audit.recent(s, action=action)


def test_a_heartbeat_claiming_2_63_minus_1_never_stalls_a_rollout_or_its_rollback(engine):
    """GIVEN a unit whose heartbeat claims config version 2^63-1
    WHEN rollouts include it THEN every unit gets the next version the hub would give it
    anyway, the rollout completes, a second one completes, its rollback works, and the
    claim is recorded as an anomaly."""
    first = create(engine, target={"units": [BAD, *GOOD]})
    apply_all(engine, drive(engine))
    drive(engine)
    assert status(engine, first.id).state == "completed"
    heartbeat(engine, BAD, INT64_MAX)
    second = create(engine, target={"units": [BAD, *GOOD]}, thresholds={"rating_timeout_s": 30})
    docs = drive(engine)
    assert {unit: doc["version"] for unit, doc in docs.items()} == {u: 2 for u in [BAD, *GOOD]}
    apply_all(engine, docs)
    drive(engine)
    assert status(engine, second.id).state == "completed"
    with Session(engine) as s:
        back = store.rollback_rollout(s, rollout_id=second.id, actor=OPERATOR)
    assert {doc["version"] for doc in drive(engine).values()} == {3}
    assert status(engine, back.id).counts["delivered"] == 4
    bad = configs(engine)[BAD]
    assert (bad.anomaly, bad.anomaly_version, bad.anomaly_source) == (True, INT64_MAX, "heartbeat")
    (entry,) = audited(engine, "config.anomaly")
    assert entry.detail == {"claimed": INT64_MAX, "issued": 1, "source": "heartbeat"}


def test_an_applied_report_above_anything_issued_is_an_anomaly_not_the_applied_version(engine):
    create(engine, target={"units": [BAD]})
    drive(engine)
    report(engine, BAD, INT64_MAX)
    bad = configs(engine)[BAD]
    assert (bad.applied_version, bad.report_version) == (0, INT64_MAX)
    assert (bad.anomaly_version, bad.anomaly_source) == (INT64_MAX, "report")
    report(engine, BAD, 1)
    assert configs(engine)[BAD].applied_version == 1


def test_the_same_anomaly_is_audited_once_however_often_it_is_claimed(engine):
    heartbeat(engine, BAD, 99)
    for _ in range(3):
        drive(engine)
    assert len(audited(engine, "config.anomaly")) == 1
    assert configs(engine)[BAD].anomaly


def test_a_unit_whose_next_version_would_overflow_fails_alone(engine):
    r = create(engine, target={"units": [BAD, *GOOD]}, failure_threshold=0.5)
    with engine.begin() as conn:
        conn.execute(UC.insert().values(unit=BAD, desired_version=INT64_MAX))
    docs = drive(engine)
    assert sorted(docs) == sorted(GOOD)
    state, version, reason = unit_states(engine, r.id)[BAD]
    assert (state, version) == ("rejected", None)
    assert reason.startswith("hub_error: VersionOverflow: ")
    (entry,) = audited(engine, "rollout.unit_error")
    assert entry.detail["units"] == 1
    assert BAD in entry.detail["reasons"]


def test_a_unit_whose_signing_fails_fails_alone_and_the_others_get_their_config(
    engine, monkeypatch
):
    real = sign_document

    def sign(document, key):
        if document["unit"] == BAD:
            raise RuntimeError("the signing key is gone")
        return real(document, key)

    monkeypatch.setattr("hub.rollouts.issue.sign_document", sign)
    r = create(engine, target={"units": [BAD, *GOOD]}, failure_threshold=0.5)
    assert sorted(drive(engine)) == sorted(GOOD)
    assert unit_states(engine, r.id)[BAD][2] == "hub_error: RuntimeError: the signing key is gone"


def test_a_row_the_database_refuses_fails_only_its_unit(engine, monkeypatch):
    """GIVEN one unit's rows the database refuses (a DataError while writing the chunk)
    THEN the chunk is written unit by unit in savepoints and only that unit fails."""
    real = issue._write

    def write(conn, rollout_id, now, items):
        if any(item.unit == BAD for item in items):
            raise DataError("INSERT", {}, Exception("value out of range"))
        real(conn, rollout_id, now, items)

    monkeypatch.setattr(issue, "_write", write)
    r = create(engine, target={"units": [BAD, *GOOD]}, failure_threshold=0.5)
    assert sorted(drive(engine)) == sorted(GOOD)
    states = unit_states(engine, r.id)
    assert {u: s for u, (s, _, _) in states.items()} == {
        BAD: "rejected",
        **{u: "delivered" for u in GOOD},
    }
    assert states[BAD][2] == "hub_error: Exception: value out of range"


def test_one_rollout_that_keeps_failing_is_paused_with_its_error_and_the_others_advance(
    engine, monkeypatch
):
    broken = create(engine, target={"units": [BAD]})
    fine = create(engine, target={"units": GOOD})
    real = advance_for_real

    def advance(conn, key, *, rollout_id, now):
        if rollout_id == broken.id:
            raise KeyError("body")  # a bug, or a row that makes no sense
        return real(conn, key, rollout_id=rollout_id, now=now)

    monkeypatch.setattr("hub.rollouts.tick.advance", advance)
    assert sorted(drive(engine)) == sorted(GOOD)
    paused = status(engine, broken.id)
    assert (paused.state, paused.paused_reason) == ("paused", "driver error: KeyError: 'body'")
    (entry,) = audited(engine, "rollout.auto_pause")
    assert (entry.target, entry.detail) == (
        f"rollout/{broken.id}",
        {"error": "driver error: KeyError: 'body'"},
    )
    assert status(engine, fine.id).state == "running"


def test_a_failure_that_the_retry_does_not_see_pauses_nothing(engine, monkeypatch):
    """A second hub process that issued the same units first makes one step fail; the retry
    finds the work done."""
    r = create(engine, target={"units": GOOD})
    real = advance_for_real
    failures = iter([True])

    def advance(conn, key, *, rollout_id, now):
        if next(failures, False):
            raise DataError("INSERT", {}, Exception("duplicate key value"))
        return real(conn, key, rollout_id=rollout_id, now=now)

    monkeypatch.setattr("hub.rollouts.tick.advance", advance)
    assert sorted(drive(engine)) == sorted(GOOD)
    assert status(engine, r.id).state == "running"


def test_an_unavailable_database_ends_the_pass_and_pauses_nothing(engine, monkeypatch):
    r = create(engine, target={"units": GOOD})

    def advance(conn, key, *, rollout_id, now):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr("hub.rollouts.tick.advance", advance)
    with pytest.raises(OperationalError):
        drive(engine)
    assert status(engine, r.id).state == "running"
    assert audited(engine, "rollout.auto_pause") == []


def test_a_bad_row_in_a_sweep_does_not_stop_the_rollouts(engine, monkeypatch):
    def broken(conn, *, now):
        raise ValueError("a heartbeat row that makes no sense")

    monkeypatch.setattr(tick, "reconcile_heartbeats", broken)
    create(engine, target={"units": GOOD})
    assert sorted(drive(engine)) == sorted(GOOD)


def test_a_stored_config_that_cannot_be_published_again_does_not_stop_the_others(engine):
    create(engine, target={"units": GOOD})
    drive(engine)
    with engine.begin() as conn:
        versions = store.VERSIONS
        conn.execute(update(versions).where(versions.c.unit == GOOD[0]).values(envelope=None))
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert sorted(drive(engine, now=later)) == sorted(GOOD[1:])
