"""The 5-level satisfaction rating device (评价器): interface, pure key decoding, evdev driver.

    rating = EvdevRatingDevice(profile.rating)
    await rating.start()                     # opens and grabs the keypad for good
    result = await rating.collect()          # one rating per case (一事一评)
    if result.needs_reason: ...              # the kiosk asks why (不满意 / 非常不满意)
    await rating.close()

The keypad stays grabbed while the unit runs, so its digits never reach the kiosk browser;
presses made while no rating is asked for are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from edge.devices.errors import DeviceError, DeviceNotFound
from edge.devices.events import (
    EV_KEY,
    KEY_DOWN,
    EvdevDevice,
    EventDevice,
    RawEvent,
    key_code,
    timestamp,
)
from firmware_config.schema import RatingSpec
from protocol.labels import BAD_RATINGS, DEVICE_LABELS, NOT_RATED_LABEL, RATING_LABELS
from protocol.messages import DeviceStatus

RATING = DEVICE_LABELS["rating"]

log = logging.getLogger(__name__)

RECONNECT_S = 2.0


@dataclass(frozen=True)
class RatingResult:
    level: int | None  # 1..5, or None when the applicant did not rate before the timeout
    label: str
    needs_reason: bool
    key: str | None = None  # the evdev key that gave the rating, for audits of miswired pads
    at: datetime | None = None

    @property
    def rated(self) -> bool:
        return self.level is not None

    @classmethod
    def of(cls, level: int, key: str | None = None, at: datetime | None = None) -> RatingResult:
        if level not in RATING_LABELS:
            raise ValueError(f"rating level must be 1..5, got {level}")
        return cls(level, RATING_LABELS[level], level in BAD_RATINGS, key, at)

    @classmethod
    def not_rated(cls) -> RatingResult:
        return cls(None, NOT_RATED_LABEL, False)


@dataclass(frozen=True)
class Press:
    level: int
    code: int
    t: float  # the event's own timestamp (kernel clock), so debouncing is deterministic


class KeyDecoder:
    """Key events to rating presses: key-down only, mapped keys only, debounced."""

    def __init__(self, keymap: Mapping[int, int], debounce_ms: int) -> None:
        self.keymap = dict(keymap)
        self.debounce_s = debounce_ms / 1000
        self._last: float | None = None

    def feed(self, ev: RawEvent) -> Press | None:
        # value 1 is down; 2 is autorepeat while held and 0 is release: neither is a new press.
        if ev.type != EV_KEY or ev.value != KEY_DOWN:
            return None
        level = self.keymap.get(ev.code)
        if level is None:
            return None
        t = timestamp(ev)
        if self._last is not None and 0 <= t - self._last < self.debounce_s:
            return None  # contact bounce, or a double tap: one press counts
        self._last = t
        return Press(level, ev.code, t)


def keymap_codes(spec: RatingSpec) -> dict[int, int]:
    return {key_code(name): level for name, level in spec.keymap.items()}


class RatingDevice(Protocol):
    """What the workflow and kiosk use; real and simulated devices implement it."""

    async def start(self) -> None: ...
    async def collect(self, timeout_s: float | None = None) -> RatingResult: ...
    async def close(self) -> None: ...
    def status(self) -> DeviceStatus: ...


Opener = Callable[[], EventDevice]


class EvdevRatingDevice:
    """A USB HID keypad rating device read through evdev; reconnects after an unplug."""

    def __init__(self, spec: RatingSpec, *, opener: Opener | None = None) -> None:
        self.spec = spec
        self._opener: Opener = opener or (lambda: EvdevDevice(spec.device))
        self._decoder: KeyDecoder | None = None
        self._names: dict[int, str] = {}
        self._presses: asyncio.Queue[Press] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._dev: EventDevice | None = None
        self._error: DeviceError | None = None
        self._collecting = False
        self.dropped = 0  # presses outside a prompt, for the log and tests

    async def start(self) -> None:
        if self._task is not None:
            return
        codes = keymap_codes(self.spec)  # a bad keymap fails here, loudly, not at first press
        self._names = {code: name for name, code in zip(self.spec.keymap, codes, strict=True)}
        self._decoder = KeyDecoder(codes, self.spec.debounce_ms)
        self._connect()  # the first open raises, so a missing keypad shows at start-up
        self._task = asyncio.create_task(self._run(), name="rating-reader")

    def _connect(self) -> None:
        dev = self._opener()
        try:
            dev.grab()
        except BaseException:
            dev.close()
            raise
        self._dev, self._error = dev, None

    def _disconnect(self) -> None:
        if self._dev is not None:
            self._dev.ungrab()
            self._dev.close()
            self._dev = None

    async def _run(self) -> None:
        assert self._decoder is not None
        while True:
            if self._dev is None:
                try:
                    self._connect()
                except DeviceError as exc:
                    self._error = exc
                    await asyncio.sleep(RECONNECT_S)
                    continue
                log.info("rating device reconnected")
            assert self._dev is not None
            try:
                async for ev in self._dev.events():
                    press = self._decoder.feed(ev)
                    if press is None:
                        continue
                    if self._collecting:
                        self._presses.put_nowait(press)
                    else:
                        self.dropped += 1
                        log.info("rating key pressed while no rating was asked; ignored")
            except DeviceError as exc:
                log.warning("rating device lost: %s", exc)
                self._error = exc
                self._disconnect()
                await asyncio.sleep(RECONNECT_S)

    async def collect(self, timeout_s: float | None = None) -> RatingResult:
        """Wait for one rating; after the timeout (the profile's by default) return 未评价."""
        await self.start()
        while not self._presses.empty():  # stale presses from before the prompt do not count
            self._presses.get_nowait()
        limit = self.spec.timeout_s if timeout_s is None else timeout_s
        self._collecting = True
        try:
            async with asyncio.timeout(limit):
                press = await self._presses.get()
        except TimeoutError:
            return RatingResult.not_rated()
        finally:
            self._collecting = False
        at = datetime.fromtimestamp(press.t, UTC)
        return RatingResult.of(press.level, self._names.get(press.code), at)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._disconnect()

    @property
    def device(self) -> EventDevice | None:
        """The open, grabbed keypad (None while disconnected)."""
        return self._dev

    def status(self) -> DeviceStatus:
        if self._task is not None:
            if self._dev is not None:
                return DeviceStatus.report(present=True, ok=True, detail=self._dev.name)
            detail = f"{RATING}已断开：{self._error}" if self._error else f"{RATING}已断开"
            return DeviceStatus.report(present=False, ok=False, detail=detail)
        try:
            dev = self._opener()
        except DeviceNotFound:
            return DeviceStatus.report(
                present=False, ok=False, detail=f"未找到{RATING} {self.spec.device}"
            )
        except DeviceError as exc:
            return DeviceStatus.report(
                present=True, ok=False, detail=f"{RATING}不可用：{exc} ({exc.code})"
            )
        dev.close()
        return DeviceStatus.report(present=True, ok=True, detail=f"{dev.name}（未启动）")
