"""A unit's wrong clock is kept and flagged, never refused (a Raspberry Pi has no real-time
clock: after a power cut without network it can be days off, and its cases are real): the
event keeps the unit's time beside the hub's receive time, and the offset is flagged on the
event and on the unit. On SQLite and PostgreSQL, and through the real broker."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from hub.app import create_app
from hub.fleet import units
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from hub.models import Event
from hub.settings import HubSettings
from protocol.messages import encode
from protocol.topics import Channel
from tests.support.builders import NOW, envelope, heartbeat, transition, tx, tx_batch, tx_of
from tests.support.ingest import running
from tests.support.waiting import eventually

EVENTS = Event.__table__  # type: ignore[attr-defined]
DAYS_3 = timedelta(days=3)


def stored_events(engine, unit):
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.ts, EVENTS.c.received_at, EVENTS.c.clock_offset_s)
            .where(EVENTS.c.unit == unit)
            .order_by(EVENTS.c.seq)
        ).all()
    return rows


def unit_row(engine, unit):
    with Session(engine) as s:
        return units.get_unit(s, unit_id=unit, stale_after_s=60)


def drifting(engine, unit):
    with Session(engine) as s:
        return any(u.clock_drift for u in units.list_units(s, stale_after_s=60) if u.id == unit)


# -- pure: what the intake measures ---------------------------------------------------------


def test_a_heartbeat_measures_the_units_clock_against_the_receive_time():
    intake = take([heartbeat("t001", ts=NOW - DAYS_3), heartbeat("t002", ts=NOW)], NOW)
    assert intake.batch.clocks == {"t001": -DAYS_3.total_seconds(), "t002": 0.0}
    assert intake.batch.drifts(intake.batch.clocks["t001"])
    assert not intake.batch.drifts(intake.batch.clocks["t002"])


def test_an_event_from_the_future_is_flagged_by_its_own_time_and_an_old_one_is_not():
    """An old time may be an outbox backlog (the clock is right, the link was down); a time
    ahead of the hub's can only be a clock running ahead."""
    ahead = envelope("t001", 1, transition(), NOW + timedelta(hours=2))
    old = envelope("t001", 2, transition(), NOW - DAYS_3)
    intake = take([tx_of([ahead, old])], NOW, drift_s=300)
    flags = {row.seq: row.clock_offset_s for row in intake.batch.events.values()}
    assert flags == {1: 7200.0, 2: None}
    assert not intake.batch.dead  # storable, however far from the hub's clock


def test_the_drift_threshold_is_the_hubs_setting():
    intake = take([heartbeat("t001", ts=NOW + timedelta(seconds=90))], NOW, drift_s=60)
    assert intake.batch.drifts(intake.batch.clocks["t001"])
    assert HubSettings(broker_url=None).clock_drift_threshold_s == 300


# -- both databases ---------------------------------------------------------------------------


def test_a_unit_days_behind_has_its_events_kept_with_both_times_and_flagged(engine):
    """GIVEN a unit whose clock is 3 days behind (its heartbeat says so)
    WHEN it sends cases THEN they are stored with the unit's time and the hub's receive time
    side by side, each flagged with the offset, and the unit shows the drift."""
    commit_ingest_batch(engine, take([heartbeat("t001", ts=NOW - DAYS_3)], NOW).batch)
    later = NOW + timedelta(minutes=1)
    batch = tx_batch("t001", n=2, ts=later - DAYS_3)
    commit_ingest_batch(engine, take([tx_of(batch.events)], later).batch)
    rows = stored_events(engine, "t001")
    assert [(ts, received) for ts, received, _ in rows] == [(later - DAYS_3, later)] * 2
    assert [offset for _, _, offset in rows] == [-DAYS_3.total_seconds()] * 2
    unit = unit_row(engine, "t001")
    assert (unit.clock_drift, unit.clock_offset_s) == (True, -DAYS_3.total_seconds())


def test_once_the_clock_is_right_again_new_events_are_not_flagged(engine):
    commit_ingest_batch(engine, take([heartbeat("t001", ts=NOW - DAYS_3)], NOW).batch)
    commit_ingest_batch(engine, take([heartbeat("t001", ts=NOW), tx("t001", n=2)], NOW).batch)
    assert [offset for _, _, offset in stored_events(engine, "t001")] == [None, None]
    assert unit_row(engine, "t001").clock_drift is False


def test_a_backlog_from_a_unit_with_a_right_clock_is_not_flagged(engine):
    commit_ingest_batch(engine, take([heartbeat("t001", ts=NOW)], NOW).batch)
    old = tx_batch("t001", n=3, ts=NOW - DAYS_3)  # waited three days in the outbox
    commit_ingest_batch(engine, take([tx_of(old.events)], NOW).batch)
    assert [offset for _, _, offset in stored_events(engine, "t001")] == [None] * 3


def test_the_drift_shows_in_the_units_api_and_on_the_dashboard(database_url, tmp_path):
    settings = HubSettings(database_url=database_url, broker_url=None, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        beats = [heartbeat("t001", ts=NOW - DAYS_3), heartbeat("t002", ts=NOW)]
        commit_ingest_batch(engine, take(beats, NOW).batch)
        api = {u["id"]: u for u in client.get("/api/units").json()}
        page = client.get("/").text
        fleet = client.get("/fleet", params={"limit": 500}).text
    assert (api["t001"]["clock_drift"], api["t001"]["clock_offset_s"]) == (True, -259200.0)
    assert (api["t002"]["clock_drift"], api["t002"]["clock_offset_s"]) == (False, 0.0)
    assert "偏差：慢 3.0 天" in fleet
    assert 'id="clock-drift" class="alarm">1<' in page


# -- through the real broker ----------------------------------------------------------------


@pytest.mark.integration
def test_a_unit_with_a_wrong_clock_streams_through_the_broker_and_every_case_is_kept(
    fresh_broker, engine, database_url
):
    broker = fresh_broker(["t186"])

    async def scenario():
        async with running(broker, engine, database_url, ["t186"]) as (_, _, (unit,)):
            behind = datetime.now(UTC) - DAYS_3
            unit.send(heartbeat("t186", ts=behind).payload, Channel.HEALTH)
            await eventually(lambda: drifting(engine, "t186"), 10, "the drift")
            batch = tx_batch("t186", n=5, ts=behind)
            unit.send(encode(batch))
            sent = {e.id for e in batch.events}
            await eventually(lambda: unit.acked == sent, 10, "every case acknowledged")

    asyncio.run(scenario())
    offsets = [offset for _, _, offset in stored_events(engine, "t186")]
    assert len(offsets) == 5
    assert all(abs(offset + DAYS_3.total_seconds()) < 60 for offset in offsets)
