"""BlazeFace short-range: letterbox to 128x128, decode 896 anchors, weighted NMS.

Anchors and decoding follow MediaPipe's face_detection_short_range graph: strides 8 and 16 with
2 and 6 anchors per cell, unit anchor size, offsets scaled by the 128 px input.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.face.runtime import TFLiteModel
from edge.face.types import Detection, Frame

INPUT = 128
_SCORE_CLIP = 100.0  # MediaPipe clips raw logits before the sigmoid
_NMS_IOU = 0.3


@cache
def anchors() -> NDArray[np.float64]:
    """(896, 2) anchor centres in [0, 1]: a 16x16 grid x2, then an 8x8 grid x6."""
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        ys, xs = np.mgrid[0:grid, 0:grid]
        centres = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        out.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(out)


def letterbox(frame: Frame) -> tuple[NDArray[np.float32], float, float, float]:
    """Pad to a centred square, resize to 128; returns input, side, pad_x, pad_y."""
    h, w = frame.shape[:2]
    side = max(h, w)
    pad_x, pad_y = (side - w) / 2, (side - h) / 2
    square = np.zeros((side, side, 3), np.uint8)
    square[int(pad_y) : int(pad_y) + h, int(pad_x) : int(pad_x) + w] = frame
    small = cv2.resize(square, (INPUT, INPUT), interpolation=cv2.INTER_AREA)
    x = small.astype(np.float32) / 127.5 - 1.0
    return x[None], float(side), float(int(pad_x)), float(int(pad_y))


def decode(
    regressors: NDArray[np.float32], logits: NDArray[np.float32], min_score: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Raw outputs -> (n, 16) boxes+keypoints as [x0, y0, x1, y1, kx, ky, ...] in [0, 1], scores."""
    raw = regressors.reshape(-1, 16).astype(np.float64)
    clipped = np.clip(logits.reshape(-1).astype(np.float64), -_SCORE_CLIP, _SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-clipped))
    keep = scores >= min_score
    raw, sc, anc = raw[keep] / INPUT, scores[keep], anchors()[keep]
    cx, cy = raw[:, 0] + anc[:, 0], raw[:, 1] + anc[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4:16].reshape(-1, 6, 2) + anc[:, None, :]
    return np.concatenate([boxes, kps.reshape(-1, 12)], axis=1), sc


def _iou(box: NDArray[np.float64], others: NDArray[np.float64]) -> NDArray[np.float64]:
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-12))


def weighted_nms(
    dets: NDArray[np.float64], scores: NDArray[np.float64], iou: float = _NMS_IOU
) -> list[tuple[NDArray[np.float64], float]]:
    """MediaPipe's WEIGHTED suppression: overlapping candidates are averaged by score, which
    steadies boxes and keypoints between frames compared with keeping only the best one."""
    order = np.argsort(-scores)
    dets, scores = dets[order], scores[order]
    out: list[tuple[NDArray[np.float64], float]] = []
    alive = np.ones(len(scores), bool)
    for i in range(len(scores)):
        if not alive[i]:
            continue
        group = alive & (_iou(dets[i], dets) > iou)
        group[i] = True
        weights = scores[group]
        out.append(((dets[group] * weights[:, None]).sum(0) / weights.sum(), float(scores[i])))
        alive &= ~group
    return out


class BlazeFace:
    def __init__(self, model: TFLiteModel, min_score: float = 0.6) -> None:
        if model.input_shapes[0] != (1, INPUT, INPUT, 3):
            raise ValueError(f"{model.path} is not BlazeFace short-range (input {INPUT}x{INPUT})")
        self.model = model
        self.min_score = min_score
        names = model.output_names
        self._reg = names.index("regressors") if "regressors" in names else 0
        self._cls = 1 - self._reg

    def detect(self, frame: Frame) -> list[Detection]:
        """Faces in frame pixels, best first."""
        x, side, pad_x, pad_y = letterbox(frame)
        outputs = self.model.run(x)
        dets, scores = decode(outputs[self._reg], outputs[self._cls], self.min_score)
        found = []
        for det, score in weighted_nms(dets, scores):
            px = det * side
            px[0::2] -= pad_x
            px[1::2] -= pad_y
            found.append(
                Detection(
                    float(px[0]),
                    float(px[1]),
                    float(px[2]),
                    float(px[3]),
                    score,
                    px[4:].reshape(6, 2),
                )
            )
        return found
