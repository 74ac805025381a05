"""A simulated signature pad: the real evdev reader fed with simulated handwriting.

`SimulatedSignaturePad` *is* an `EvdevSignaturePad` whose device is a pipe (evdev's C reader)
or an in-memory queue. When a signing session opens, it writes a signature after a short
delay, at the pace a hand would, unless `autosign=False`; `write()` signs again (after 重签).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from edge.devices.pad import EvdevSignaturePad, SigningSession
from firmware_config.schema import PadSpec
from simulators.devices.handwriting import XP_PEN_10, PadModel, handwriting
from simulators.devices.sources import FeedableDevice, MemoryEventDevice, PipeEventDevice

log = logging.getLogger(__name__)


class SimulatedSignaturePad(EvdevSignaturePad):
    def __init__(
        self,
        spec: PadSpec | None = None,
        *,
        model: PadModel = XP_PEN_10,
        signer: str = "王小明",
        transport: Literal["pipe", "memory"] = "pipe",
        autosign: bool = True,
        speed: float = 1.0,
        start_delay_s: float = 0.8,
        seed: int = 7,
    ) -> None:
        super().__init__(spec or PadSpec(device=f"sim:{model.name}"), opener=self._open)
        self.model = model
        self.signer = signer
        self.transport = transport
        self.autosign = autosign
        self.speed = speed
        self.start_delay_s = start_delay_s
        self.seed = seed
        self.device: FeedableDevice | None = None
        self._for_session = False
        self._tasks: set[asyncio.Task[None]] = set()

    def signing(self, on_change: Callable[[], None] | None = None) -> SigningSession:
        self._for_session = True
        return super().signing(on_change)

    def _open(self) -> PipeEventDevice | MemoryEventDevice:
        dev: PipeEventDevice | MemoryEventDevice
        if self.transport == "pipe":
            dev = PipeEventDevice(self.model.name, self.model.axes())
        else:
            dev = MemoryEventDevice(self.model.name, self.model.axes())
        if self._for_session:
            # Only a signing session gets the handwriting, not the status() probe.
            self._for_session = False
            self.device = dev
            dev.on_close(self._cancel_tasks)
            if self.autosign:
                self._spawn(self._write(dev, self.start_delay_s))
        return dev

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _write(self, dev: FeedableDevice, delay_s: float, seed: int | None = None) -> None:
        await asyncio.sleep(delay_s)
        events = handwriting(self.signer, self.model, seed=self.seed if seed is None else seed)
        with contextlib.suppress(OSError):  # the session closed the pipe meanwhile
            await dev.feed(events, speed=self.speed)

    async def write(self, *, seed: int | None = None) -> None:
        """Sign once more on the open session's device (e.g. after the kiosk's 重签)."""
        if self.device is None or self.device.closed:
            raise RuntimeError("no signing session is open on the simulated pad")
        await self._write(self.device, 0.0, seed)
