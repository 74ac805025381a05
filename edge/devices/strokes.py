"""Turn a signature pad's evdev events into strokes: pure code, fed one event at a time.

Axes only report changes, so the last X, Y and pressure are kept and a point is taken on each
SYN_REPORT while the pen is down. Pen down is BTN_TOUCH *or* pressure above a threshold,
because some pads never send BTN_TOOL_PEN and a few send pressure without BTN_TOUCH.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.devices.events import (
    ABS_PRESSURE,
    ABS_X,
    ABS_Y,
    BTN_TOOL_PEN,
    BTN_TOOL_RUBBER,
    BTN_TOUCH,
    EV_ABS,
    EV_KEY,
    EV_SYN,
    SYN_DROPPED,
    SYN_REPORT,
    AxisRange,
    RawEvent,
    timestamp,
)
from edge.devices.signature import PRESSURE_SCALE, SCALE, Point, Signature, Stroke


@dataclass(frozen=True)
class PadGeometry:
    """The pad's axes (from absinfo) and how it is mounted (from the profile)."""

    x: AxisRange
    y: AxisRange
    pressure: AxisRange | None
    swap_xy: bool = False
    invert_x: bool = False
    invert_y: bool = False

    @property
    def aspect(self) -> float:
        """Physical width / height of the writing area (as mounted)."""
        if self.x.resolution and self.y.resolution:
            w, h = self.x.span / self.x.resolution, self.y.span / self.y.resolution
        else:
            w, h = float(self.x.span), float(self.y.span)  # unknown unit size: assume square
        return h / w if self.swap_xy else w / h

    def normalise(self, raw_x: int, raw_y: int, raw_p: int) -> tuple[int, int, int]:
        fx = (min(max(raw_x, self.x.minimum), self.x.maximum) - self.x.minimum) / self.x.span
        fy = (min(max(raw_y, self.y.minimum), self.y.maximum) - self.y.minimum) / self.y.span
        if self.swap_xy:
            fx, fy = fy, fx
        if self.invert_x:
            fx = 1 - fx
        if self.invert_y:
            fy = 1 - fy
        if self.pressure is None:
            fp = 1.0  # pads without a pressure axis draw at full weight
        else:
            p = min(max(raw_p, self.pressure.minimum), self.pressure.maximum)
            fp = (p - self.pressure.minimum) / self.pressure.span
        return round(fx * SCALE), round(fy * SCALE), round(fp * PRESSURE_SCALE)


class StrokeAssembler:
    """Feeds on raw events, keeps finished strokes, and can be cleared for a redo."""

    def __init__(self, geometry: PadGeometry, pressure_threshold: int) -> None:
        self.geometry = geometry
        self.threshold = pressure_threshold
        self._x = geometry.x.minimum
        self._y = geometry.y.minimum
        self._p = 0
        self._touch = False
        self._eraser = False
        self._dropped = False
        self._t0: float | None = None
        self._current: list[Point] = []
        self._strokes: list[Stroke] = []
        self.frames = 0  # SYN_REPORTs seen; lets tests and the kiosk see that events flow

    @property
    def pen_down(self) -> bool:
        return bool(self._current)

    @property
    def strokes(self) -> tuple[Stroke, ...]:
        return tuple(self._strokes)

    @property
    def current(self) -> Stroke:
        """The stroke being drawn right now (empty while the pen is up), for live ink."""
        return tuple(self._current)

    def clear(self) -> None:
        """Forget all ink (the applicant asked to sign again); the pen state is kept."""
        self._strokes.clear()
        self._current = []
        self._t0 = None

    def signature(self) -> Signature:
        """The finished strokes; a stroke still being drawn is left out."""
        # rounded as in the vector data, so a stored signature equals the captured one
        return Signature(tuple(self._strokes), round(self.geometry.aspect, 4))

    def feed(self, ev: RawEvent) -> bool:
        """Consume one event; return True when a stroke was finished."""
        if ev.type == EV_SYN and ev.code == SYN_DROPPED:
            # The kernel buffer overflowed: events until the next SYN_REPORT are partial.
            self._dropped = True
            return self._finish()
        if self._dropped:
            if ev.type == EV_SYN and ev.code == SYN_REPORT:
                self._dropped = False
            return False
        if ev.type == EV_ABS:
            if ev.code == ABS_X:
                self._x = ev.value
            elif ev.code == ABS_Y:
                self._y = ev.value
            elif ev.code == ABS_PRESSURE:
                self._p = ev.value
        elif ev.type == EV_KEY:
            if ev.code == BTN_TOUCH:
                self._touch = ev.value != 0
            elif ev.code == BTN_TOOL_RUBBER:
                self._eraser = ev.value != 0
            elif ev.code == BTN_TOOL_PEN and ev.value == 0:
                # Out of range: some pads never send the final pressure 0 or BTN_TOUCH 0.
                self._touch = False
                self._p = 0
        elif ev.type == EV_SYN and ev.code == SYN_REPORT:
            self.frames += 1
            down = (self._touch or self._p > self.threshold) and not self._eraser
            if down:
                self._add_point(timestamp(ev))
                return False
            return self._finish()
        return False

    def _add_point(self, t: float) -> None:
        if self._t0 is None:
            self._t0 = t
        x, y, p = self.geometry.normalise(self._x, self._y, self._p)
        if self._touch and p == 0 and self.geometry.pressure is not None:
            p = 1  # touching with pressure under the axis' noise floor: keep a visible hairline
        ms = max(0, round((t - self._t0) * 1000))
        if self._current and (self._current[-1].x, self._current[-1].y) == (x, y):
            last = self._current[-1]
            self._current[-1] = Point(x, y, max(p, last.p), last.t)  # no new position
            return
        self._current.append(Point(x, y, p, ms))

    def _finish(self) -> bool:
        if not self._current:
            return False
        self._strokes.append(tuple(self._current))
        self._current = []
        return True
