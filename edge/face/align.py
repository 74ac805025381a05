"""4-point similarity alignment onto dlib's 150x150 face chip (padding 0.25).

The targets are where dlib's `get_face_chip_details(size=150, padding=0.25)` puts the eyes,
nose tip and mouth centre of its mean face, so the converted dlib network sees chips laid out
as it was trained on, though we align from BlazeFace keypoints instead of dlib's 5-point model.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.face.types import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE, Detection, Frame

CHIP = 150
TARGETS = np.array([(47.55, 46.60), (100.48, 46.60), (74.01, 76.56), (74.01, 105.77)])


def similarity(src: NDArray[np.float64], dst: NDArray[np.float64]) -> NDArray[np.float64]:
    """Least-squares rotation + uniform scale + translation (Umeyama 1991) as a 2x3 matrix."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    scale = np.trace(np.diag(sig) @ sign) / s.var(0).sum()
    m = np.empty((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def chip_transform(det: Detection) -> NDArray[np.float64]:
    pts = det.keypoints[[LEFT_EYE, RIGHT_EYE, NOSE, MOUTH]]
    return similarity(pts, TARGETS)


def align(frame: Frame, det: Detection) -> Frame:
    """The 150x150 RGB chip the embedder expects."""
    m = chip_transform(det)
    chip = cv2.warpAffine(
        frame, m, (CHIP, CHIP), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(chip, np.uint8)
