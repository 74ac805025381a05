"""A simulated 5-key rating device: the real evdev reader fed with HID keyboard events.

Each press is what a USB HID keypad sends: MSC_SCAN with the HID usage, KEY down, SYN, then
autorepeat (value 2) while held past the repeat delay, and KEY up, SYN. `bounce=True` adds the
second key-down a worn switch produces a few milliseconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any, Literal

from edge.devices.events import EV_KEY, EV_MSC, EV_SYN, MSC_SCAN, SYN_REPORT, Event, key_code
from edge.devices.rating import EvdevRatingDevice, RatingResult
from firmware_config.schema import RatingSpec
from simulators.devices.sources import MemoryEventDevice, PipeEventDevice

DEFAULT_SPEC = RatingSpec(
    device="sim:rating",
    keymap={"KEY_1": 5, "KEY_2": 4, "KEY_3": 3, "KEY_4": 2, "KEY_5": 1},
)


def hid_usage(name: str) -> int:
    """The HID keyboard usage (page 7) a keypad reports in MSC_SCAN for an evdev key name."""
    if name.startswith("KEY_KP") and name[6:].isdigit():
        n = int(name[6:])
        return 0x70062 if n == 0 else 0x70059 + n - 1
    if name.startswith("KEY_F") and name[5:].isdigit():
        return 0x7003A + int(name[5:]) - 1
    if name.startswith("KEY_") and name[4:].isdigit():
        n = int(name[4:])
        return 0x70027 if n == 0 else 0x7001E + n - 1
    return 0x70000


def key_press(
    name: str,
    t: float,
    *,
    hold_s: float = 0.09,
    bounce: bool = False,
    repeat_delay_s: float = 0.25,
    repeat_hz: float = 33.0,
) -> list[Event]:
    code, scan = key_code(name), hid_usage(name)
    ev: list[Event] = [
        Event.at(t, EV_MSC, MSC_SCAN, scan),
        Event.at(t, EV_KEY, code, 1),
        Event.at(t, EV_SYN, SYN_REPORT, 0),
    ]
    if bounce:
        bt = t + 0.006
        ev += [
            Event.at(bt, EV_KEY, code, 0),
            Event.at(bt, EV_SYN, SYN_REPORT, 0),
            Event.at(bt + 0.004, EV_KEY, code, 1),
            Event.at(bt + 0.004, EV_SYN, SYN_REPORT, 0),
        ]
    rt = t + repeat_delay_s
    while rt < t + hold_s:
        ev += [Event.at(rt, EV_KEY, code, 2), Event.at(rt, EV_SYN, SYN_REPORT, 0)]
        rt += 1 / repeat_hz
    up = t + hold_s
    ev += [
        Event.at(up, EV_MSC, MSC_SCAN, scan),
        Event.at(up, EV_KEY, code, 0),
        Event.at(up, EV_SYN, SYN_REPORT, 0),
    ]
    return ev


class SimulatedRatingDevice(EvdevRatingDevice):
    """Presses the next planned level `delay_s` after each `collect()` starts; None = no press."""

    def __init__(
        self,
        spec: RatingSpec | None = None,
        *,
        choices: Iterable[int | None] = (5,),
        delay_s: float | tuple[float, float] = 1.0,  # a range: a person's time, drawn each case
        transport: Literal["pipe", "memory"] = "pipe",
        hold_s: float = 0.09,
        bounce: bool = False,
        name: str = "SZ Rating 5-key keypad",
    ) -> None:
        super().__init__(spec or DEFAULT_SPEC, opener=self._open)
        self._choices: Iterator[int | None] = itertools.cycle(list(choices) or [None])
        self.delay_s = delay_s
        self.transport = transport
        self.hold_s = hold_s
        self.bounce = bounce
        self.name = name
        self._level_keys: dict[int, str] = {lvl: key for key, lvl in self.spec.keymap.items()}
        self._tasks: set[asyncio.Task[None]] = set()

    def plan(self, choices: Iterable[int | None]) -> None:
        self._choices = itertools.cycle(list(choices) or [None])

    def _open(self) -> PipeEventDevice | MemoryEventDevice:
        if self.transport == "pipe":
            return PipeEventDevice(self.name)
        return MemoryEventDevice(self.name)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def collect(self, timeout_s: float | None = None) -> RatingResult:
        await self.start()
        level = next(self._choices)
        if level is not None:
            d = self.delay_s
            delay = random.uniform(*d) if isinstance(d, tuple) else d
            self._spawn(self._press_later(level, delay))
        return await super().collect(timeout_s)

    async def _press_later(self, level: int, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        await self.press(level)

    async def press(
        self, level: int, *, hold_s: float | None = None, bounce: bool | None = None
    ) -> None:
        """Press the key mapped to `level` now, as the applicant would."""
        dev = self.device
        if not isinstance(dev, PipeEventDevice | MemoryEventDevice) or dev.closed:
            raise RuntimeError("the simulated rating device is not open (call start())")
        events = key_press(
            self._level_keys[level],
            time.time(),
            hold_s=self.hold_s if hold_s is None else hold_s,
            bounce=self.bounce if bounce is None else bounce,
        )
        with contextlib.suppress(OSError):
            await dev.feed(events, speed=1.0, rebase=False)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await super().close()
