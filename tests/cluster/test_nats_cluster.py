"""The fleet on a clustered broker: three NATS nodes on loopback speaking MQTT, unit agents
spread over them with the list of nodes to fail over between, two hub ingest processes sharing
the units' traffic through a NATS queue group (NATS ignores $share).

One node is killed (SIGKILL) mid-stream. Every event the units committed is in the hub exactly
once, both hub processes took part, and the signed configuration the hub left retained reaches
the units that reconnected to another node. The ACL tests hold the generated permissions to
the same rules as Mosquitto's (provisioning/nats.py says what maps and what does not).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.aio.client import Client as NatsClient

from hub.ingest.natsqueue import NatsQueueSource
from mqttio import AsyncMqttClient, Backoff, Received
from protocol import topics
from protocol.messages import ConfigReported, decode
from protocol.signing import public_key_to_text
from protocol.topics import Channel
from tests.chaos.harness import HubView, Proc, outbox_seq, verdict
from tests.support import config as cfg
from tests.support.aio import async_test
from tests.support.natscluster import ServedCluster, artifact_server, nats_cluster
from tests.support.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

UNITS = [f"c{i:03d}" for i in range(1, 7)]  # two whose first node is each of the three
EVENTS = 200  # per unit
RATE = 40.0  # events per second per unit
FAST = Backoff(0.1, 0.5)


def first_node(unit: str) -> int:
    return UNITS.index(unit) % 3


def hub_process(served: ServedCluster, database_url: str, log_dir: Path, n: int) -> Proc:
    name = f"hub-{'ab'[n]}"
    brokers = [a for u in served.mqtt_urls(n) for a in ("--broker", str(u))]
    nodes = [a for u in served.nats_urls(n) for a in ("--nats-url", u)]
    return Proc(
        name,
        ["hub", "ingest", "--database", database_url, "--instance", name,
         "--broker-engine", "nats", *brokers, *nodes, "--log-format", "text"],
        {"BIANMIN_HUB_BROKER_PASSWORD": served.creds.hub_password},
        log_dir,
    )  # fmt: skip


def unit_process(served: ServedCluster, unit: str, root: Path, hub_url: str, key: str) -> Proc:
    brokers = [a for u in served.mqtt_urls(first_node(unit)) for a in ("--broker", str(u))]
    return Proc(
        unit,
        ["edge", "run", "--unit", unit, *brokers, "--broker-engine", "nats",
         "--data-dir", str(root / unit),
         "--simulated-devices", "--rate", str(RATE), "--max-events", str(EVENTS),
         "--ack-timeout", "2", "--keepalive", "5", "--health-interval", "5",
         "--hub-url", hub_url, "--hub-key", key],
        {"BIANMIN_UNIT_PASSWORD": served.creds.password_for(unit)},
        root,
    )  # fmt: skip


def stopped_line(proc: Proc) -> dict[str, int]:
    """What a hub ingest process says it took of the stream as it stops."""
    for line in proc.log_path.read_text(errors="replace").splitlines():
        if line.startswith('{"stopped"'):
            return dict(json.loads(line))
    raise AssertionError(f"{proc.name} said nothing on stopping:\n{proc.log()}")


def ready(proc: Proc) -> bool:
    return '{"ready"' in proc.log_path.read_text(errors="replace")


@async_test
async def test_a_node_killed_mid_stream_loses_nothing_duplicates_nothing_and_keeps_configs(
    tmp_path, pg_url
):
    """GIVEN six units spread over three NATS nodes, two hub ingest processes in one queue
    group, and a signed config per unit left retained WHEN the first node is killed while the
    units stream THEN the hub holds every committed event exactly once, both hub processes
    stored some, and the units that were on the killed node get their config again from
    another node (they report it applied once more)."""
    database_url = pg_url
    key = Ed25519PrivateKey.generate()
    content = cfg.slice_bytes()
    with nats_cluster(tmp_path / "nats", UNITS) as served, artifact_server(content) as files:
        hub = HubView(database_url)
        reports: list[tuple[float, str, ConfigReported]] = []

        def on_report(msg: Received) -> None:
            unit = topics.parse(msg.topic).unit
            reports.append((time.monotonic(), unit, decode(ConfigReported, msg.payload)))

        # the rollout driver's part: each unit's signed config, retained (on the last node,
        # which stays up), and a listener for the units' reports
        publisher = AsyncMqttClient(
            served.hub_urls(2), client_id="test-rollouts", on_message=on_report,
            subscriptions=[(topics.subscription(Channel.CONFIG_REPORTED), 1)], backoff=FAST,
            max_qos=0,  # as the hub publishes on NATS
        )  # fmt: skip
        listening = asyncio.create_task(publisher.run())
        await asyncio.wait_for(publisher.wait_subscribed(), 20)
        ref = cfg.slice_ref(content)
        for unit in UNITS:
            doc = cfg.signed(key, unit, 1, cfg.body(ref))
            publisher.publish(
                topics.topic(unit, Channel.CONFIG), cfg.payload(doc), qos=1, retain=True
            )

        # the hubs first, so that the units' stream, not a backlog, is what the kill cuts; the
        # generous waits only matter on a loaded machine (processes start in ~10 s when idle)
        hubs = [hub_process(served, database_url, tmp_path, n).start() for n in (0, 1)]
        units: list[Proc] = []
        try:
            await eventually(lambda: all(ready(h) for h in hubs), 90, "both hub processes ready")
            pinned = public_key_to_text(key.public_key())
            units = [unit_process(served, u, tmp_path, files, pinned).start() for u in UNITS]
            await eventually(
                lambda: min(outbox_seq(tmp_path, u) for u in UNITS) >= EVENTS // 3,
                90, "every unit part-way through its events",
            )  # fmt: skip
            await eventually(
                lambda: {u for _, u, r in reports if r.status == "applied"} == set(UNITS),
                30, "every unit's config applied",
            )  # fmt: skip
            killed_at = time.monotonic()
            served.cluster.kill(served.nodes[0])
            expected = EVENTS * len(UNITS)
            assert hub.count(UNITS) < expected, "the kill came too late to matter"

            await eventually(
                lambda: hub.count(UNITS) >= expected, 60, f"{expected} events in the hub"
            )
            victims = {u for u in UNITS if first_node(u) == 0}
            await eventually(
                lambda: {u for t, u, r in reports if t > killed_at and r.status == "applied"}
                >= victims,
                30, "the config again on the units that lost their node",
            )  # fmt: skip
        except AssertionError as exc:
            logs = "\n".join(f"--- {p.name}\n{p.log()}" for p in [*units, *hubs])
            raise AssertionError(f"{exc}; the hub has {hub.count(UNITS)}\n{logs}") from None
        finally:
            for p in [*units, *hubs]:
                p.terminate()
            await publisher.stop()
            await listening

        summary = verdict(hub, tmp_path, UNITS)
        hub.close()
    assert summary.committed_by_units == EVENTS * len(UNITS)
    assert summary.in_hub == summary.committed_by_units
    assert (summary.lost, summary.duplicates, summary.unexpected) == (0, 0, 0), summary
    # both members of the queue group stored part of the stream, and nothing twice between them
    shares = [stopped_line(h) for h in hubs]
    assert all(s["inserted"] > 0 for s in shares), shares
    assert sum(s["inserted"] for s in shares) == summary.committed_by_units, shares


# -- the generated permissions --------------------------------------------------------------

ACL_UNITS = ["c101", "c102"]


@pytest.fixture(scope="module")
def acl_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCluster]:
    with nats_cluster(tmp_path_factory.mktemp("nats-acl"), ACL_UNITS) as served:
        yield served


@async_test
async def test_a_unit_reaches_only_its_own_subjects_on_any_node(acl_cluster):
    """GIVEN unit c101 on one node and a hub listener on another WHEN c101 subscribes to its own
    ack, c102's config, every unit's acks and the gateway's delivery subjects, and publishes on
    its own tx and on c102's THEN only its own subscription and its own message get through."""
    seen: list[Received] = []
    hub = AsyncMqttClient(
        acl_cluster.hub_urls(1), client_id="test-hub-acl", on_message=seen.append,
        subscriptions=[(topics.subscription(Channel.TX), 1)], backoff=FAST,
    )  # fmt: skip
    own_ack = topics.topic("c101", Channel.ACK)
    asked = [own_ack, topics.topic("c102", Channel.CONFIG), topics.subscription(Channel.ACK),
             "$MQTT/sub/#"]  # fmt: skip
    unit = AsyncMqttClient(
        acl_cluster.unit_urls("c101"), client_id=topics.unit_client_id("c101"),
        on_message=lambda _m: None, subscriptions=[(f, 1) for f in asked], backoff=FAST,
    )  # fmt: skip
    tasks = [asyncio.create_task(c.run()) for c in (hub, unit)]
    try:
        await asyncio.wait_for(asyncio.gather(hub.wait_subscribed(), unit.wait_subscribed()), 30)
        assert unit.refused_subscriptions == asked[1:]
        unit.publish(topics.topic("c102", Channel.TX), b"forged", qos=1)
        unit.publish(topics.topic("c101", Channel.TX), b"own", qos=1)
        await eventually(lambda: seen, 10, "the unit's own message")
        await asyncio.sleep(0.3)  # the forged one, published first, would be here by now
        assert [(m.topic, m.payload) for m in seen] == [(topics.topic("c101", Channel.TX), b"own")]
    finally:
        for c in (hub, unit):
            await c.stop()
        await asyncio.gather(*tasks)


@async_test
async def test_a_unit_may_not_use_the_native_protocol_but_the_hub_may(acl_cluster):
    """Units are MQTT clients only: their credentials open no native connection, which would
    let them join the hub's queue group."""
    node = acl_cluster.nats_urls()[0]
    refused = NatsClient()
    try:
        with pytest.raises(nats.errors.Error):
            await refused.connect(
                servers=[node], user="c101", password=acl_cluster.creds.password_for("c101"),
                allow_reconnect=False, connect_timeout=5, max_reconnect_attempts=0,
            )  # fmt: skip
    finally:
        await refused.close()  # nats-py leaves the refused socket open otherwise
    hub = await nats.connect(
        servers=[node], user="hub", password=acl_cluster.creds.hub_password,
        allow_reconnect=False, connect_timeout=5,
    )  # fmt: skip
    await hub.close()


@async_test
async def test_a_paused_ingest_process_leaves_the_queue_group_to_the_others_and_rejoins(
    acl_cluster,
):
    """GIVEN two ingest sources in the queue group WHEN one pauses (its queue is full) THEN
    the other receives everything published meanwhile; WHEN it resumes THEN both share again."""
    got: dict[str, list[str]] = {"a": [], "b": []}

    def source(name: str, first: int) -> NatsQueueSource:
        return NatsQueueSource(
            acl_cluster.nats_urls(first), user="hub", password=acl_cluster.creds.hub_password,
            name=f"test-{name}", on_message=lambda m: got[name].append(m.topic),
            pending_bytes=1 << 20,
        )  # fmt: skip

    a, b = source("a", 0), source("b", 1)
    tasks = [asyncio.create_task(s.run()) for s in (a, b)]
    sender = await nats.connect(
        servers=acl_cluster.nats_urls(2), user="hub", password=acl_cluster.creds.hub_password
    )

    async def send(n: int) -> None:
        for _ in range(n):
            await sender.publish(topics.nats_subject(topics.topic("c101", Channel.TX)), b"{}")
        await sender.flush()

    try:
        await asyncio.wait_for(asyncio.gather(a.joined.wait(), b.joined.wait()), 20)
        a.pause_reading()
        await eventually(lambda: not a.joined.is_set(), 10, "a out of the group")
        before = len(got["a"])
        await send(200)
        await eventually(lambda: len(got["b"]) == 200, 10, "all 200 at b")
        assert len(got["a"]) == before
        a.resume_reading()
        await asyncio.wait_for(a.joined.wait(), 10)
        await send(200)
        await eventually(lambda: len(got["a"]) + len(got["b"]) == 400, 10, "the next 200")
        assert len(got["a"]) > before  # NATS picks a member at random per message:
        assert len(got["b"]) > 200  # one getting none of 200 has odds of 2^-199
        assert set(got["a"]) == {topics.topic("c101", Channel.TX)}  # the topic, not the subject
    finally:
        await sender.close()
        for s in (a, b):
            await s.stop()
        await asyncio.gather(*tasks)
