"""BlazeFace, short-range (128x128, faces within ~2 m) and full-range (192x192, faces up to ~5 m):
letterbox, decode the anchors, weighted NMS.

Anchors and decoding follow MediaPipe's face_detection graphs: short-range has strides 8 and 16
with 2 and 6 anchors per cell (896), full-range one stride of 4 with one anchor per cell (2304);
both use unit anchor sizes and offsets scaled by the input size.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.face.frames import as_rgb
from edge.face.runtime import TFLiteModel
from edge.face.types import Detection, Frame

INPUT = 128  # short-range; full-range takes 192
# input side -> (grid side, anchors per cell) per layer, from MediaPipe's SsdAnchorsCalculator
LAYOUTS: dict[int, tuple[tuple[int, int], ...]] = {
    128: ((16, 2), (8, 6)),
    192: ((48, 1),),
}
_SCORE_CLIP = 100.0  # MediaPipe clips raw logits before the sigmoid
_NMS_IOU = 0.3


@cache
def anchors(size: int = INPUT) -> NDArray[np.float64]:
    """(n, 2) anchor centres in [0, 1] for a model with a ``size`` x ``size`` input."""
    out = []
    for grid, per_cell in LAYOUTS[size]:
        ys, xs = np.mgrid[0:grid, 0:grid]
        centres = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 2)
        out.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(out)


def letterbox(frame: Frame, size: int = INPUT) -> tuple[NDArray[np.float32], float, float, float]:
    """Pad to a centred square, resize to ``size``; returns input, side, pad_x, pad_y."""
    h, w = frame.shape[:2]
    side = max(h, w)
    pad_x, pad_y = (side - w) / 2, (side - h) / 2
    square = np.zeros((side, side, 3), np.uint8)
    square[int(pad_y) : int(pad_y) + h, int(pad_x) : int(pad_x) + w] = frame
    small = cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA)
    x = small.astype(np.float32) / 127.5 - 1.0
    return x[None], float(side), float(int(pad_x)), float(int(pad_y))


def decode(
    regressors: NDArray[np.float32],
    logits: NDArray[np.float32],
    min_score: float,
    size: int = INPUT,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Raw outputs -> (n, 16) boxes+keypoints as [x0, y0, x1, y1, kx, ky, ...] in [0, 1], scores."""
    raw = regressors.reshape(-1, 16).astype(np.float64)
    clipped = np.clip(logits.reshape(-1).astype(np.float64), -_SCORE_CLIP, _SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-clipped))
    keep = scores >= min_score
    raw, sc, anc = raw[keep] / size, scores[keep], anchors(size)[keep]
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
    """Either BlazeFace model; which one is read from its input size."""

    def __init__(self, model: TFLiteModel, min_score: float = 0.6) -> None:
        shape = model.input_shapes[0]
        if len(shape) != 4 or shape[1] != shape[2] or shape[1] not in LAYOUTS or shape[3] != 3:
            raise ValueError(f"{model.path} is not a BlazeFace model (input {shape})")
        self.model = model
        self.size = shape[1]
        self.min_score = min_score
        names = model.output_names
        # short-range names its outputs; full-range calls them Identity / Identity_1
        self._reg = names.index("regressors") if "regressors" in names else 0
        self._cls = 1 - self._reg

    def raw(self, frame: Frame, min_score: float | None = None) -> list[Detection]:
        """Faces in frame pixels, best first, above ``min_score`` (default: the detector's)."""
        x, side, pad_x, pad_y = letterbox(as_rgb(frame), self.size)
        outputs = self.model.run(x)
        reg, cls = outputs[self._reg], outputs[self._cls]
        if reg.shape[-1] != 16:  # outputs not named: the regressors are the 16-wide one
            reg, cls = cls, reg
        score = self.min_score if min_score is None else min_score
        dets, scores = decode(reg, cls, score, self.size)
        found = []
        for det, s in weighted_nms(dets, scores):
            px = det * side
            px[0::2] -= pad_x
            px[1::2] -= pad_y
            found.append(
                Detection(
                    float(px[0]),
                    float(px[1]),
                    float(px[2]),
                    float(px[3]),
                    s,
                    px[4:].reshape(6, 2),
                )
            )
        return found

    def detect(self, frame: Frame) -> list[Detection]:
        return self.raw(frame)
