"""MediaPipe FaceMesh (face_landmark.tflite): 468 landmarks for liveness.

The region of interest follows MediaPipe's own graph: a square 1.5 times the detection box,
rotated so the eyes are level, resampled to 192x192 with values in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.face.frames import as_rgb
from edge.face.runtime import TFLiteModel
from edge.face.types import LEFT_EYE, RIGHT_EYE, Detection, Frame

INPUT = 192
ROI_SCALE = 1.5


@dataclass(frozen=True)
class Landmarks:
    points: NDArray[np.float64]  # (468, 3): x, y in frame pixels, z relative depth in pixels
    presence: float  # probability that the ROI holds a face


def roi_transform(det: Detection) -> NDArray[np.float64]:
    """2x3 matrix from frame pixels to the 192x192 model input."""
    dx, dy = det.keypoints[RIGHT_EYE] - det.keypoints[LEFT_EYE]
    theta = math.atan2(float(dy), float(dx))
    cx, cy = (det.x0 + det.x1) / 2, (det.y0 + det.y1) / 2
    s = INPUT / (ROI_SCALE * max(det.width, det.height))
    c, n = math.cos(theta) * s, math.sin(theta) * s
    # q = s * R(-theta) (p - centre) + (96, 96)
    return np.array([[c, n, INPUT / 2 - c * cx - n * cy], [-n, c, INPUT / 2 + n * cx - c * cy]])


class FaceMesh:
    def __init__(self, model: TFLiteModel) -> None:
        if model.input_shapes[0] != (1, INPUT, INPUT, 3):
            raise ValueError(f"{model.path} is not face_landmark.tflite (192x192 input)")
        self.model = model

    def landmarks(self, frame: Frame, det: Detection) -> Landmarks:
        m = roi_transform(det)
        roi = cv2.warpAffine(as_rgb(frame), m, (INPUT, INPUT), flags=cv2.INTER_LINEAR)
        coords, flag = self.model.run(roi.astype(np.float32)[None] / 255.0)
        pts = coords.reshape(468, 3).astype(np.float64)
        inv = cv2.invertAffineTransform(m)
        xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
        scale = float(np.linalg.norm(inv[:, 0]))  # z is in input pixels, like x and y
        out = np.column_stack([xy, pts[:, 2] * scale])
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(flag.reshape(-1)[0], -50, 50))))
        return Landmarks(out, presence)
