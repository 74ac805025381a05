"""The peer of the ingest benchmark: a bare paho subscriber that only parses and counts.

Plain paho-mqtt with its own blocking loop (no asyncio, no database, no acks): the limit of a
Python MQTT consumer on this machine. Exits with one JSON line once it has counted --expect
events (or on SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


def main(args: argparse.Namespace) -> None:
    state: dict[str, Any] = {"events": 0, "messages": 0, "first": None, "last": None}
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bare-subscriber")
    client.username_pw_set("hub", args.password)
    client.max_inflight_messages_set(1000)

    def on_connect(c: paho.Client, *_: Any) -> None:
        c.subscribe(args.topic, qos=1)

    def on_message(c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        now = time.monotonic()
        if state["first"] is None:
            state["first"] = now
        state["events"] += len(json.loads(msg.payload)["events"])
        state["messages"] += 1
        state["last"] = now
        if state["events"] >= args.expect:
            c.disconnect()

    client.on_connect = on_connect
    client.on_message = on_message
    signal.signal(signal.SIGTERM, lambda *_: client.disconnect())
    host, port = args.broker.removeprefix("mqtt://").split(":")
    client.connect(host, int(port), keepalive=60)
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    client.loop_forever()
    span = (state["last"] or 0) - (state["first"] or 0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "events": state["events"],
        "messages": state["messages"],
        "seconds": round(span, 3),
        "events_per_s": round(state["events"] / span, 1) if span > 0 else None,
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--broker", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--topic", default="bianmin/v1/u/+/tx")
    p.add_argument("--expect", type=int, required=True)
    main(p.parse_args())
