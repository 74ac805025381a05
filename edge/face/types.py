"""Plain data passed between the face modules. Frames are HxWx3 uint8 RGB numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Frame = NDArray[np.uint8]
Embedding = NDArray[np.float32]

# BlazeFace keypoint order
LEFT_EYE, RIGHT_EYE, NOSE, MOUTH, LEFT_EAR, RIGHT_EAR = range(6)


@dataclass(frozen=True)
class Detection:
    """A face in frame pixels. `left`/`right` mean image-left and image-right."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    keypoints: NDArray[np.float64]  # (6, 2): image-left eye, image-right eye, nose, mouth, ears

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.keypoints[RIGHT_EYE] - self.keypoints[LEFT_EYE]))

    def to_json(self) -> dict[str, Any]:
        return {
            "box": [round(v, 1) for v in (self.x0, self.y0, self.x1, self.y1)],
            "score": round(self.score, 4),
            "keypoints": [[round(float(v), 1) for v in p] for p in self.keypoints],
        }
