"""The agent's recent log lines, kept in memory for the `diagnostics` command: a bounded ring
on the ``bianmin`` logger, installed once per process (a simulated fleet shares it; each
unit's lines carry its id)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque

RING_LINES = 400


class LogRing(logging.Handler):
    def __init__(self, capacity: int = RING_LINES) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=capacity)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # a log line that cannot be formatted is not worth a failure
        with contextlib.suppress(Exception):
            self.lines.append(self.format(record).splitlines()[0] if record.msg else "")

    def recent(self, count: int, unit: str | None = None) -> list[str]:
        lines = list(self.lines)
        if unit is not None:
            lines = [line for line in lines if unit in line] or lines
        return lines[-count:]


_ring: LogRing | None = None
_lock = threading.Lock()


def ring() -> LogRing:
    global _ring
    with _lock:
        if _ring is None:
            _ring = LogRing()
            logging.getLogger("bianmin").addHandler(_ring)
        return _ring
