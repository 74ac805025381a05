"""Fuzzing the hub with a hostile unit, bounded in time for CI: 10,000 hypothesis-generated
messages per database (valid shapes with extreme values, invalid shapes, random bytes, on every
up channel) through the real Mosquitto into the real ingest consumer on SQLite and on
PostgreSQL, while a well-behaved unit streams its cases beside them.

What must hold: the hub never stops; the good unit loses nothing and its events are
acknowledged as quickly as usual; every message the hub refuses is a dead letter with a reason,
and every batch it accepts is stored (or, if the database refuses it, dead-lettered too).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from edge.agent import Agent
from hub.db import make_engine
from hub.fleet.events import all_event_ids
from hub.ingest.intake import take
from hub.models import DeadLetter
from mqttio import AsyncMqttClient, Received
from protocol import topics
from protocol.messages import decode_tx
from protocol.topics import Channel, unit_client_id
from simulators.cases import CaseSimulator
from tests.integration.helpers import FAST_LINK, running_hub, unit_agent
from tests.support.hostile_payloads import hostile_messages
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

GOOD, BAD = "t120", "t121"
MESSAGES = 10_000
PER_EXAMPLE = 20
GOOD_RATE = 40  # events per second from the well-behaved unit
SEND_RATE = 2_000  # hostile messages per second
DEAD = DeadLetter.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def hostile_payloads() -> list[tuple[Channel, bytes]]:
    """Drawn once for both databases (generation is the slow part, about ten seconds)."""
    drawn: list[tuple[Channel, bytes]] = []

    @settings(
        max_examples=MESSAGES // PER_EXAMPLE,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(st.lists(hostile_messages(BAD, GOOD), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
    def draw(messages: list[tuple[Channel, bytes]]) -> None:
        drawn.extend(messages)

    draw()
    assert len(drawn) == MESSAGES
    return drawn


def _accepted(channel: Channel, payload: bytes) -> bool:
    """Whether the hub's pure intake takes the message (else it must be a dead letter)."""
    msg = Received(topics.topic(BAD, channel), payload, 1, False)
    return not take([msg], datetime.now(UTC)).batch.dead


async def _stream(agent: Agent, stop: asyncio.Event, depths: list[int]) -> None:
    sim = CaseSimulator()
    while not stop.is_set():
        await agent.event_log.append(sim.next_transition())
        depths.append(agent.event_log.depth)
        await asyncio.sleep(1 / GOOD_RATE)


def test_a_hostile_unit_never_stops_the_hub_nor_costs_a_good_unit_anything(
    fresh_broker, database_url, tmp_path, hostile_payloads
):
    broker = fresh_broker([GOOD, BAD])

    async def scenario():
        async with running_hub(broker, database_url) as hub:
            good = unit_agent(broker, GOOD, tmp_path, link=FAST_LINK)
            good.start()
            bad = AsyncMqttClient(
                broker.unit_url(BAD), client_id=unit_client_id(BAD), on_message=lambda _m: None
            )
            bad_task = asyncio.create_task(bad.run())
            await asyncio.wait_for(
                asyncio.gather(good.link.client.wait_connected(), bad.wait_connected()), 10
            )
            stop, depths = asyncio.Event(), list[int]()
            streaming = asyncio.create_task(_stream(good, stop, depths))
            started = time.monotonic()
            for n, (channel, payload) in enumerate(hostile_payloads, start=1):
                bad.publish(topics.topic(BAD, channel), payload, qos=1)
                if n % 100 == 0:  # paced, and the loop keeps serving the good unit
                    await asyncio.sleep(max(0.0, started + n / SEND_RATE - time.monotonic()))
            stop.set()
            await streaming
            await asyncio.wait_for(good.wait_drained(), 15)
            engine = make_engine(database_url)

            def dead_hashes() -> set[str]:
                with engine.connect() as conn:
                    rows = conn.execute(select(DEAD.c.payload_sha256).where(DEAD.c.unit == BAD))
                    return {r[0] for r in rows}

            refused = {
                hashlib.sha256(p).hexdigest() for c, p in hostile_payloads if not _accepted(c, p)
            }
            await eventually(
                lambda: refused <= dead_hashes(), 60, "every refused message as a dead letter"
            )
            with engine.connect() as conn:
                stored = {str(i) for _, i, _ in all_event_ids(conn, units=[BAD, GOOD])}
            committed = good.event_log.committed()
            before = hub.stats.messages
            good.link.publish(topics.topic(GOOD, Channel.STATE), b"{}", qos=1)  # still reading?
            await eventually(lambda: hub.stats.messages > before, 10, "the hub still reading")
            alive = hub.client.connected
            await good.close()
            await bad.stop()
            bad_task.cancel()
            dead = dead_hashes()
            engine.dispose()
            return alive, depths, committed, stored, dead

    alive, depths, committed, stored, dead = asyncio.run(scenario())
    assert alive, "the hub's consumer stopped"
    assert set(committed) <= stored, "the good unit lost events"
    # acknowledged as usual: never more than a few seconds of the good unit's cases pending
    assert max(depths) <= 3 * GOOD_RATE
    for channel, payload in hostile_payloads:
        digest = hashlib.sha256(payload).hexdigest()
        if channel is Channel.TX and _accepted(channel, payload):
            ids = {str(e.id) for e in decode_tx(BAD, payload).events}
            assert ids <= stored or digest in dead, f"an accepted batch vanished: {payload!r:.200}"
