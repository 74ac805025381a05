"""Synthetic FaceMesh landmark sequences: a 3D head (eyes, lids, a protruding nose on a domed
face) projected per frame, or the same points printed flat on paper."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

_EYES = {
    # image-left eye (the resident's right): outer 33, inner 133, upper lids, lower lids
    33: (-0.5, 0.0),
    160: (-0.4, -0.05),
    158: (-0.3, -0.05),
    133: (-0.2, 0.0),
    153: (-0.3, 0.05),
    144: (-0.4, 0.05),
    362: (0.2, 0.0),
    385: (0.3, -0.05),
    387: (0.4, -0.05),
    263: (0.5, 0.0),
    373: (0.4, 0.05),
    380: (0.3, 0.05),
}
_UPPER = (160, 158, 385, 387)
_LOWER = (153, 144, 373, 380)


def head(seed: int = 7, depth: float = 0.6) -> NDArray[np.float64]:
    """(468, 3) points in eye-distance units; z toward the camera."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(-0.9, 0.9, 468), rng.uniform(-1.0, 1.3, 468)])
    z = 0.35 * np.clip(1 - xy[:, 0] ** 2 - (xy[:, 1] / 1.4) ** 2, 0, None)
    pts = np.column_stack([xy, z])
    for i, (x, y) in _EYES.items():
        pts[i] = (x, y, 0.1)
    pts[1] = (0.0, 0.45, depth)  # nose tip
    return pts


def frame(
    pts: NDArray[np.float64],
    yaw_deg: float = 0.0,
    eyes_open: float = 1.0,
    shear: float = 0.0,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """Project one frame to pixels: rotate about the vertical axis, close the lids by
    `eyes_open` (1 open, 0 shut), shear (a tilted photo), 120 px per eye distance."""
    p = pts.copy()
    for i in _UPPER + _LOWER:
        p[i, 1] = _EYES[i][1] * eyes_open
    t = math.radians(yaw_deg)
    x = p[:, 0] * math.cos(t) + p[:, 2] * math.sin(t)
    x = x + shear * p[:, 1]
    y = p[:, 1]
    out = np.column_stack([320 + 120 * x, 240 + 120 * y, 120 * p[:, 2]])
    if noise and rng is not None:
        out[:, :2] += rng.normal(0, noise, (len(out), 2))
    return out


def flat(pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """The same face printed on paper: every point in one plane."""
    p = pts.copy()
    p[:, 2] = 0.0
    return p
