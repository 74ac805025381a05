"""The photo set of bench/face_eval.py: every face photo the pinned packages carry, where each
face is (ground truth), who it is, and the transforms each photo is also evaluated under.

Photos (fetched by simulators.face_photos with pip, never committed):
- face_recognition 1.3.0's test images: 5 photos of one person (one also as a 32-bit PNG), 1 of
  another; the face of each found on the untransformed photo is its ground truth.
- insightface 2.1's sample images: a group photo of six people (centres and widths below, set
  by hand from the photo), an aligned 112x112 face, and four pictures of face masks with no
  face (they count false detections).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from edge.face.frames import as_rgb
from edge.face.pipeline import FacePipeline, load_image
from edge.face.types import Frame
from simulators import face_photos
from simulators.devices import idcard


@dataclass(frozen=True)
class Face:
    identity: str
    x: float  # centre, pixels
    y: float
    w: float  # width, pixels


@dataclass(frozen=True)
class Photo:
    name: str
    frame: Frame
    faces: tuple[Face, ...]


# t1.jpg, 1280x886: the six people left to right (checked by eye against the photo)
GROUP_FACES = (
    Face("group-1", 108, 327, 104), Face("group-2", 321, 208, 100), Face("group-3", 514, 344, 113),
    Face("group-4", 782, 417, 111), Face("group-5", 939, 130, 126), Face("group-6", 1177, 346, 110),
)  # fmt: skip
SINGLE = {
    "obama.jpg": "obama", "obama2.jpg": "obama", "obama3.jpg": "obama",
    "obama_partial_face.jpg": "obama", "obama_partial_face2.jpg": "obama",
    "32bit.png": "obama", "biden.jpg": "biden", "Tom_Hanks_54745.png": "hanks",
}  # fmt: skip
# Files that are the same picture as another (checked pixel by pixel: 32bit.png is obama2.jpg
# re-saved, the partial faces are crops of obama.jpg). Pairs between them are the same photo,
# not "different photos of the person": counting them as different made FRR look better.
SAME_PICTURE = {
    "32bit.png": "obama2.jpg", "obama_partial_face.jpg": "obama.jpg",
    "obama_partial_face2.jpg": "obama.jpg",
}  # fmt: skip
NO_FACE = ("mask_black.jpg", "mask_blue.jpg", "mask_green.jpg", "mask_white.jpg")


def photos(pipe: FacePipeline) -> list[Photo]:
    """The photos with their faces; a single-face photo's face is where the detector puts it
    on the untransformed photo (checked: one face, on the person, in every one)."""
    fr, extra = face_photos.fetch(), face_photos.fetch_extra()
    out = []
    for name, who in SINGLE.items():
        frame = load_image((fr if (fr / name).is_file() else extra) / name)
        d = pipe.detect(frame, everything=True)[0]
        face = Face(who, (d.x0 + d.x1) / 2, (d.y0 + d.y1) / 2, d.width)
        out.append(Photo(name, frame, (face,)))
    out.append(Photo("t1.jpg", load_image(extra / face_photos.GROUP_PHOTO), GROUP_FACES))
    out.extend(Photo(n, load_image(extra / n), ()) for n in NO_FACE)
    return out


def picture(name: str) -> str:
    """The picture a photo file shows (itself unless it is a copy or crop of another)."""
    return SAME_PICTURE.get(name, name)


# A transform returns the new frame and maps a face of the original onto it.
Transform = Callable[[Frame], tuple[Frame, Callable[[Face], Face]]]


def _same(frame: Frame) -> Callable[[Face], Face]:
    return lambda f: f


def _pixels(fn: Callable[[Frame], Frame]) -> Transform:
    def run(frame: Frame) -> tuple[Frame, Callable[[Face], Face]]:
        return fn(frame), _same(frame)

    return run


def _gray(frame: Frame) -> Frame:
    # one channel, as a monochrome or infrared camera gives it
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), np.uint8)


def _gain(g: float) -> Callable[[Frame], Frame]:
    return lambda f: np.asarray(np.clip(f.astype(np.float32) * g, 0, 255), np.uint8)


def _backlight(frame: Frame) -> Frame:
    """A bright window behind the applicant: the middle (where the face is) darkened to 45 %,
    brightening towards the edges and the top, where the window is."""
    h, w = frame.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.sqrt(((xs - w / 2) / (w / 2)) ** 2 + ((ys - h / 2) / (h / 2)) ** 2) / np.sqrt(2)
    light = np.clip(r * 1.3 + (1 - ys / h) * 0.4, 0, 1)[:, :, None]
    out = frame.astype(np.float32) * (0.45 + 0.3 * light) + 190 * light
    return np.asarray(np.clip(out, 0, 255), np.uint8)


def _blur(frame: Frame) -> Frame:
    sigma = max(frame.shape[:2]) / 400  # ~3 px on a 1200 px photo: a face in motion
    return np.asarray(cv2.GaussianBlur(frame, (0, 0), sigma), np.uint8)


def jpeg(frame: Frame, quality: int) -> Frame:
    ok, data = cv2.imencode(".jpg", frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.ascontiguousarray(decoded[:, :, ::-1])


def _quarter(frame: Frame) -> tuple[Frame, Callable[[Face], Face]]:
    h, w = frame.shape[:2]
    small = cv2.resize(frame, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.uint8), lambda f: Face(f.identity, f.x / 4, f.y / 4, f.w / 4)


def _rotate(deg: float) -> Transform:
    def run(frame: Frame) -> tuple[Frame, Callable[[Face], Face]]:
        h, w = frame.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
        out = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE)

        def move(f: Face) -> Face:
            x, y = m @ np.array([f.x, f.y, 1.0])
            return Face(f.identity, float(x), float(y), f.w)

        return np.asarray(out, np.uint8), move

    return run


def _mirror(frame: Frame) -> tuple[Frame, Callable[[Face], Face]]:
    w = frame.shape[1]
    out = np.ascontiguousarray(frame[:, ::-1])
    return out, lambda f: Face(f.identity, w - 1 - f.x, f.y, f.w)


TRANSFORMS: dict[str, Transform] = {
    "original": _pixels(lambda f: f),
    "gray": _pixels(_gray),
    "brighter_40": _pixels(_gain(1.4)),
    "darker_40": _pixels(_gain(0.6)),
    "backlight": _pixels(_backlight),
    "blur": _pixels(_blur),
    "jpeg_q30": _pixels(lambda f: jpeg(f, 30)),
    "scale_1_4": _quarter,
    "rotate_+15": _rotate(15),
    "rotate_-15": _rotate(-15),
    "mirror": _mirror,
}

# How the evaluation's ID-card chip photos are compressed. "chip_1k" is the real constraint (a
# second-generation card stores its photo in 1024 bytes): the highest JPEG quality that fits,
# made by the simulated reader's own function, so the profiles' id_photo_threshold is calibrated
# on the chips the window compares with. "jpeg_q30" (~1.9 KB, what the evaluation used first)
# is kept beside it to show what the 1 KB limit costs.
CARD_KINDS = ("chip_1k", "jpeg_q30")


def card_crop(frame: Frame, face: Face) -> Frame:
    """``face`` cut as a chip photo (102x126, head and shoulders), not yet compressed."""
    box = (face.x - face.w / 2, face.y - face.w / 2, face.w, face.w)
    return idcard.chip_photo(as_rgb(frame), box)


def card_photo(frame: Frame, face: Face, kind: str = "chip_1k") -> tuple[Frame, int]:
    """An ID-card chip photo of ``face`` and the JPEG quality it was stored at. The card may be
    ten years old too, which this cannot simulate."""
    crop = card_crop(frame, face)
    if kind == "jpeg_q30":
        return jpeg(crop, 30), 30
    data, quality = idcard.fit_chip(crop)
    return idcard.SimulatedWltDecoder().decode(data), quality


def matches(found_centres: list[tuple[float, float]], face: Face) -> int | None:
    """Index of the detection whose centre lies within half a face width of ``face``'s."""
    best, best_d = None, face.w / 2
    for i, (x, y) in enumerate(found_centres):
        d = float(np.hypot(x - face.x, y - face.y))
        if d < best_d:
            best, best_d = i, d
    return best
