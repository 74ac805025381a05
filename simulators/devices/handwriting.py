"""Plausible handwriting as evdev events: a signature-like Chinese name written on a pen pad.

Each character is a few pen strokes (some joined, as in a quick cursive signature) given as
control points in a unit cell. They are smoothed with a Catmull-Rom spline, written with a
bell-shaped pen speed, tremor, slant and per-character size jitter; pressure rises after
touch-down and tapers at lift-off; the pen hovers between strokes. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from edge.devices.events import (
    ABS_PRESSURE,
    ABS_X,
    ABS_Y,
    BTN_TOOL_PEN,
    BTN_TOUCH,
    EV_ABS,
    EV_KEY,
    EV_MSC,
    EV_SYN,
    MSC_SCAN,
    SYN_REPORT,
    AxisRange,
    Event,
)

Pt = tuple[float, float]


@dataclass(frozen=True)
class PadModel:
    """A pad's event profile, from public evtest dumps (see docs/devices.md)."""

    name: str
    x_max: int
    y_max: int
    resolution: int  # units/mm as the kernel reports it (0 when unknown)
    pressure_max: int
    has_tool_pen: bool = True
    has_touch: bool = True
    msc_scan: int | None = None
    rate_hz: int = 200

    def axes(self) -> dict[int, AxisRange]:
        return {
            ABS_X: AxisRange(0, self.x_max, self.resolution),
            ABS_Y: AxisRange(0, self.y_max, self.resolution),
            ABS_PRESSURE: AxisRange(0, self.pressure_max, 0),
        }


XP_PEN_10 = PadModel("10 inch PenTablet", 50794, 30474, 200, 8191, msc_scan=0xD0042)
HUION_HS611 = PadModel("HUION Huion Tablet_HS611", 95352, 53645, 5080, 8191)
VEIKK_A50 = PadModel("VEIKK.INC A50", 32768, 32768, 1, 8192, has_tool_pen=False)
PRESSURE_ONLY = PadModel("generic pen (no BTN_TOUCH)", 32767, 32767, 109, 4096, has_touch=False)

# Pen strokes per character in a unit cell (x right, y down). A stroke with more than two
# points after a corner is written without lifting the pen, as signatures usually are.
GLYPHS: dict[str, list[list[Pt]]] = {
    "王": [
        [(0.18, 0.20), (0.80, 0.17), (0.40, 0.47), (0.74, 0.45)],
        [(0.50, 0.10), (0.49, 0.55), (0.51, 0.86)],
        [(0.12, 0.86), (0.52, 0.84), (0.90, 0.79)],
    ],
    "小": [
        [(0.50, 0.06), (0.51, 0.50), (0.50, 0.86), (0.41, 0.78)],
        [(0.28, 0.34), (0.20, 0.50), (0.14, 0.62)],
        [(0.70, 0.30), (0.80, 0.44), (0.88, 0.56)],
    ],
    "明": [
        [(0.08, 0.24), (0.09, 0.50), (0.08, 0.76)],
        [(0.08, 0.24), (0.34, 0.22), (0.35, 0.50), (0.34, 0.74), (0.10, 0.75)],
        [(0.10, 0.49), (0.33, 0.48)],
        [(0.56, 0.10), (0.56, 0.45), (0.52, 0.72), (0.42, 0.93)],
        [(0.56, 0.11), (0.90, 0.09), (0.90, 0.50), (0.89, 0.90), (0.81, 0.83)],
        [(0.58, 0.37), (0.86, 0.36), (0.60, 0.60), (0.86, 0.59)],
    ],
    "李": [
        [(0.16, 0.20), (0.84, 0.18)],
        [(0.50, 0.05), (0.50, 0.46)],
        [(0.47, 0.22), (0.33, 0.36), (0.14, 0.47)],
        [(0.53, 0.22), (0.70, 0.36), (0.88, 0.45)],
        [(0.26, 0.55), (0.72, 0.53), (0.50, 0.66), (0.46, 0.70)],
        [(0.46, 0.66), (0.50, 0.94), (0.40, 0.88)],
        [(0.12, 0.76), (0.88, 0.73)],
    ],
    "文": [
        [(0.48, 0.04), (0.54, 0.14)],
        [(0.12, 0.26), (0.88, 0.24)],
        [(0.72, 0.30), (0.55, 0.60), (0.30, 0.84), (0.10, 0.94)],
        [(0.30, 0.32), (0.50, 0.62), (0.72, 0.82), (0.94, 0.92)],
    ],
}


def _catmull_rom(points: Sequence[Pt], per_segment: int = 24) -> list[Pt]:
    if len(points) < 2:
        return list(points)
    pts = [points[0], *points, points[-1]]
    out: list[Pt] = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        for k in range(per_segment):
            t = k / per_segment
            t2, t3 = t * t, t * t * t
            out.append(
                tuple(  # type: ignore[arg-type]
                    0.5
                    * (
                        2 * p1[d]
                        + (-p0[d] + p2[d]) * t
                        + (2 * p0[d] - 5 * p1[d] + 4 * p2[d] - p3[d]) * t2
                        + (-p0[d] + 3 * p1[d] - 3 * p2[d] + p3[d]) * t3
                    )
                    for d in (0, 1)
                )
            )
    out.append(points[-1])
    return out


def _resample(path: list[Pt], steps: list[float]) -> list[Pt]:
    """Points at the given arc-length fractions (0..1) along a polyline."""
    seg = [math.dist(path[i], path[i + 1]) for i in range(len(path) - 1)]
    total = sum(seg) or 1.0
    out: list[Pt] = []
    i, acc = 0, 0.0
    for f in steps:
        target = f * total
        while i < len(seg) - 1 and acc + seg[i] < target:
            acc += seg[i]
            i += 1
        r = 0.0 if seg[i] == 0 else min(1.0, max(0.0, (target - acc) / seg[i]))
        (x0, y0), (x1, y1) = path[i], path[i + 1]
        out.append((x0 + (x1 - x0) * r, y0 + (y1 - y0) * r))
    return out


class _Writer:
    """Accumulates frames (events between SYN_REPORTs) with the pad's change-only reporting."""

    def __init__(self, model: PadModel, t0: float) -> None:
        self.m = model
        self.t = t0
        self.events: list[Event] = []
        self.x = self.y = self.p = -1
        self.in_range = self.touch = False

    def frame(self, x: int, y: int, p: int, *, touch: bool, in_range: bool = True) -> None:
        e, t = self.events, self.t
        keys_changed = False
        if self.m.has_tool_pen and in_range != self.in_range:
            e.append(Event.at(t, EV_KEY, BTN_TOOL_PEN, int(in_range)))
            keys_changed = True
        self.in_range = in_range
        if in_range:
            if x != self.x:
                e.append(Event.at(t, EV_ABS, ABS_X, x))
            if y != self.y:
                e.append(Event.at(t, EV_ABS, ABS_Y, y))
            self.x, self.y = x, y
        if p != self.p:
            e.append(Event.at(t, EV_ABS, ABS_PRESSURE, p))
            self.p = p
        if self.m.has_touch and touch != self.touch:
            e.append(Event.at(t, EV_KEY, BTN_TOUCH, int(touch)))
            keys_changed = True
        self.touch = touch
        if keys_changed and self.m.msc_scan is not None:
            e.insert(len(e) - 1, Event.at(t, EV_MSC, MSC_SCAN, self.m.msc_scan))
        e.append(Event.at(t, EV_SYN, SYN_REPORT, 0))
        self.t += 1 / self.m.rate_hz


def handwriting(
    name: str = "王小明", model: PadModel = XP_PEN_10, *, seed: int = 7, t0: float = 1.7e9
) -> list[Event]:
    """The events of `name` signed on `model`; unknown characters are skipped."""
    rng = random.Random(seed)
    chars = [c for c in name if c in GLYPHS]
    if not chars:
        raise ValueError(f"no simulated glyphs for {name!r}; known: {''.join(GLYPHS)}")
    # Work in physical proportions so characters are square on any pad.
    if model.resolution:
        pw, ph = model.x_max / model.resolution, model.y_max / model.resolution
    else:
        pw, ph = float(model.x_max), float(model.y_max)
    size = min(0.55 * pw / (len(chars) * 0.95 + 0.1), 0.45 * ph)
    ox = (pw - size * (len(chars) * 0.95 + 0.1)) / 2
    oy = (ph - size) / 2

    def raw(pt: Pt) -> tuple[int, int]:
        x = min(max(pt[0] / pw, 0.0), 1.0)
        y = min(max(pt[1] / ph, 0.0), 1.0)
        return round(x * model.x_max), round(y * model.y_max)

    w = _Writer(model, t0)
    tremor = [0.0, 0.0]
    last: Pt | None = None
    for ci, ch in enumerate(chars):
        scale = size * rng.uniform(0.88, 1.08)
        cx = ox + ci * size * 0.95 + rng.uniform(-0.03, 0.03) * size
        cy = oy + rng.uniform(-0.06, 0.06) * size - ci * 0.03 * size  # rising baseline

        def place(pt: Pt, scale: float = scale, cx: float = cx, cy: float = cy) -> Pt:
            slant = (0.5 - pt[1]) * 0.22  # a right-leaning hand
            return (cx + (pt[0] + slant) * scale, cy + pt[1] * scale)

        for si, stroke in enumerate(GLYPHS[ch]):
            path = _catmull_rom([place(p) for p in stroke])
            length = sum(math.dist(path[i], path[i + 1]) for i in range(len(path) - 1))
            # hover to the start: the pen travels in the air, lower and slower than writing
            start = path[0]
            if last is None:
                last = (start[0] - 0.3 * size, start[1] - 0.2 * size)
            hover_frames = 30 if ci == si == 0 else rng.randint(14, 40)
            for k in range(hover_frames):
                f = (k + 1) / (hover_frames + 1)
                hx = last[0] + (start[0] - last[0]) * f
                hy = last[1] + (start[1] - last[1]) * f - math.sin(math.pi * f) * 0.05 * size
                w.frame(*raw((hx, hy)), 0, touch=False)
            # writing: peak speed ~3 character heights per second, slower at the ends
            peak = 3.0 * size * rng.uniform(0.85, 1.15)
            fractions, s = [], 0.0
            while s < length:
                fractions.append(s / length)
                u = s / length
                s += (0.18 + 0.82 * math.sin(math.pi * u) ** 0.7) * peak / model.rate_hz
            fractions.append(1.0)
            base = rng.uniform(0.5, 0.78)
            for u, pt in zip(fractions, _resample(path, fractions), strict=True):
                tremor = [0.85 * v + rng.gauss(0, 0.0012 * size) for v in tremor]
                taper = 1.0 if u < 0.8 else 1.0 - (u - 0.8) / 0.2 * 0.65
                pressure = base * (1 - math.exp(-u * length / (0.04 * size))) * taper
                pressure = max(0.02, pressure + rng.gauss(0, 0.02))
                x, y = raw((pt[0] + tremor[0], pt[1] + tremor[1]))
                w.frame(x, y, round(pressure * model.pressure_max), touch=True)
            w.frame(w.x, w.y, 0, touch=False)  # lift-off
            last = path[-1]
    assert last is not None
    for k in range(12):  # the hand moves away, then the pen leaves the pad's range
        w.frame(*raw((last[0] + k * 0.03 * size, last[1] + k * 0.02 * size)), 0, touch=False)
    w.frame(w.x, w.y, 0, touch=False, in_range=False)
    return w.events
