"""How every long-running command ends: SIGINT (Ctrl-C) or SIGTERM (a supervisor) sets an
asyncio event and the command shuts down in order instead of dying mid-write."""

from __future__ import annotations

import asyncio
import signal

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_on_signals() -> asyncio.Event:
    """An event that SIGINT or SIGTERM sets; call from inside the running loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    return stop


def restore_signals() -> None:
    """Give SIGINT and SIGTERM back their default handling (e.g. a second Ctrl-C kills)."""
    loop = asyncio.get_running_loop()
    for sig in SIGNALS:
        loop.remove_signal_handler(sig)
