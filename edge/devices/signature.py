"""A captured signature as normalised vector data, its sha256, and its SVG and PNG renderings.

Pure code: no device, no event loop. The canonical vector data is what the case stores and
hashes; SVG and PNG are derived views, so they may change without changing the hash.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from typing import Literal

from protocol.canonical import canonical_json

# Coordinates are integers on a fixed grid so that the canonical JSON (and so the hash) does not
# depend on float formatting.
SCALE = 10_000
PRESSURE_SCALE = 1_000
VECTOR_FORMAT = "bianmin.signature/1"


@dataclass(frozen=True, slots=True)
class Point:
    x: int  # 0..SCALE across the pad's X range (after swap/invert)
    y: int  # 0..SCALE across the pad's Y range, top to bottom
    p: int  # 0..PRESSURE_SCALE
    t: int  # milliseconds since the first point of the signature


Stroke = tuple[Point, ...]


@dataclass(frozen=True)
class Signature:
    """Strokes in pad-relative coordinates; `aspect` is the pad's width / height."""

    strokes: tuple[Stroke, ...]
    aspect: float

    @property
    def is_empty(self) -> bool:
        return not self.strokes

    @property
    def point_count(self) -> int:
        return sum(len(s) for s in self.strokes)

    @property
    def duration_ms(self) -> int:
        return self.strokes[-1][-1].t if self.strokes else 0

    def vector_data(self) -> dict[str, object]:
        """The canonical form: what is stored with the case and hashed."""
        return {
            "format": VECTOR_FORMAT,
            "aspect": round(self.aspect, 4),
            "scale": SCALE,
            "pressure_scale": PRESSURE_SCALE,
            "strokes": [[[pt.x, pt.y, pt.p, pt.t] for pt in stroke] for stroke in self.strokes],
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.vector_data())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    @classmethod
    def from_vector_data(cls, data: dict[str, object]) -> Signature:
        if data.get("format") != VECTOR_FORMAT:
            raise ValueError(f"not {VECTOR_FORMAT} vector data")
        raw = data["strokes"]
        if not isinstance(raw, list):
            raise ValueError("strokes must be a list")
        strokes = tuple(tuple(Point(*map(int, pt)) for pt in stroke) for stroke in raw)
        aspect = data["aspect"]
        if not isinstance(aspect, int | float):
            raise ValueError("aspect must be a number")
        return cls(strokes, float(aspect))

    def to_svg(self, width_px: int = 600, *, ink: str = "#111") -> str:
        return render_svg(self, width_px, ink=ink)

    def to_png(
        self, width_px: int = 600, *, background: Literal["white", "transparent"] = "white"
    ) -> bytes:
        return render_png(self, width_px, background=background)


# -- rendering ---------------------------------------------------------------------------------

MARGIN = 0.06  # of the ink box's larger side, so strokes never touch the edge


@dataclass(frozen=True)
class _Frame:
    """Maps pad coordinates to output pixels: the ink's bounding box, scaled to fit.

    Pad y is normalised to the pad's height, so it is divided by the aspect to get the same
    physical unit as x; x0 and y0 are in those units.
    """

    x0: float
    y0: float
    aspect: float
    scale: float  # pixels per unit
    width: int
    height: int

    def map(self, pt: Point) -> tuple[float, float]:
        return ((pt.x - self.x0) * self.scale, (pt.y / self.aspect - self.y0) * self.scale)


def _frame(sig: Signature, width_px: int) -> _Frame:
    pts = [pt for s in sig.strokes for pt in s]
    if not pts:
        return _Frame(0, 0, sig.aspect, width_px / SCALE, width_px, max(1, width_px // 3))
    xs = [pt.x for pt in pts]
    yv = [pt.y / sig.aspect for pt in pts]
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(yv), max(yv)
    side = max(x_hi - x_lo, y_hi - y_lo, 1.0)
    pad = side * MARGIN
    box_w = x_hi - x_lo + 2 * pad
    box_h = max(y_hi - y_lo + 2 * pad, box_w / 4)  # a flat scribble still gets some height
    scale = width_px / box_w
    height = max(1, math.ceil(box_h * scale))
    y_mid = (y_lo + y_hi) / 2
    return _Frame(x_lo - pad, y_mid - box_h / 2, sig.aspect, scale, width_px, height)


def _width(p: int, base: float) -> float:
    # Thin at light pressure, never vanishing: a light touch still shows.
    return base * (0.35 + 0.65 * p / PRESSURE_SCALE)


def render_svg(sig: Signature, width_px: int = 600, *, ink: str = "#111") -> str:
    f = _frame(sig, width_px)
    base = width_px / 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{f.width}" height="{f.height}" '
        f'viewBox="0 0 {f.width} {f.height}">',
        f'<g fill="none" stroke="{ink}" stroke-linecap="round" stroke-linejoin="round">',
    ]
    for stroke in sig.strokes:
        pts = [f.map(pt) for pt in stroke]
        if len(stroke) == 1:
            x, y = pts[0]
            w = _width(stroke[0].p, base)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{w / 2:.2f}" fill="{ink}"/>')
            continue
        # One polyline per run of similar width: SVG has no per-vertex stroke width.
        run = [pts[0]]
        run_w = round(_width(stroke[0].p, base), 1)
        for i in range(1, len(stroke)):
            w = round(_width((stroke[i - 1].p + stroke[i].p) // 2, base), 1)
            if w != run_w and len(run) > 1:
                parts.append(_polyline(run, run_w))
                run = [run[-1]]
            run_w = w
            run.append(pts[i])
        parts.append(_polyline(run, run_w))
    parts.append("</g></svg>")
    return "\n".join(parts)


def _polyline(pts: list[tuple[float, float]], width: float) -> str:
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    return f'<polyline stroke-width="{width}" points="{coords}"/>'


def render_png(
    sig: Signature,
    width_px: int = 600,
    *,
    background: Literal["white", "transparent"] = "white",
) -> bytes:
    """Draw at 3x and downsample: Pillow's lines have no anti-aliasing of their own."""
    from PIL import Image, ImageDraw

    ss = 3
    f = _frame(sig, width_px * ss)
    base = width_px * ss / 110
    mask = Image.new("L", (f.width, f.height), 0)
    draw = ImageDraw.Draw(mask)
    for stroke in sig.strokes:
        pts = [f.map(pt) for pt in stroke]
        for i, (x, y) in enumerate(pts):
            r = _width(stroke[i].p, base) / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)  # round joins and caps
            if i:
                w = _width((stroke[i - 1].p + stroke[i].p) // 2, base)
                draw.line((pts[i - 1], (x, y)), fill=255, width=max(1, round(w)))
    size = (width_px, max(1, round(f.height / ss)))
    alpha = mask.resize(size, Image.Resampling.LANCZOS)
    if background == "white":
        out = Image.new("L", size, 255)
        out.paste(0, mask=alpha)
    else:
        out = Image.new("LA", size, (0, 0))
        out.putalpha(alpha)
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
