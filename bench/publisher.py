"""A benchmark publisher process: many simulated units, each with its own MQTT connection and
credentials, publishing tx messages shaped exactly like the units' own.

Prints JSON lines: {"ready": ...} once connected, {"published": ...} when done, and on SIGTERM
(or when every ack arrived, with --until-acked) a final line with ack latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import batch_payload, event_json, unit_ids
from mqttio import AsyncMqttClient, Backoff, BrokerUrl, Received
from protocol import topics
from protocol.messages import Ack, decode
from protocol.topics import Channel
from provisioning import credentials


def emit(doc: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


async def main(args: argparse.Namespace) -> None:
    creds = credentials.load(Path(args.credentials))
    units = unit_ids(args.first + args.count)[args.first :]
    url = BrokerUrl.parse(args.broker)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    acked = 0
    done_publishing = asyncio.Event()
    all_acked = asyncio.Event()

    def on_message(msg: Received) -> None:
        nonlocal acked
        now = time.monotonic()
        for i in decode(Ack, msg.payload).ids:
            t = sent_at.pop(str(i), None)
            if t is not None:
                latencies.append(now - t)
                acked += 1
        if done_publishing.is_set() and not sent_at:
            all_acked.set()

    clients = {
        u: AsyncMqttClient(
            url.with_credentials(u, creds.password_for(u)),
            client_id=topics.unit_client_id(u),
            on_message=on_message,
            subscriptions=[(topics.topic(u, Channel.ACK), 1)],
            max_inflight=200,
            backoff=Backoff(0.2, 2),
        )
        for u in units
    }
    tasks = [asyncio.create_task(c.run()) for c in clients.values()]
    await asyncio.gather(*(c.wait_connected() for c in clients.values()))
    await asyncio.sleep(0.5)  # let SUBSCRIBEs settle before the first publish
    emit({"ready": len(clients)})

    started = time.monotonic()
    total = 0
    if args.rate <= 0:
        # Pre-build payloads so the timed part is publishing only.
        plan = {u: _flat_out_payloads(u, args.messages, args.events_per_message) for u in units}
        started = time.monotonic()
        for u, payloads in plan.items():
            for payload in payloads:
                clients[u].publish(topics.topic(u, Channel.TX), payload)
                total += args.events_per_message
            await asyncio.sleep(0)
    else:

        async def paced(u: str) -> None:
            nonlocal total
            await asyncio.sleep(random.uniform(0, 1 / args.rate))
            seq = 0
            for _ in range(args.messages):
                events = []
                for _ in range(args.events_per_message):
                    seq += 1
                    events.append(event_json(u, seq, datetime.now(UTC)))
                now = time.monotonic()
                for e in events:
                    sent_at[json.loads(e)["id"]] = now
                clients[u].publish(topics.topic(u, Channel.TX), batch_payload(events))
                total += len(events)
                await asyncio.sleep(1 / args.rate)

        await asyncio.gather(*(paced(u) for u in units))
    emit({"published": total, "seconds": round(time.monotonic() - started, 3)})

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if args.until_acked:
        done_publishing.set()
        if not sent_at:
            all_acked.set()
        waiters = [asyncio.create_task(e.wait()) for e in (stop, all_acked)]
        await asyncio.wait(waiters, timeout=args.ack_wait, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
    else:
        await stop.wait()
    for c in clients.values():
        await c.stop()
    for t in tasks:
        t.cancel()
    latencies.sort()
    emit(
        {
            "published": total,
            "acked": acked,
            "unacked": len(sent_at),
            "latencies_ms": [round(x * 1000, 2) for x in latencies] if args.rate else [],
        }
    )


def _flat_out_payloads(unit: str, messages: int, per_message: int) -> list[bytes]:
    seq = 0
    out = []
    for _ in range(messages):
        events = []
        for _ in range(per_message):
            seq += 1
            events.append(event_json(unit, seq))
        out.append(batch_payload(events))
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--broker", required=True)
    p.add_argument("--credentials", required=True)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--messages", type=int, required=True, help="messages per unit")
    p.add_argument("--events-per-message", type=int, default=1)
    p.add_argument("--rate", type=float, default=0, help="messages/s per unit; 0 = flat out")
    p.add_argument("--until-acked", action="store_true")
    p.add_argument("--ack-wait", type=float, default=30)
    asyncio.run(main(p.parse_args()))
