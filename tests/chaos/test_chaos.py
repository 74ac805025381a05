"""Chaos: real processes killed and restarted, brokers crashed, links cut. After each, every
event a unit committed is in the hub database exactly once, and nothing else is.

Each scenario runs a few unit agents (`bianmin edge run`, durable outboxes) and a hub ingest
process (`bianmin hub ingest`) against a Mosquitto of its own, and ends with the same verdict.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from mqttio import AsyncMqttClient
from protocol import topics
from protocol.messages import Ack, TxBatch, decode, encode
from protocol.topics import Channel
from tests.chaos.harness import (
    HubView,
    Proc,
    hub_ingest,
    outbox_seq,
    unit_agent,
    verdict,
)
from tests.support.builders import envelope
from tests.support.network import CuttableProxy
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

UNITS = ["t010", "t011", "t012"]
EVENTS = 250  # per unit
RATE = 60.0  # events per second per unit


def _finish(hub: HubView, root, procs: list[Proc], timeout: float = 90) -> None:
    """Wait until the hub holds every unit's events, then stop everything and judge."""
    expected = EVENTS * len(UNITS)
    try:
        wait_until(lambda: hub.count(UNITS) >= expected, timeout, f"{expected} events in the hub")
    except AssertionError as exc:
        logs = "\n".join(f"--- {p.name}\n{p.log()}" for p in procs)
        raise AssertionError(f"{exc}; hub has {hub.count(UNITS)}\n{logs}") from None
    finally:
        for p in procs:
            p.terminate()
    summary = verdict(hub, root, UNITS)
    assert summary.committed_by_units == expected
    assert summary.in_hub == expected
    assert summary.exact, summary


def _start_units(broker, root, port=None) -> list[Proc]:
    return [
        unit_agent(broker, u, root, rate=RATE, max_events=EVENTS, port=port).start() for u in UNITS
    ]


def _mid_stream(root) -> None:
    """Block until the units are part-way through their events."""
    wait_until(lambda: min(outbox_seq(root, u) for u in UNITS) >= EVENTS // 3, 30, "traffic")


def test_hub_killed_while_units_stream_then_restarted(fresh_broker, database_url, tmp_path):
    broker = fresh_broker(UNITS)
    hub = HubView(database_url)
    ingest = hub_ingest(broker, database_url, tmp_path).start()
    units = _start_units(broker, tmp_path)
    _mid_stream(tmp_path)
    ingest.kill()
    time.sleep(2)  # units keep committing; nobody acknowledges
    assert hub.count(UNITS) < EVENTS * len(UNITS), "the kill came too late to matter"
    ingest.start()
    _finish(hub, tmp_path, [*units, ingest])
    hub.close()


def test_broker_killed_and_restarted_mid_stream(fresh_broker, database_url, tmp_path):
    broker = fresh_broker(UNITS)
    hub = HubView(database_url)
    ingest = hub_ingest(broker, database_url, tmp_path).start()
    units = _start_units(broker, tmp_path)
    _mid_stream(tmp_path)
    broker.process.kill()
    time.sleep(2)
    assert hub.count(UNITS) < EVENTS * len(UNITS), "the kill came too late to matter"
    broker.process.start()  # same port, same credentials
    _finish(hub, tmp_path, [*units, ingest])
    hub.close()


def test_unit_killed_and_restarted_from_its_data_dir(fresh_broker, tmp_path):
    broker = fresh_broker(UNITS)
    database_url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    hub = HubView(database_url)
    ingest = hub_ingest(broker, database_url, tmp_path).start()
    units = _start_units(broker, tmp_path)
    _mid_stream(tmp_path)
    victim = units[0]
    for _ in range(2):  # twice, at different points of the stream
        victim.kill()
        time.sleep(0.5)
        victim.start()
        time.sleep(1.5)
    _finish(hub, tmp_path, [*units, ingest])
    hub.close()


def test_link_cut_for_seconds_then_restored(fresh_broker, tmp_path):
    broker = fresh_broker(UNITS)
    database_url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    hub = HubView(database_url)
    proxy = CuttableProxy(broker.process.config.port)
    ingest = hub_ingest(broker, database_url, tmp_path).start()
    units = _start_units(broker, tmp_path, port=proxy.port)
    _mid_stream(tmp_path)
    proxy.cut()
    time.sleep(4)  # units keep committing offline
    assert hub.count(UNITS) < EVENTS * len(UNITS)
    proxy.heal()
    _finish(hub, tmp_path, [*units, ingest])
    proxy.close()
    hub.close()


def test_duplicated_and_reordered_deliveries_are_stored_once_and_all_acknowledged(
    fresh_broker, database_url, tmp_path
):
    """GIVEN two batches of one unit's events
    WHEN they arrive out of order, twice each, and once more long after their ack
    THEN the hub stores each event once and acknowledges every delivery."""
    broker = fresh_broker(["t013"])
    hub = HubView(database_url)
    ingest = hub_ingest(broker, database_url, tmp_path).start()
    first, second = _batch("t013", 1, 5), _batch("t013", 6, 5)
    acks = asyncio.run(_deliver(broker, "t013", [second, first, first, second], [first]))
    ingest.terminate()
    assert hub.count(["t013"]) == 10
    assert sorted(s for _, _, s in hub.rows(["t013"])) == list(range(1, 11))
    # every delivery is acknowledged, duplicates included (acks may merge deliveries)
    assert sum(len(a.ids) for a in acks) == 25
    assert {str(i) for a in acks for i in a.ids} == {i for _, i, _ in hub.rows(["t013"])}
    hub.close()


async def _until(predicate, timeout: float) -> bool:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


def _batch(unit: str, seq0: int, n: int) -> bytes:
    return encode(TxBatch(events=[envelope(unit, seq0 + i) for i in range(n)]))


async def _deliver(broker, unit, burst: list[bytes], later: list[bytes]) -> list[Ack]:
    acks: list[Ack] = []
    client = AsyncMqttClient(
        broker.unit_url(unit),
        client_id=topics.unit_client_id(unit),
        on_message=lambda m: acks.append(decode(Ack, m.payload)),
        subscriptions=[(topics.topic(unit, Channel.ACK), 1)],
    )
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(client.wait_connected(), 10)
    tx_topic = topics.topic(unit, Channel.TX)
    # The hub process may not have subscribed yet: send the burst's last batch until the hub
    # answers, then forget those acks.
    for _ in range(40):
        client.publish(tx_topic, burst[-1])
        if await _until(lambda: bool(acks), 0.5):
            break
    await asyncio.sleep(0.5)
    acks.clear()

    def acked() -> int:
        return sum(len(a.ids) for a in acks)

    for payload in burst:
        client.publish(tx_topic, payload)
    assert await _until(lambda: acked() >= 5 * len(burst), 20)
    for payload in later:
        client.publish(tx_topic, payload)
    assert await _until(lambda: acked() >= 5 * (len(burst) + len(later)), 20)
    await asyncio.sleep(0.3)  # nothing more may arrive
    await client.stop()
    task.cancel()
    return acks
