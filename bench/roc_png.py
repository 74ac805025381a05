"""A small ROC plot (FRR against FAR on a log axis) drawn with OpenCV, which the edge extra
already brings: no plotting library for one PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

W, H = 560, 380
LEFT, RIGHT, TOP, BOTTOM = 60, 170, 20, 50
FAR_MIN = 1e-4
COLOURS = [
    (200, 60, 40), (40, 120, 200), (40, 160, 60), (160, 60, 160), (0, 140, 140), (120, 120, 0),
]  # fmt: skip


def _xy(far: float, frr: float) -> tuple[int, int]:
    lx = (np.log10(max(far, FAR_MIN)) - np.log10(FAR_MIN)) / -np.log10(FAR_MIN)
    x = LEFT + lx * (W - LEFT - RIGHT)
    y = H - BOTTOM - frr * (H - TOP - BOTTOM)  # FRR 0 at the bottom
    return round(x), round(y)


def draw_roc(curves: dict[str, dict[str, Any]], target_far: float, path: Path) -> None:
    img = np.full((H, W, 3), 255, np.uint8)
    font, small = cv2.FONT_HERSHEY_SIMPLEX, 0.38
    x0, y0 = _xy(FAR_MIN, 0.0)
    x1, y1 = _xy(1.0, 1.0)
    cv2.rectangle(img, (x0, y1), (x1, y0), (0, 0, 0), 1)
    for e in range(-4, 1):  # FAR ticks
        x, _ = _xy(10.0**e, 0)
        cv2.line(img, (x, y0), (x, y0 + 4), (0, 0, 0), 1)
        cv2.putText(img, f"1e{e}", (x - 14, y0 + 16), font, small, (0, 0, 0), 1, cv2.LINE_AA)
    for f in (0.0, 0.25, 0.5, 0.75, 1.0):  # FRR ticks
        _, y = _xy(FAR_MIN, f)
        cv2.line(img, (x0 - 4, y), (x0, y), (0, 0, 0), 1)
        cv2.putText(img, f"{f:.2f}", (x0 - 38, y + 4), font, small, (0, 0, 0), 1, cv2.LINE_AA)
    xt, _ = _xy(target_far, 0)
    cv2.line(img, (xt, y0), (xt, y1), (150, 150, 150), 1)
    cv2.putText(img, "FAR (log)", (x0 + 100, H - 12), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "FRR", (8, TOP + 12), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for i, (name, c) in enumerate(curves.items()):
        colour = COLOURS[i % len(COLOURS)][::-1]
        pts = np.array([_xy(a, r) for a, r in zip(c["far"], c["frr"], strict=True)], np.int32)
        cv2.polylines(img, [pts], False, colour, 2, cv2.LINE_AA)
        ly = TOP + 20 + 18 * i
        cv2.line(img, (W - RIGHT + 10, ly - 4), (W - RIGHT + 30, ly - 4), colour, 2)
        cv2.putText(img, name, (W - RIGHT + 35, ly), font, small, (0, 0, 0), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
