"""Simulated evdev devices that the real pad and rating readers consume unchanged.

- `PipeEventDevice`: events are packed as `struct input_event` into an os.pipe and read back by
  python-evdev's own C reader (EventIO), so the integration path is the production one minus the
  kernel. This machine (and CI) has no /dev/uinput, which rules out a real virtual device.
- `MemoryEventDevice`: an in-memory queue of events, for fast unit tests.

Both record grabs, so tests can prove the device was held exactly while in use.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from functools import cache
from typing import Any, Protocol

from edge.devices.errors import DeviceBusy, DeviceDisconnected
from edge.devices.events import EV_SYN, SYN_REPORT, AxisRange, Event, RawEvent, read_eventio

# struct input_event on 64-bit Linux (x86_64, aarch64): time as two longs, u16 type, u16 code,
# s32 value. 32-bit ARM differs, which is fine: simulators run on developer machines and CI.
INPUT_EVENT = struct.Struct("llHHi")
_EVENTS_PER_WRITE = 4096 // INPUT_EVENT.size  # writes up to PIPE_BUF are atomic


class FeedableDevice(Protocol):
    grabbed: bool
    grab_count: int
    closed: bool

    def on_close(self, callback: Callable[[], None]) -> None: ...
    async def feed(
        self, events: Iterable[RawEvent], *, speed: float = 0.0, rebase: bool = True
    ) -> None: ...
    def end(self) -> None: ...


class _Base:
    def __init__(self, name: str, axes: dict[int, AxisRange] | None = None) -> None:
        self._name = name
        self._axes = dict(axes or {})
        self.grabbed = False
        self.grab_count = 0
        self.closed = False
        self._close_hooks: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        return self._name

    def axis(self, code: int) -> AxisRange | None:
        return self._axes.get(code)

    def grab(self) -> None:
        if self.grabbed:
            raise DeviceBusy(f"{self._name} is already grabbed")
        self.grabbed = True
        self.grab_count += 1

    def ungrab(self) -> None:
        self.grabbed = False

    def on_close(self, callback: Callable[[], None]) -> None:
        self._close_hooks.append(callback)

    def _run_close_hooks(self) -> None:
        self.closed = True
        hooks, self._close_hooks = self._close_hooks, []
        for hook in hooks:
            hook()


def _frames(events: Iterable[RawEvent]) -> list[list[RawEvent]]:
    """Group events into SYN_REPORT frames: a frame is what the kernel delivers at once."""
    frames: list[list[RawEvent]] = []
    current: list[RawEvent] = []
    for ev in events:
        current.append(ev)
        if ev.type == EV_SYN and ev.code == SYN_REPORT:
            frames.append(current)
            current = []
    if current:
        frames.append(current)
    return frames


async def _paced(
    events: Iterable[RawEvent], speed: float, rebase: bool
) -> AsyncIterator[list[Event]]:
    """Yield frames at their recorded pace (speed 1.0 is real time; 0 is as fast as possible),
    with timestamps moved to now so downstream timing looks live."""
    frames = _frames(events)
    if not frames:
        return
    t_first = frames[0][0].sec + frames[0][0].usec / 1e6
    wall0 = time.time()
    mono0 = time.monotonic()
    for frame in frames:
        offset = frame[0].sec + frame[0].usec / 1e6 - t_first
        if speed > 0:
            delay = mono0 + offset / speed - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            await asyncio.sleep(0)
        out = []
        for ev in frame:
            t = ev.sec + ev.usec / 1e6
            if rebase:
                t = wall0 + (t - t_first)
            out.append(Event.at(t, ev.type, ev.code, ev.value))
        yield out


class MemoryEventDevice(_Base):
    """An in-memory device: events pushed now or fed later come out of `events()`."""

    def __init__(
        self,
        name: str,
        axes: dict[int, AxisRange] | None = None,
        script: Sequence[RawEvent] = (),
        *,
        end_after_script: bool = False,
    ) -> None:
        super().__init__(name, axes)
        self._queue: asyncio.Queue[RawEvent | None] = asyncio.Queue()
        for ev in script:
            self._queue.put_nowait(ev)
        if end_after_script:
            self._queue.put_nowait(None)

    def push(self, ev: RawEvent) -> None:
        self._queue.put_nowait(ev)

    def end(self) -> None:
        """Simulate an unplug: the reader sees its stream end."""
        self._queue.put_nowait(None)

    async def feed(
        self, events: Iterable[RawEvent], *, speed: float = 0.0, rebase: bool = True
    ) -> None:
        async for frame in _paced(events, speed, rebase):
            if self.closed:
                return
            for ev in frame:
                self._queue.put_nowait(ev)

    async def events(self) -> AsyncIterator[RawEvent]:
        while True:
            ev = await self._queue.get()
            if ev is None:
                raise DeviceDisconnected(f"{self._name}: event stream ended")
            yield ev

    def close(self) -> None:
        self.ungrab()
        self._run_close_hooks()


@cache
def _pipe_eventio_class() -> type[Any]:
    """An evdev EventIO over a pipe's read end; built lazily so evdev loads only when used."""
    from evdev.eventio_async import EventIO

    class PipeEventIO(EventIO):
        def __init__(self, fd: int) -> None:
            self.fd = fd

    return PipeEventIO


class PipeEventDevice(_Base):
    """Events go into an os.pipe as `struct input_event` and come out through evdev's reader."""

    def __init__(self, name: str, axes: dict[int, AxisRange] | None = None) -> None:
        super().__init__(name, axes)
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        os.set_blocking(self._w, False)
        self._io = _pipe_eventio_class()(self._r)
        self._w_open = True

    def inject(self, ev: RawEvent) -> None:
        """Write one event now (raises BlockingIOError if the pipe is full)."""
        os.write(self._w, INPUT_EVENT.pack(ev.sec, ev.usec, ev.type, ev.code, ev.value))

    async def _write(self, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                os.write(self._w, data)
                return
            except BlockingIOError:
                ready = loop.create_future()
                loop.add_writer(self._w, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_writer(self._w)

    async def feed(
        self, events: Iterable[RawEvent], *, speed: float = 0.0, rebase: bool = True
    ) -> None:
        batch: list[Event] = []
        async for frame in _paced(events, speed, rebase):
            if self.closed or not self._w_open:
                return
            batch.extend(frame)
            # When replaying fast, pack many frames per write; in real time, one frame each.
            if speed > 0 or len(batch) >= _EVENTS_PER_WRITE - 16:
                await self._write(b"".join(self._pack(ev) for ev in batch))
                batch = []
        if batch and not self.closed and self._w_open:
            await self._write(b"".join(self._pack(ev) for ev in batch))

    @staticmethod
    def _pack(ev: RawEvent) -> bytes:
        return INPUT_EVENT.pack(ev.sec, ev.usec, ev.type, ev.code, ev.value)

    def end(self) -> None:
        """Close the write end: the reader sees end of stream, as after an unplug."""
        if self._w_open:
            self._w_open = False
            os.close(self._w)

    def events(self) -> AsyncIterator[RawEvent]:
        return read_eventio(self._io, self._name)

    def close(self) -> None:
        if self.closed:
            return
        self.ungrab()
        self._run_close_hooks()
        self._io.close()  # removes the asyncio reader if one was registered
        os.close(self._r)
        self.end()
