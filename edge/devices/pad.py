"""The signature pad: the interface the workflow uses, and its evdev driver.

    pad = EvdevSignaturePad(profile.pad)
    async with pad.signing() as session:      # the pad is grabbed from here ...
        signature = await session.wait_for_signature(quiet_s=1.5, timeout_s=120)
        ...                                    # session.clear() for 重签 (sign again)
    # ... to here: released, so the pad works as a pointer again for the desktop

The driver only moves events; `StrokeAssembler` (pure) turns them into strokes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from edge.devices.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotFound,
    DeviceTimeout,
)
from edge.devices.events import ABS_PRESSURE, ABS_X, ABS_Y, EvdevDevice, EventDevice
from edge.devices.signature import Signature, Stroke
from edge.devices.strokes import PadGeometry, StrokeAssembler
from firmware_config.schema import PadSpec
from protocol.labels import DEVICE_LABELS
from protocol.messages import DeviceStatus

PAD = DEVICE_LABELS["pad"]

log = logging.getLogger(__name__)

Opener = Callable[[], EventDevice]


class SignaturePad(Protocol):
    """What the workflow and kiosk use; real and simulated pads implement it."""

    def signing(self, on_change: Callable[[], None] | None = None) -> SigningSession: ...
    def status(self) -> DeviceStatus: ...


def pad_geometry(dev: EventDevice, spec: PadSpec) -> PadGeometry:
    x, y = dev.axis(ABS_X), dev.axis(ABS_Y)
    if x is None or y is None:
        raise DeviceConfigError(
            f"{dev.name!r} reports no ABS_X/ABS_Y axes: not a pen digitiser "
            "(Wacom STU signature pads need Wacom's SDK and are not supported)"
        )
    return PadGeometry(x, y, dev.axis(ABS_PRESSURE), spec.swap_xy, spec.invert_x, spec.invert_y)


class SigningSession:
    """One applicant signing. An async context manager: it grabs the pad on enter, reads events
    in a background task, and ungrabs and closes on exit (also on error or cancellation)."""

    def __init__(
        self, opener: Opener, spec: PadSpec, on_change: Callable[[], None] | None = None
    ) -> None:
        self._opener = opener
        self._spec = spec
        self._on_change = on_change
        self._dev: EventDevice | None = None
        self._task: asyncio.Task[None] | None = None
        self._asm: StrokeAssembler | None = None
        self._last_event = 0.0
        self.error: DeviceError | None = None
        self.device_name = ""

    async def __aenter__(self) -> SigningSession:
        dev = self._opener()
        try:
            self._asm = StrokeAssembler(
                pad_geometry(dev, self._spec), self._spec.pressure_threshold
            )
            dev.grab()
        except BaseException:
            dev.close()
            raise
        self._dev = dev
        self.device_name = dev.name
        self._last_event = time.monotonic()
        self._task = asyncio.create_task(self._read(dev), name="signature-pad-reader")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._dev is not None:
            self._dev.ungrab()
            self._dev.close()
            self._dev = None

    @property
    def active(self) -> bool:
        return self._dev is not None

    async def _read(self, dev: EventDevice) -> None:
        assert self._asm is not None
        try:
            async for ev in dev.events():
                self._last_event = time.monotonic()
                if self._asm.feed(ev):
                    self._notify()
        except DeviceError as exc:
            log.warning("signature pad stopped: %s", exc)
            self.error = exc
            self._notify()

    def _notify(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change()
        except Exception:  # a broken UI callback must not stop the pad reader
            log.exception("signature pad on_change callback failed")

    @property
    def _assembler(self) -> StrokeAssembler:
        if self._asm is None:
            raise RuntimeError("the signing session is not open (use `async with`)")
        return self._asm

    @property
    def strokes(self) -> tuple[Stroke, ...]:
        return self._assembler.strokes

    @property
    def current_stroke(self) -> Stroke:
        """Ink of the stroke in progress; poll it (e.g. at 20 Hz) for a live preview."""
        return self._assembler.current

    @property
    def pen_down(self) -> bool:
        return self._assembler.pen_down

    @property
    def frames(self) -> int:
        return self._assembler.frames

    def clear(self) -> None:
        """重签: drop all ink so the applicant can sign again; the pad stays grabbed."""
        self._assembler.clear()
        self._notify()

    def signature(self) -> Signature:
        """The strokes so far. Raises the reader's error if the pad failed meanwhile."""
        if self.error is not None:
            raise self.error
        return self._assembler.signature()

    async def wait_for_signature(
        self, *, min_strokes: int = 1, quiet_s: float = 1.0, timeout_s: float | None = None
    ) -> Signature:
        """Wait until there is ink and the pen has rested for `quiet_s`; then return it.

        The kiosk's 确认 (confirm) button can call `signature()` instead at any time."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if self.error is not None:
                raise self.error
            asm = self._assembler
            now = time.monotonic()
            if (
                len(asm.strokes) >= min_strokes
                and not asm.pen_down
                and now - self._last_event >= quiet_s
            ):
                return asm.signature()
            if deadline is not None and now >= deadline:
                raise DeviceTimeout(f"no signature within {timeout_s} s", device="pad")
            await asyncio.sleep(min(0.05, quiet_s / 4) if quiet_s > 0 else 0.01)


class EvdevSignaturePad:
    """A HID pen digitiser read through evdev (XP-Pen, Huion, VEIKK and similar)."""

    def __init__(self, spec: PadSpec, *, opener: Opener | None = None) -> None:
        self.spec = spec
        self._opener: Opener = opener or (lambda: EvdevDevice(spec.device))
        self._session: SigningSession | None = None

    def signing(self, on_change: Callable[[], None] | None = None) -> SigningSession:
        session = SigningSession(self._opener, self.spec, on_change)
        self._session = session
        return session

    def status(self) -> DeviceStatus:
        """Cheap enough for every heartbeat: opens the node and reads its axes, no grab."""
        session = self._session
        if session is not None and session.active:
            if session.error is not None:
                return DeviceStatus.report(
                    present=False, ok=False, detail=f"{PAD}读取失败：{session.error}"
                )
            return DeviceStatus.report(
                present=True, ok=True, detail=f"签字中：{session.device_name}"
            )
        try:
            dev = self._opener()
        except DeviceNotFound:
            return DeviceStatus.report(
                present=False, ok=False, detail=f"未找到{PAD} {self.spec.device}"
            )
        except DeviceError as exc:
            return DeviceStatus.report(
                present=True, ok=False, detail=f"{PAD}不可用：{exc} ({exc.code})"
            )
        try:
            pad_geometry(dev, self.spec)
            return DeviceStatus.report(present=True, ok=True, detail=dev.name)
        except DeviceError as exc:
            return DeviceStatus.report(
                present=True, ok=False, detail=f"{PAD}不可用：{exc} ({exc.code})"
            )
        finally:
            dev.close()
