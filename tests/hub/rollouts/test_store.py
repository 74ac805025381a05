"""Rollouts driven from the database, on SQLite and PostgreSQL, without a broker: the driver's
steps are called directly and reports are recorded as the ingest transaction records them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from hub import audit
from hub.db import create_tables, make_engine
from hub.errors import InvalidTransition, NothingToRollBack, UnitsBusy
from hub.rollouts import store
from protocol.config import open_signed_config
from tests.support.rollouts import (
    CATALOG,
    KEY,
    OPERATOR,
    QINGSHUI,
    apply_all,
    create,
    drive,
    heartbeat,
    report,
    status,
)


@pytest.fixture
def engine(database_url):
    e = make_engine(database_url)
    create_tables(e)
    yield e
    e.dispose()


def test_a_staged_rollout_issues_signed_configs_stage_by_stage_and_completes(engine):
    r = create(engine, canary_count=2)
    assert (r.state, r.stages, r.counts["pending"]) == ("running", 2, 12)
    canaries = drive(engine)
    assert len(canaries) == 2
    for unit, doc in canaries.items():
        envelope, body = open_signed_config(doc, key=KEY.public_key(), unit=unit)
        assert envelope.version == 1
        assert body.catalog.version == CATALOG.version
    assert drive(engine) == {}  # nothing more until the canaries answer
    apply_all(engine, canaries)
    rest = drive(engine)
    assert sorted(rest) == sorted(set(QINGSHUI) - set(canaries))
    assert status(engine, r.id).stage == 1
    apply_all(engine, rest)
    drive(engine)
    done = status(engine, r.id)
    assert done.state == "completed"
    assert done.counts["applied"] == 12


def test_a_failing_canary_pauses_the_rollout_before_the_rest_get_anything(engine):
    r = create(engine, canary_count=2, failure_threshold=0.1)
    canaries = drive(engine)
    first, second = sorted(canaries)
    report(engine, first, 1)
    report(engine, second, 1, "rejected", "artifact_hash_mismatch: SHA-256 is …")
    assert drive(engine) == {}
    paused = status(engine, r.id)
    assert paused.state == "paused"
    assert "1 of 2 units failed" in (paused.paused_reason or "")
    assert paused.counts["pending"] == 10
    with Session(engine) as s:
        (entry,) = audit.recent(s, action="rollout.auto_pause")
    assert entry.target == f"rollout/{r.id}"
    assert (entry.actor, entry.role) == ("hub", "system")  # the hub's own action


def test_resume_goes_on_past_the_failures_the_operator_accepted(engine):
    r = create(engine, canary_count=2, failure_threshold=0.0)
    canaries = drive(engine)
    for unit in canaries:
        report(engine, unit, 1, "rejected", "stale_version: …")
    drive(engine)
    assert status(engine, r.id).state == "paused"
    with Session(engine) as s:
        store.resume_rollout(s, rollout_id=r.id, actor=OPERATOR)
    assert len(drive(engine)) == 10


def test_a_unit_that_never_reports_times_out_and_counts_as_failed(engine):
    r = create(engine, canary_count=1, timeout_s=30)
    (unit,) = drive(engine)
    drive(engine, now=datetime.now(UTC) + timedelta(seconds=31))
    s = status(engine, r.id)
    assert s.counts["timed_out"] == 1
    assert s.state == "paused"
    report(engine, unit, 1)  # a late report still counts
    assert status(engine, r.id).counts["applied"] == 1


def test_a_heartbeat_running_the_version_counts_as_applied_when_the_report_was_lost(engine):
    r = create(engine, canary_count=1)
    (unit,) = drive(engine)
    heartbeat(engine, unit, 1)
    drive(engine, full=True)
    assert status(engine, r.id).counts["applied"] == 1


def test_versions_grow_per_unit_across_rollouts(engine):
    r1 = create(engine)
    apply_all(engine, drive(engine))
    drive(engine)
    assert status(engine, r1.id).state == "completed"
    create(engine)
    docs = drive(engine)
    assert {d["version"] for d in docs.values()} == {2}


def test_units_already_in_an_active_rollout_cannot_be_targeted_again(engine):
    create(engine)
    with pytest.raises(UnitsBusy, match="3 target units are in an active rollout"):
        create(engine, target={"units": [*QINGSHUI[:3], "donghu-shequ"]})


def test_rollback_issues_newer_versions_with_the_previous_content(engine):
    r1 = create(engine)
    first = drive(engine)
    apply_all(engine, first)
    drive(engine)
    r2 = create(engine, thresholds={"deferred_material_days": 12})
    second = drive(engine)
    apply_all(engine, second)
    with Session(engine) as s:
        back = store.rollback_rollout(s, rollout_id=r2.id, actor=OPERATOR)
    assert back.kind == "rollback"
    assert back.parent_id == r2.id
    assert status(engine, r2.id).state == "rolled_back"
    third = drive(engine)
    unit = QINGSHUI[0]
    assert third[unit]["version"] == 3
    assert third[unit]["body"] == first[unit]["body"]
    assert second[unit]["body"]["thresholds"]["deferred_material_days"] == 12
    with Session(engine) as s:
        actions = [e.action for e in audit.recent(s)]
    assert "rollout.rollback" in actions
    assert r1.id != r2.id


def test_rolling_back_a_first_configuration_is_refused(engine):
    r = create(engine)
    drive(engine)
    with Session(engine) as s, pytest.raises(NothingToRollBack):
        store.rollback_rollout(s, rollout_id=r.id, actor=OPERATOR)


def test_pause_and_resume_only_from_the_states_that_allow_them(engine):
    r = create(engine)
    with Session(engine) as s:
        with pytest.raises(InvalidTransition, match="resume needs it paused"):
            store.resume_rollout(s, rollout_id=r.id, actor=OPERATOR)
        assert store.pause_rollout(s, rollout_id=r.id, actor=OPERATOR).state == "paused"
    assert drive(engine) == {}  # a paused rollout issues nothing
    with Session(engine) as s:
        assert store.resume_rollout(s, rollout_id=r.id, actor=OPERATOR).state == "running"
    assert len(drive(engine)) == 12


def test_a_desired_config_not_applied_is_published_again_later(engine):
    create(engine, canary_count=1)
    (unit,) = drive(engine)
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert list(drive(engine, now=later)) == [unit]
    assert drive(engine, now=later + timedelta(seconds=1)) == {}  # not again at once
    report(engine, unit, 1)
    assert unit not in drive(engine, now=later + timedelta(seconds=120))  # applied now


def test_a_unit_that_refused_a_version_is_not_sent_it_again(engine):
    create(engine, canary_count=1, failure_threshold=1.0)
    (unit,) = drive(engine)
    report(engine, unit, 1, "rejected", "bad_signature: …")
    later = datetime.now(UTC) + timedelta(seconds=120)
    assert unit not in drive(engine, now=later)


def test_stages_larger_than_a_chunk_are_issued_in_chunks(engine, monkeypatch):
    from hub.rollouts import issue

    monkeypatch.setattr(issue, "ISSUE_CHUNK", 5)
    create(engine)
    sizes = [len(drive(engine)) for _ in range(4)]
    assert sizes == [5, 5, 2, 0]
    with engine.connect() as conn:
        versions = conn.execute(select(store.VERSIONS.c.version)).scalars().all()
    assert sorted(versions) == [1] * 12


def test_unit_configs_list_desired_applied_and_running_versions(engine):
    create(engine, canary_count=1)
    (unit,) = drive(engine)
    report(engine, unit, 1)
    heartbeat(engine, unit, 1)
    with Session(engine) as s:
        (row,) = store.unit_configs(s, units=[unit])
    assert (row.desired_version, row.applied_version, row.running_version) == (1, 1, 1)
    assert row.report_status == "applied"


def test_a_version_a_unit_claims_but_was_never_issued_is_an_anomaly_not_the_next_base(engine):
    """GIVEN a unit whose heartbeat claims version 7, which this hub never issued it (a
    corrupted or hostile unit, or a database restored from an older backup)
    WHEN the hub issues a config THEN the unit gets version 1, one above what the hub issued,
    and the claim is recorded as an anomaly, in the unit's config and the audit log."""
    unit = QINGSHUI[0]
    heartbeat(engine, unit, 7)
    create(engine, target={"units": [unit]})
    assert drive(engine)[unit]["version"] == 1
    with Session(engine) as s:
        (row,) = store.unit_configs(s, units=[unit])
        (entry,) = audit.recent(s, action="config.anomaly")
    assert (row.anomaly, row.anomaly_version, row.anomaly_source) == (True, 7, "heartbeat")
    assert (entry.target, entry.detail) == (
        f"unit/{unit}",
        {"claimed": 7, "issued": 0, "source": "heartbeat"},
    )


def test_two_hub_processes_driving_at_once_never_issue_a_unit_twice(engine):
    """GIVEN two drivers (two `hub serve` processes) stepping the same rollout at one moment
    THEN each unit gets exactly one version; a driver that loses the race fails its step
    (and retries later) rather than issuing a duplicate."""
    import threading

    from sqlalchemy.exc import DBAPIError

    create(engine)
    issued: list[dict] = []
    errors: list[Exception] = []
    start = threading.Barrier(2)

    def driver():
        start.wait()
        try:
            issued.append(drive(engine))
        except DBAPIError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=driver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    issued.append(drive(engine))
    units = [u for batch in issued for u in batch]
    assert sorted(units) == sorted(QINGSHUI)  # once each, whoever won
    with engine.connect() as conn:
        rows = conn.execute(select(store.VERSIONS.c.unit, store.VERSIONS.c.version)).all()
    assert sorted(rows) == sorted((u, 1) for u in QINGSHUI)
    assert len(errors) <= 1
