"""The hub's ingest cost per event, stage by stage, in one process (CPU time, best of N): cutting
PUBLISH frames out of the stream (the lean reader, and paho's for comparison), decoding and
checking (`take`), the commit on SQLite and PostgreSQL, and the acks (payloads, frames, PUBACKs).

The live shape of bench/ingest.py: one event per message, 1,000 units, 5,000 messages a batch.
Usage: python -m bench.ingest_stages [--postgres URL] [--repeat N]. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import psycopg
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from bench.common import batch_payload, event_json, unit_ids
from hub.db import create_tables, make_engine
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import take
from mqttio import Received, frames
from protocol import topics
from protocol.messages import ack_payload
from protocol.topics import Channel

MESSAGES = 5000


def _publish_frame(topic: str, payload: bytes, pid: int) -> bytes:
    """A QoS 1 PUBLISH as Mosquitto sends it to an MQTT 5 client."""
    raw = topic.encode()
    body = len(raw).to_bytes(2, "big") + raw + pid.to_bytes(2, "big") + b"\x00" + payload
    return b"\x32" + frames._varint(len(body)) + body


def _paho_frame(topic: str, payload: bytes, pid: int) -> bytes:
    raw = topic.encode()
    body = len(raw).to_bytes(2, "big") + raw + pid.to_bytes(2, "big") + payload
    return b"\x32" + frames._varint(len(body)) + body


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _paho_parse(stream: bytes) -> int:
    """paho's own packet handling over the same bytes (its socket replaced by the buffer)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="stages")
    count = 0

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        nonlocal count
        count += 1

    client.on_message = on_message
    view = memoryview(stream)
    pos = 0

    def recv(n: int) -> bytes:
        nonlocal pos
        chunk = bytes(view[pos : pos + n])
        pos += len(chunk)
        if not chunk:
            raise BlockingIOError
        return chunk

    client._sock_recv = recv  # type: ignore[method-assign,assignment]
    client._sock = object()  # type: ignore[assignment]
    client._state = paho._ConnectionState.MQTT_CS_CONNECTED  # type: ignore[attr-defined]
    client._send_puback = lambda mid: MQTTErrorCode.MQTT_ERR_SUCCESS  # type: ignore[method-assign]
    while pos < len(stream):
        client._packet_read()
    client._sock = None
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    units = unit_ids(1000)
    now = datetime.now(UTC)
    payloads = [
        (topics.topic(units[i % 1000], Channel.TX), batch_payload([event_json(units[i % 1000], i)]))
        for i in range(MESSAGES)
    ]
    stream = b"".join(_publish_frame(t, p, 1 + i % 65535) for i, (t, p) in enumerate(payloads))
    paho_stream = b"".join(_paho_frame(t, p, 1 + i % 65535) for i, (t, p) in enumerate(payloads))
    per = 1e6 / MESSAGES
    out: dict[str, Any] = {"messages": MESSAGES, "payload_bytes": len(payloads[0][1])}

    def lean_read() -> list[Received]:
        got: list[Received] = []
        reader = frames.Reader(1 << 24, 1 << 16)
        chunk = 256 * 1024
        rest = b""
        for start in range(0, len(stream), chunk):
            data = rest + stream[start : start + chunk]
            used = reader.feed(data, got, [])
            rest = data[used:]
        return got

    received = lean_read()
    assert len(received) == MESSAGES
    out["lean_read_us"] = round(_best(lean_read, args.repeat) * per, 2)
    out["paho_read_us"] = round(_best(lambda: _paho_parse(paho_stream), args.repeat) * per, 2)
    out["take_us"] = round(_best(lambda: take(received, now), args.repeat) * per, 2)
    intake = take(received, now)
    acks = intake.acks

    def ack() -> None:
        items = [(topics.topic(u, Channel.ACK), ack_payload(ids)) for u, ids in acks.items()]
        b"".join([frames.publish_qos0(t, p) for t, p in items])
        frames.pubacks([m.token & 0xFFFF for m in received])

    out["ack_us"] = round(_best(ack, args.repeat) * per, 2)
    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{Path(tmp) / 'stages.sqlite3'}"}
        name = f"bianmin_stages_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = args.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        targets["postgres"] = f"{base}/{name}"
        try:
            for kind, url in targets.items():
                engine = make_engine(url)
                create_tables(engine)
                times = []
                for _ in range(args.repeat):
                    fresh = take(lean_read(), now).batch  # new ids each time: real inserts
                    t0 = time.process_time()
                    w0 = time.perf_counter()
                    commit_ingest_batch(engine, fresh)
                    times.append((time.process_time() - t0, time.perf_counter() - w0))
                    payloads[:] = [
                        (t, batch_payload([event_json(t.split("/")[3], 1)])) for t, _ in payloads
                    ]
                    stream = b"".join(
                        _publish_frame(t, p, 1 + i % 65535) for i, (t, p) in enumerate(payloads)
                    )
                out[f"commit_{kind}_cpu_us"] = round(min(c for c, _ in times) * per, 2)
                out[f"commit_{kind}_wall_us"] = round(min(w for _, w in times) * per, 2)
                engine.dispose()
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(out))


if __name__ == "__main__":
    main()
