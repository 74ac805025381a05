"""Every face in the frame, cheaply: BlazeFace short-range first (faces within ~2 m, 3 ms), the
full-range model only when the short-range one is unsure; decision frames also run it on tiles
and on an exposure-normalised copy. Then the applicant is chosen deliberately: the largest,
most centred face; another face big enough to be a second person at the window is reported as
such.

Measured (bench/face_eval.py, docs/face.md), in 640x480 frames: short-range alone finds no face
narrower than 64 px and misses some gray faces; full-range on the whole frame finds 75 % at
40 px and gray faces, at ~3-8x the cost; with 2x2 tiles 92 % at 32 px and 58 % at 24 px.
"""

from __future__ import annotations

import math

import numpy as np

from edge.face.detector import BlazeFace
from edge.face.frames import as_rgb, normalise_exposure
from edge.face.types import Detection, Frame
from firmware_config.schema import FaceSettings

_SAME_FACE_IOU = 0.3
_TILE_MAX_FACE = 0.25  # of the tile's width


def _overlap(a: Detection, b: Detection) -> float:
    ix = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def merge(first: list[Detection], second: list[Detection]) -> list[Detection]:
    """``first`` plus the faces of ``second`` that are not already in it: the short-range
    model's boxes and keypoints are kept for faces both found (it is trained on close faces)."""
    out = list(first)
    for d in second:
        if all(_overlap(d, kept) <= _SAME_FACE_IOU for kept in out):
            out.append(d)
    return out


def shift(det: Detection, dx: float, dy: float) -> Detection:
    return Detection(
        det.x0 + dx, det.y0 + dy, det.x1 + dx, det.y1 + dy, det.score,
        det.keypoints + np.array([dx, dy]),
    )  # fmt: skip


def tiles(width: int, height: int, n: int) -> list[tuple[int, int, int, int]]:
    """An n x n grid of overlapping tiles (x0, y0, x1, y1), each 1.2/n of the side: a face
    on a tile border is whole in the neighbouring tile if it is under 0.2/n of the side."""
    frac = min(1.0, 1.2 / n)
    tw, th = int(width * frac), int(height * frac)
    out = []
    for iy in range(n):
        for ix in range(n):
            x0, y0 = int(ix * (width - tw) / (n - 1)), int(iy * (height - th) / (n - 1))
            out.append((x0, y0, x0 + tw, y0 + th))
    return out


def applicant_rank(det: Detection, width: int, height: int) -> float:
    """Larger and nearer the centre ranks higher: the person sitting at the window."""
    cx, cy = (det.x0 + det.x1) / 2 / width - 0.5, (det.y0 + det.y1) / 2 / height - 0.5
    off_centre = math.hypot(cx, cy) / math.hypot(0.5, 0.5)  # 0 at the centre, 1 in a corner
    return max(det.width, det.height) * (1.0 - 0.5 * off_centre)


def by_applicant(found: list[Detection], width: int, height: int) -> list[Detection]:
    return sorted(found, key=lambda d: -applicant_rank(d, width, height))


def others_near(found: list[Detection], ratio: float) -> list[Detection]:
    """Faces other than the applicant (``found[0]``, as by_applicant orders them) at least
    ``ratio`` of its size: a second person close enough to be at the window."""
    if len(found) < 2:
        return []
    size = max(found[0].width, found[0].height)
    return [d for d in found[1:] if max(d.width, d.height) >= ratio * size]


class FaceFinder:
    def __init__(
        self, short: BlazeFace, full: BlazeFace | None, settings: FaceSettings | None = None
    ) -> None:
        self.short = short
        self.full = full  # None on a unit whose model bundle predates it: short-range only
        self.settings = settings or FaceSettings()

    def _unsure(self, found: list[Detection]) -> bool:
        return not found or min(d.score for d in found) < self.settings.detect_sure_score

    def _pass(self, rgb: Frame, everything: bool) -> list[Detection]:
        found = self.short.raw(rgb)
        if self.full is None or not (everything or self._unsure(found)):
            return found
        found = merge(found, self.full.raw(rgb))
        n = self.settings.detect_tiles
        if everything and n > 1:
            # the full-range model sees the frame at 192x192: on tiles, small faces get more
            # of its input pixels (a 24 px face in 640x480 is 7 px whole, 12 px on a tile)
            h, w = rgb.shape[:2]
            for x0, y0, x1, y1 in tiles(w, h, n):
                # only small faces: a large one on a tile is half a face or a false one
                # (the whole-frame passes see large faces)
                small = _TILE_MAX_FACE * (x1 - x0)
                part = [
                    shift(d, x0, y0) for d in self.full.raw(rgb[y0:y1, x0:x1]) if d.width < small
                ]
                found = merge(found, part)
        return found

    def detect(self, frame: Frame, everything: bool = False) -> list[Detection]:
        """Faces, the applicant first. ``everything`` (decision frames: enrolment, the probe,
        a card photo, `bianmin face detect`) runs the full-range model even when the
        short-range one is sure, on the whole frame and on ``detect_tiles`` x ``detect_tiles``
        tiles, to see small faces behind a clearly seen applicant."""
        rgb = as_rgb(frame)
        found = self._pass(rgb, everything)
        if everything and self.settings.normalise_exposure:
            # measured: on decision frames a second pass over an exposure-normalised copy
            # finds faces lost to backlight, dimness, glare and blur, with no false ones;
            # per frame, even as a retry when nothing was found, it found none
            found = merge(found, self._pass(normalise_exposure(rgb), everything))
        return by_applicant(found, rgb.shape[1], rgb.shape[0])
