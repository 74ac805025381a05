"""One process of `bench/scale.py`'s simulated units: thousands of light-weight units on one
event loop, each with its own MQTT connection, client id and credentials, speaking the wire
protocol through mqttio and the protocol models (the code the unit's link uses), but without
the unit's SQLite event log: a unit here keeps its unacknowledged events in memory, resends
them after the link's (doubling) ack timeout and after a reconnect, and forgets them only on
the hub's ack.

Per unit: `state` online (retained; offline as the last will), a `health` heartbeat every
``health_s`` seconds from a random phase, and case transitions from the fleet's case simulator
at a Poisson rate, one transition per `tx` message (at a unit's rate the link has nothing else
to batch). Latency is the time from the event's publish to the hub's ack naming it.

Driven over stdin/stdout by bench/scale.py: one JSON job line in; "ready N" out once connected;
"go" starts the load; "stop" stops it, waits for every ack (or ``drain_s``) and prints one JSON
report line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mqttio import AsyncMqttClient, Backoff, BrokerUrl, Received, Will
from protocol import topics
from protocol.ids import uuid7
from protocol.messages import (
    Ack,
    Health,
    OutboxHealth,
    State,
    decode,
    encode,
    envelope_for,
    frame_tx_batch,
    utc_now,
)
from protocol.topics import Channel
from simulators.cases import CaseSimulator

# the link's ack timeout: 10 s, doubling while nothing is acknowledged, up to 120 s
# (edge.link.LinkSettings), so an overloaded hub is not answered with a resend storm
ACK_TIMEOUT_S = 10.0
ACK_TIMEOUT_MAX_S = 120.0
# latency histogram: 1 ms buckets up to 10 s, then one overflow bucket
BUCKETS = 10_000


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1])
    return 0


@dataclass
class Unit:
    unit_id: str
    client: AsyncMqttClient
    cases: CaseSimulator
    seq: int = 0
    timeout: float = ACK_TIMEOUT_S
    due: float = float("inf")  # when the unacknowledged events go again
    # event id -> (payload, first publish time, last publish time)
    pending: dict[str, tuple[bytes, float, float]] = field(default_factory=dict)


class Units:
    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.url = BrokerUrl.parse(job["broker"])
        self.rate = float(job["events_per_unit_s"])
        self.health_s = float(job["health_s"])
        self.rng = random.Random(job.get("seed", 0))
        self.units: dict[str, Unit] = {}
        self.hist = [0] * (BUCKETS + 1)
        self.sent = 0
        self.acked = 0
        self.duplicate_acks = 0
        self.resent = 0
        self.health_sent = 0
        self.connects = 0
        self.disconnects = 0
        self.running = False
        self.started = time.monotonic()

    def _client(self, unit: str, password: str) -> AsyncMqttClient:
        state_topic = topics.topic(unit, Channel.STATE)

        def on_message(msg: Received) -> None:
            self._on_ack(unit, msg)

        def on_connect() -> None:
            self.connects += 1
            u = self.units[unit]
            u.client.publish(state_topic, encode(State(online=True, ts=utc_now())), retain=True)
            # after a reconnect, everything unacknowledged goes again (as the link does)
            now = time.monotonic()
            for eid, (payload, first, _) in list(u.pending.items()):
                u.client.publish(topics.topic(unit, Channel.TX), payload)
                u.pending[eid] = (payload, first, now)
                self.resent += 1

        def on_disconnect() -> None:
            self.disconnects += 1

        return AsyncMqttClient(
            self.url.with_credentials(unit, password),
            client_id=topics.unit_client_id(unit),
            on_message=on_message,
            subscriptions=[(topics.topic(unit, Channel.ACK), 1)],
            on_connect=on_connect,
            on_disconnect=on_disconnect,
            will=Will(state_topic, encode(State(online=False)), qos=1, retain=True),
            keepalive=120,
            backoff=Backoff(0.5, 10),
            connect_timeout=60,
        )

    def _on_ack(self, unit: str, msg: Received) -> None:
        now = time.monotonic()
        u = self.units[unit]
        u.timeout = ACK_TIMEOUT_S
        u.due = now + ACK_TIMEOUT_S
        pending = u.pending
        for i in decode(Ack, msg.payload).ids:
            got = pending.pop(str(i), None)
            if got is None:
                self.duplicate_acks += 1
                continue
            self.acked += 1
            ms = int((now - got[1]) * 1000)
            self.hist[min(ms, BUCKETS)] += 1

    async def connect(self) -> tuple[int, list[asyncio.Task[None]]]:
        tasks = []
        for i, (unit, password) in enumerate(self.job["units"]):
            client = self._client(unit, password)
            self.units[unit] = Unit(
                unit, client, CaseSimulator(unit=unit, rng=random.Random(f"{unit}"))
            )
            tasks.append(asyncio.create_task(client.run()))
            if i % 250 == 249:  # a ramp, so the broker's listen backlog is not flooded
                await asyncio.sleep(0.05)
        deadline = time.monotonic() + float(self.job.get("connect_timeout", 300))
        while time.monotonic() < deadline:
            up = sum(u.client.connected for u in self.units.values())
            if up == len(self.units):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # SUBSCRIBEs go right after CONNACK
        return sum(u.client.connected for u in self.units.values()), tasks

    def publish_event(self, u: Unit) -> None:
        u.seq += 1
        eid = uuid7()
        env = envelope_for(u.cases.next_transition(), id=eid, unit=u.unit_id, seq=u.seq,
                           ts=utc_now())  # fmt: skip
        payload = frame_tx_batch([encode(env)])
        now = time.monotonic()
        if not u.pending:
            u.due = now + u.timeout
        u.pending[str(eid)] = (payload, now, now)
        self.sent += 1
        if u.client.connected:
            u.client.publish(topics.topic(u.unit_id, Channel.TX), payload)

    async def events(self) -> None:
        """All units' Poisson arrivals as one process of rate n x rate: each arrival goes to a
        unit drawn at random, which is the same as n independent Poisson units."""
        units = list(self.units.values())
        total = self.rate * len(units)
        if total <= 0:
            return
        last = time.monotonic()
        while self.running:
            if total < 200:
                await asyncio.sleep(self.rng.expovariate(total))
                n = 1
            else:
                # many arrivals per tick: draw the count for the time that really passed (a
                # busy loop wakes late), so the rate holds whatever the tick's length
                await asyncio.sleep(0.01)
                now = time.monotonic()
                n, last = _poisson(self.rng, total * (now - last)), now
            for _ in range(n):
                if self.running:
                    self.publish_event(self.rng.choice(units))

    async def health(self, u: Unit) -> None:
        topic = topics.topic(u.unit_id, Channel.HEALTH)
        await asyncio.sleep(self.rng.uniform(0, self.health_s))
        while self.running:
            if u.client.connected:
                h = Health(
                    ts=utc_now(),
                    uptime_s=round(time.monotonic() - self.started, 1),
                    outbox=OutboxHealth(depth=len(u.pending), bytes=0, limit_bytes=64 << 20),
                    versions={"agent": "scale-bench", "protocol": "1"},
                )
                u.client.publish(topic, encode(h), qos=0)
                self.health_sent += 1
            await asyncio.sleep(self.health_s)

    async def progress(self) -> None:
        """A line on stderr every 10 s, to see a run that goes wrong while it runs."""
        while True:
            await asyncio.sleep(10.0)
            pending = sum(len(u.pending) for u in self.units.values())
            up = sum(u.client.connected for u in self.units.values())
            print(
                f"[units {os.getpid()}] connected {up}/{len(self.units)} sent {self.sent} "
                f"acked {self.acked} pending {pending} resent {self.resent} "
                f"reconnects {self.connects - len(self.units)}",
                file=sys.stderr,
                flush=True,
            )

    async def resender(self) -> None:
        """The link's ack timeout per unit: when a unit's oldest unacknowledged event has waited
        its timeout, everything it has pending goes again and the timeout doubles. One pass
        looks at each unit once (its events only when due), so a starved process does not
        spend its loop scanning backlogs."""
        while True:
            await asyncio.sleep(2.0)
            now = time.monotonic()
            for u in self.units.values():
                if not u.pending or not u.client.connected or now < u.due:
                    continue
                topic = topics.topic(u.unit_id, Channel.TX)
                for eid, (payload, first, _) in list(u.pending.items()):
                    u.client.publish(topic, payload)
                    u.pending[eid] = (payload, first, now)
                    self.resent += 1
                u.timeout = min(u.timeout * 2, ACK_TIMEOUT_MAX_S)
                u.due = now + u.timeout
                await asyncio.sleep(0)  # let acks in between units

    def report(self, rss_before_kb: int, rss_connected_kb: int) -> dict[str, Any]:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "units": len(self.units),
            "connected": sum(u.client.connected for u in self.units.values()),
            "sent": self.sent,
            "acked": self.acked,
            "unacked": sum(len(u.pending) for u in self.units.values()),
            "duplicate_acks": self.duplicate_acks,
            "resent": self.resent,
            "health_sent": self.health_sent,
            "connects": self.connects,
            "disconnects": self.disconnects,
            "hist_ms": {str(i): c for i, c in enumerate(self.hist) if c},
            "rss_before_kb": rss_before_kb,
            "rss_connected_kb": rss_connected_kb,
            "rss_end_kb": rss_kb(),
            "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
        }


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth for small means; a normal approximation beyond (the tick's mean is rarely > 30)
    if lam > 30:
        return max(0, round(rng.gauss(lam, lam**0.5)))
    limit, k, p = 2.718281828459045**-lam, 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    job = json.loads(await reader.readline())
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rss_before = rss_kb()
    units = Units(job)
    connected, tasks = await units.connect()
    rss_connected = rss_kb()
    print(f"ready {connected}", flush=True)
    background: list[asyncio.Task[None]] = []
    while line := (await reader.readline()).decode().strip():
        if line == "go":
            units.running = True
            background = [asyncio.create_task(units.events()),
                          asyncio.create_task(units.resender()),
                          asyncio.create_task(units.progress())]  # fmt: skip
            background += [asyncio.create_task(units.health(u)) for u in units.units.values()]
        elif line == "stop":
            units.running = False
            deadline = time.monotonic() + float(job.get("drain_s", 120))
            while time.monotonic() < deadline and any(u.pending for u in units.units.values()):  # noqa: ASYNC110 - a poll over thousands of units
                await asyncio.sleep(0.2)
            print(json.dumps(units.report(rss_before, rss_connected)), flush=True)
        elif line == "quit":
            break
    for t in background:
        t.cancel()
    await asyncio.gather(*(u.client.stop() for u in units.units.values()), return_exceptions=True)
    for t in tasks:
        t.cancel()
    os._exit(0)  # thousands of sockets: let the kernel close them


if __name__ == "__main__":
    asyncio.run(main())
