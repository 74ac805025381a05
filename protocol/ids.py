"""UUIDv7 event ids (RFC 9562): time-ordered, so hub indexes stay append-mostly."""

from __future__ import annotations

import os
import threading
import time
import uuid


class Uuid7Generator:
    """UUIDv7s that strictly increase, even within a millisecond or when the clock steps back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def __call__(self, now_ns: int | None = None) -> uuid.UUID:
        ms = (now_ns if now_ns is not None else time.time_ns()) // 1_000_000
        with self._lock:
            if ms > self._last_ms:
                self._last_ms = ms
                # start low in the 12-bit counter so a burst can count up without overflowing
                self._counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
            else:
                self._counter += 1
                if self._counter > 0xFFF:
                    self._last_ms += 1
                    self._counter = 0
            ms, counter = self._last_ms, self._counter
        rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand
        return uuid.UUID(int=value)


uuid7 = Uuid7Generator()


def uuid7_millis(value: uuid.UUID) -> int:
    """The Unix time in milliseconds carried by a UUIDv7."""
    return value.int >> 80
