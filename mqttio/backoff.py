"""Reconnect delays."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, so a fleet does not reconnect in lockstep."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.maximum, self.initial * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)
