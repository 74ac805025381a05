"""Changing a running Mosquitto's access rules through its dynamic-security admin topic.

The plugin reads its file only at start, and a restart would drop every unit's connection for a
change that concerns one; the admin topic applies the change live and the plugin saves it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import secrets
from collections.abc import Sequence
from typing import Any

from mqttio import AsyncMqttClient, Backoff, BrokerUrl, ClientTls, Received
from provisioning.dynsec import ADMIN_USER, CONTROL_TOPIC, RESPONSE_TOPIC, Command
from provisioning.errors import BrokerError

# Commands go in messages of at most this size, far below the broker's packet limit: one
# createRole carries a unit's whole ACL list, and a county may add hundreds of units at once.
MAX_MESSAGE_BYTES = 128 * 1024


def encode(batch: Sequence[Command]) -> bytes:
    return json.dumps({"commands": list(batch)}, separators=(",", ":")).encode()


def chunks(commands: Sequence[Command], limit: int = MAX_MESSAGE_BYTES) -> list[list[Command]]:
    """Split commands into messages of at most ``limit`` bytes once encoded (a command is never
    split, so one larger than the limit goes alone)."""
    out: list[list[Command]] = []
    size = limit  # start a new message at the first command
    for command in commands:
        length = len(encode([command])) - len(encode([])) + 1  # and its comma
        if size + length > limit:
            out.append([])
            size = len(encode([]))
        out[-1].append(command)
        size += length
    return out


async def send(
    url: BrokerUrl,
    commands: Sequence[Command],
    timeout: float = 10.0,
    tls: ClientTls | None = None,
) -> None:
    """Run ``commands`` as the admin (``url`` carries its credentials); raise BrokerError
    naming every command the plugin refused."""
    responses: asyncio.Queue[bytes] = asyncio.Queue()

    def on_message(msg: Received) -> None:
        responses.put_nowait(msg.payload)

    client = AsyncMqttClient(
        url,
        client_id=f"{ADMIN_USER}-{secrets.token_hex(4)}",
        on_message=on_message,
        subscriptions=[(RESPONSE_TOPIC, 1)],
        backoff=Backoff(0.2, 1.0),
        tls=tls,
    )
    task = asyncio.create_task(client.run())
    try:
        try:
            await asyncio.wait_for(client.wait_subscribed(), timeout)
        except TimeoutError:
            raise BrokerError(f"no admin connection to the broker: {client.last_error}") from None
        if client.refused_subscriptions:
            raise BrokerError(f"the broker refused the admin {RESPONSE_TOPIC}")
        failed: list[str] = []
        for batch in chunks(commands):
            client.publish(CONTROL_TOPIC, encode(batch))
            try:
                answer = await asyncio.wait_for(responses.get(), timeout)
            except TimeoutError:
                raise BrokerError("the broker's dynamic-security plugin did not answer") from None
            failed += _failures(batch, json.loads(answer))
        if failed:
            raise BrokerError("the broker refused: " + "; ".join(failed))
    finally:
        await client.stop()
        await asyncio.gather(task, return_exceptions=True)


def _failures(batch: list[Command], answer: dict[str, Any]) -> list[str]:
    results = answer.get("responses", [])
    if len(results) != len(batch):
        return [f"{len(batch)} commands sent, {len(results)} answered"]
    return [
        f"{sent['command']} {sent.get('username') or sent.get('rolename')}: {got['error']}"
        for sent, got in zip(batch, results, strict=True)
        if "error" in got
    ]


def send_blocking(
    url: BrokerUrl,
    commands: Sequence[Command],
    timeout: float = 10.0,
    tls: ClientTls | None = None,
) -> None:
    """``send`` for synchronous callers, on a loop of its own (callers may be inside one)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send(url, commands, timeout, tls)).result()
