"""Switching a running window to the devices of a newly applied configuration, between two
device steps: a signature being drawn, a slip printing or a rating awaited finishes on the
devices it started on, and the next step uses the new ones. The open case is never touched.

The old devices are closed before the new ones start (a keypad grabbed by the old device
cannot be grabbed by the new one), and the next step waits for that (``ready``). At most one
offer waits: a newer configuration's devices replace an offer still waiting, which is dropped
unused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from edge.devices.bundle import Devices
from edge.face.service import FaceService
from edge.window.camera import CameraDevice
from edge.window.parts import WindowParts

log = logging.getLogger("bianmin.edge.window")


@dataclass(frozen=True)
class Hardware:
    """What a window's device steps use, all of it built from the hardware profile."""

    devices: Devices
    camera: CameraDevice | None
    face: FaceService | None


async def close_unused(old: Hardware, kept: Hardware) -> None:
    """Close the parts of ``old`` that ``kept`` does not use any more."""
    if old.camera is not None and old.camera is not kept.camera:
        with contextlib.suppress(Exception):
            old.camera.close()
    if old.devices is not kept.devices:
        try:
            await old.devices.close()
        except Exception:  # an old device failing to close must not stop the new ones
            log.exception("closing the replaced devices failed")


class HardwareSwitch:
    """Owned by a window; ``busy`` says whether a device step is running."""

    def __init__(
        self, parts: WindowParts, busy: Callable[[], bool], switched: Callable[[], None]
    ) -> None:
        self.p = parts
        self._busy = busy
        self._switched = switched
        self._offer: Hardware | None = None
        self._ready = asyncio.Event()
        self._ready.set()
        self._changing: asyncio.Task[None] | None = None

    @property
    def pending(self) -> bool:
        """New hardware is waiting for the running device step to end."""
        return self._offer is not None

    def current(self) -> Hardware:
        return Hardware(self.p.devices, self.p.camera, self.p.face)

    def offer(self, new: Hardware) -> None:
        """Use ``new`` at once when no device step runs, else when the running one ends."""
        replaced, self._offer = self._offer, new
        if replaced is not None:  # a newer configuration came before the last one was used
            log.info("new devices offered before the last offer was used; it is dropped")
        self.when_idle()

    def when_idle(self) -> None:
        """Switch now if an offer waits and no device step runs (called between steps)."""
        new = self._offer
        if new is None or self._busy():
            return
        self._offer = None
        old = self.current()
        self.p.devices, self.p.camera, self.p.face = new.devices, new.camera, new.face
        self._switched()
        self._ready.clear()
        previous = self._changing
        self._changing = asyncio.ensure_future(self._change(previous, old, new))

    async def _change(
        self, previous: asyncio.Task[None] | None, old: Hardware, new: Hardware
    ) -> None:
        try:
            if previous is not None:
                await previous
            await close_unused(old, new)
            if new.devices is not old.devices:
                await new.devices.start()
            log.info("window switched to the new configuration's devices")
        except Exception:  # the step that needs the device says so to the clerk
            log.exception("starting the new configuration's devices failed")
        finally:
            if self._changing is asyncio.current_task():
                self._ready.set()

    async def ready(self) -> None:
        """Return once the devices switched to are started (at once when none are changing)."""
        await self._ready.wait()

    async def close(self) -> None:
        """Drop an offer never used, and wait for a switch in progress to end."""
        self._offer = None
        if self._changing is not None:
            with contextlib.suppress(Exception):
                await self._changing
