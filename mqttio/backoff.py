"""Reconnect delays, and the round of broker URLs a client goes through after each lost or
refused connection (both MQTT clients: mqttio.client, mqttio.lean)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field

from mqttio.url import BrokerUrl

log = logging.getLogger("bianmin.mqtt")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, so a fleet does not reconnect in lockstep."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.maximum, self.initial * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class Rotation:
    """Which broker a client tries next, and how long it waits first. After a lost or refused
    connection the next URL in the list gets the next try (a node of the same cluster holds the
    same sessions and retained messages), so a dead node costs one reconnect, not an outage."""

    client_id: str
    urls: tuple[BrokerUrl, ...]
    backoff: Backoff = field(default_factory=Backoff)
    current: int = 0  # index into urls of the broker connected or tried next
    attempt: int = 0  # failed or lost connections since the last good one

    @property
    def url(self) -> BrokerUrl:
        return self.urls[self.current]

    def connected(self) -> None:
        self.attempt = 0

    def next_delay(self, failed: bool, error: str | None) -> float:
        """Move to the next broker; the wait before trying it. A failure is logged at once,
        then at growing intervals (the 1st, 2nd, 4th, 8th... in a row): a wrong or
        unreachable broker is never silent, nor a flood."""
        tried = self.url
        self.current = (self.current + 1) % len(self.urls)
        delay = self.backoff.delay(self.attempt // len(self.urls))
        if failed:
            level = logging.WARNING if (self.attempt + 1) & self.attempt == 0 else logging.DEBUG
            log.log(
                level, "%s: cannot connect to %s (%s); retrying in %.1f s (attempt %d)",
                self.client_id, tried, error, delay, self.attempt + 1,
            )  # fmt: skip
        self.attempt += 1
        return delay
