"""Input-event sources: the one seam between evdev and the pad and rating readers.

The readers consume any `EventDevice`: the real `EvdevDevice` around `evdev.InputDevice`, or the
simulators' pipe-fed and in-memory devices. Event codes are the Linux input ABI numbers; they are
spelled here so that importing this module does not import evdev (a unit without pads, and the
hub, must still import the package).
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from edge.devices.errors import DeviceConfigError, DeviceDisconnected, from_os_error

# linux/input-event-codes.h: stable kernel ABI
EV_SYN, EV_KEY, EV_ABS, EV_MSC = 0x00, 0x01, 0x03, 0x04
SYN_REPORT, SYN_DROPPED = 0, 3
ABS_X, ABS_Y, ABS_PRESSURE = 0x00, 0x01, 0x18
BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOUCH, BTN_STYLUS = 0x140, 0x141, 0x14A, 0x14B
MSC_SCAN = 0x04
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2


class RawEvent(Protocol):
    """What the readers need from an event; `evdev.InputEvent` and `Event` both fit."""

    @property
    def sec(self) -> int: ...
    @property
    def usec(self) -> int: ...
    @property
    def type(self) -> int: ...
    @property
    def code(self) -> int: ...
    @property
    def value(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Event:
    """A plain input event for scripts and simulators."""

    sec: int
    usec: int
    type: int
    code: int
    value: int

    @classmethod
    def at(cls, t: float, type_: int, code: int, value: int) -> Event:
        sec = int(t)
        return cls(sec, round((t - sec) * 1_000_000), type_, code, value)


def timestamp(ev: RawEvent) -> float:
    return ev.sec + ev.usec / 1_000_000


@dataclass(frozen=True, slots=True)
class AxisRange:
    """An absolute axis as `absinfo()` reports it; resolution is units per mm (0 if unknown)."""

    minimum: int
    maximum: int
    resolution: int = 0

    @property
    def span(self) -> int:
        return max(1, self.maximum - self.minimum)


class EventDevice(Protocol):
    """An open input device the readers consume; real and simulated ones implement it."""

    @property
    def name(self) -> str: ...
    def axis(self, code: int) -> AxisRange | None: ...
    def grab(self) -> None: ...
    def ungrab(self) -> None: ...
    def close(self) -> None: ...
    def events(self) -> AsyncIterator[RawEvent]: ...


async def read_eventio(io: Any, what: str) -> AsyncIterator[RawEvent]:
    """Yield events from an evdev EventIO (an InputDevice, or a pipe in the simulators).

    Uses evdev's `async_read()` per batch rather than `async_read_loop()`: at end of stream the
    latter raises StopIteration into a future and hangs, while an empty batch here is a clean
    end that we turn into DeviceDisconnected. `io` is untyped because evdev annotates
    `async_read()` as a future of one event while it resolves to an iterator of them.
    """
    while True:
        try:
            batch = list(await io.async_read())
        except BlockingIOError:
            continue  # woken without data (spurious readiness); wait again
        except OSError as exc:
            raise from_os_error(exc, what) from exc
        if not batch:
            raise DeviceDisconnected(f"{what}: event stream ended")
        for ev in batch:
            yield ev


class EvdevDevice:
    """The production `EventDevice`: a kernel evdev node opened with python-evdev."""

    def __init__(self, path: str) -> None:
        import evdev

        self.path = path
        try:
            self._dev: Any = evdev.InputDevice(path)
        except OSError as exc:
            if exc.errno == errno.ENOTTY:
                raise DeviceConfigError(f"{path} is not an evdev input device") from exc
            raise from_os_error(exc, f"input device {path}", device=path) from exc
        self._grabbed = False

    @property
    def name(self) -> str:
        return str(self._dev.name)

    def axis(self, code: int) -> AxisRange | None:
        caps = self._dev.capabilities(absinfo=True).get(EV_ABS, [])
        for entry in caps:
            if isinstance(entry, tuple) and entry[0] == code:
                info = entry[1]
                return AxisRange(int(info.min), int(info.max), int(info.resolution))
        return None

    def grab(self) -> None:
        try:
            self._dev.grab()
        except OSError as exc:
            raise from_os_error(exc, f"grab {self.path}", device=self.path) from exc
        self._grabbed = True

    def ungrab(self) -> None:
        if not self._grabbed:
            return
        self._grabbed = False
        with contextlib.suppress(OSError):  # the node is gone (unplugged): nothing to release
            self._dev.ungrab()

    def close(self) -> None:
        self.ungrab()
        with contextlib.suppress(OSError):
            self._dev.close()

    def events(self) -> AsyncIterator[RawEvent]:
        return read_eventio(self._dev, f"input device {self.path}")


def key_code(name: str) -> int:
    """The evdev code of a key name from a profile keymap (KEY_1, KEY_KP5, BTN_0, ...)."""
    from evdev import ecodes

    code = ecodes.ecodes.get(name)
    if not isinstance(code, int):
        raise DeviceConfigError(f"unknown evdev key name {name!r} in the keymap")
    return code


def key_name(code: int) -> str:
    from evdev import ecodes

    names = ecodes.KEY.get(code) or ecodes.BTN.get(code)
    if isinstance(names, list | tuple):
        return str(names[0])
    return str(names) if names else f"KEY_{code}"
