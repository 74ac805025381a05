"""What the rest of the code sees of MQTT: frozen values, never paho's objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    # what acknowledges it to the broker after it is committed (LeanSubscriber.acknowledge);
    # 0: nothing to acknowledge (QoS 0, or the paho client, which acknowledges on receipt)
    token: int = 0


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class Publication:
    mid: int
