"""1-inch (25x35 mm) and 2-inch (35x49 mm) ID photos at print resolution from a camera frame.

Head placement follows the usual Chinese ID-photo proportions: crown-to-chin about 60 % of the
photo height, a small margin above the crown, eyes level and centred. Crown and chin are not
detected; they are estimated from the eye-to-mouth distance d with adult averages (crown about
1.6 d above the eyes, chin about 1.7 d below). With MediaPipe selfie segmentation the background
becomes one plain colour; without it the photo keeps the room behind the person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.face.runtime import TFLiteModel
from edge.face.types import LEFT_EYE, MOUTH, RIGHT_EYE, Detection, Frame

PhotoSize = Literal["1inch", "2inch"]
Background = Literal["white", "blue", "red"]

SIZES_MM: dict[PhotoSize, tuple[float, float]] = {"1inch": (25.0, 35.0), "2inch": (35.0, 49.0)}
COLOURS: dict[Background, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "blue": (67, 142, 219),
    "red": (216, 0, 15),
}
DPI = 300
HEAD_RATIO = 0.60
CROWN_MARGIN = 0.09
CROWN_ABOVE_EYES = 1.6
CHIN_BELOW_EYES = 1.7
_SEG_INPUT = 256


def size_px(size: PhotoSize, dpi: int = DPI) -> tuple[int, int]:
    w_mm, h_mm = SIZES_MM[size]
    return round(w_mm / 25.4 * dpi), round(h_mm / 25.4 * dpi)


@dataclass(frozen=True)
class IdPhoto:
    image: Frame
    size: PhotoSize
    dpi: int
    background_replaced: bool


class Segmenter:
    """MediaPipe selfie segmentation (general, 256x256): per-pixel person probability."""

    def __init__(self, model: TFLiteModel) -> None:
        if model.input_shapes[0] != (1, _SEG_INPUT, _SEG_INPUT, 3):
            raise ValueError(f"{model.path} is not selfie_segmentation.tflite")
        self.model = model

    def person_mask(self, image: Frame) -> NDArray[np.float32]:
        h, w = image.shape[:2]
        x = cv2.resize(image, (_SEG_INPUT, _SEG_INPUT), interpolation=cv2.INTER_AREA)
        mask = self.model.run(x.astype(np.float32)[None] / 255.0)[0].reshape(_SEG_INPUT, -1)
        return np.asarray(cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def photo_transform(det: Detection, size: PhotoSize, dpi: int = DPI) -> NDArray[np.float64]:
    """2x3 matrix from frame pixels to the photo: eyes level and centred, head at HEAD_RATIO."""
    w, h = size_px(size, dpi)
    left, right = det.keypoints[LEFT_EYE], det.keypoints[RIGHT_EYE]
    eyes = (left + right) / 2
    theta = math.atan2(float(right[1] - left[1]), float(right[0] - left[0]))
    d = float(np.linalg.norm(det.keypoints[MOUTH] - eyes))
    s = HEAD_RATIO * h / ((CROWN_ABOVE_EYES + CHIN_BELOW_EYES) * d)
    c, n = math.cos(theta) * s, math.sin(theta) * s
    tx = w / 2
    ty = CROWN_MARGIN * h + CROWN_ABOVE_EYES * d * s
    return np.array(
        [
            [c, n, tx - c * eyes[0] - n * eyes[1]],
            [-n, c, ty + n * eyes[0] - c * eyes[1]],
        ]
    )


def make_id_photo(
    frame: Frame,
    det: Detection,
    size: PhotoSize,
    background: Background = "white",
    segmenter: Segmenter | None = None,
    dpi: int = DPI,
) -> IdPhoto:
    w, h = size_px(size, dpi)
    colour = COLOURS[background]
    m = photo_transform(det, size, dpi)
    warped = cv2.warpAffine(
        frame,
        m,
        (w, h),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=colour,
    )
    photo = np.asarray(warped, np.uint8)
    if segmenter is None:
        return IdPhoto(photo, size, dpi, background_replaced=False)
    # soften the cut so hair edges blend instead of showing a hard halo
    mask = cv2.GaussianBlur(segmenter.person_mask(photo), (0, 0), max(1.0, w / 300))[:, :, None]
    plain = np.empty_like(photo)
    plain[:] = colour
    out = mask * photo.astype(np.float32) + (1 - mask) * plain.astype(np.float32)
    return IdPhoto(np.clip(out + 0.5, 0, 255).astype(np.uint8), size, dpi, True)
