"""Quality gates run before a face is embedded: one person, lit well enough, big enough, sharp,
frontal; each refusal says why, with a Chinese prompt telling the applicant what to do.

Brightness is the mean luminance of the middle of the aligned chip (the face, not the hair or
the background); backlight is the surroundings (the frame outside the face box) being much
brighter than that face, as with a window or an open door behind the applicant.

Sharpness is the variance of the Laplacian on the aligned 150x150 chip, so it does not depend
on how large the face is in the frame. Yaw comes from how far the nose tip sits off the eye
midline: with the nose tip about 0.6 eye-distances in front of the eyes (adult average),
offset / eye-distance ~= 0.6 * tan(yaw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from edge.face.finder import others_near
from edge.face.types import LEFT_EYE, NOSE, RIGHT_EYE, Detection, Frame
from firmware_config.schema import FaceSettings
from protocol.labels import DEVICE_LABELS

CAMERA = DEVICE_LABELS["camera"]

NOSE_DEPTH_RATIO = 0.6
MAX_ROLL_DEG = 30.0

# Prompts shown to the resident on the kiosk, by gate code.
PROMPTS_ZH = {
    "no_face": f"未检测到人脸，请正对{CAMERA}",
    "several_faces": "画面中有多人，请只保留办事人",
    "too_dark": "光线太暗，请打开灯光或面向亮处",
    "backlit": "背后光线太强，请不要背对窗户或门口",
    "too_small": f"请靠近{CAMERA}一些",
    "blurry": "画面模糊，请保持不动",
    "pose": f"请正对{CAMERA}，不要侧脸",
}


@dataclass(frozen=True)
class Quality:
    problems: tuple[str, ...]
    face_px: float = 0.0
    sharpness: float = 0.0
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    face_luma: float = 0.0
    surround_luma: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def prompt_zh(self) -> str:
        return PROMPTS_ZH[self.problems[0]] if self.problems else ""


def yaw_deg(det: Detection) -> float:
    """Positive when the nose points to image-right."""
    left, right, nose = det.keypoints[LEFT_EYE], det.keypoints[RIGHT_EYE], det.keypoints[NOSE]
    axis = right - left
    iod = float(np.linalg.norm(axis))
    if iod < 1e-6:
        return 90.0
    offset = float(np.dot(nose - (left + right) / 2, axis / iod)) / iod
    return math.degrees(math.atan(offset / NOSE_DEPTH_RATIO))


def roll_deg(det: Detection) -> float:
    dx, dy = det.keypoints[RIGHT_EYE] - det.keypoints[LEFT_EYE]
    return math.degrees(math.atan2(float(dy), float(dx)))


def sharpness(chip: Frame) -> float:
    gray = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def face_luma(chip: Frame) -> float:
    """Mean luminance of the chip's middle: eyes, nose, cheeks and mouth."""
    gray = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(gray[40:115, 35:115].mean())


def surround_luma(frame: Frame, det: Detection) -> float:
    """Mean luminance of the frame outside the face box (the whole frame if the face fills it)."""
    step = max(1, min(frame.shape[:2]) // 120)  # a coarse grid is plenty for a mean
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)[::step, ::step].astype(np.float32)
    mask = np.ones(gray.shape, bool)
    y0, y1 = max(0, int(det.y0 / step)), max(0, int(det.y1 / step) + 1)
    x0, x1 = max(0, int(det.x0 / step)), max(0, int(det.x1 / step) + 1)
    mask[y0:y1, x0:x1] = False
    return float(gray[mask].mean()) if mask.any() else float(gray.mean())


def assess(
    detections: list[Detection],
    chip: Frame | None,
    settings: FaceSettings,
    frame: Frame | None = None,
) -> Quality:
    """Gate codes in order of what the resident should fix first. ``detections`` come applicant
    first (FaceFinder.detect); ``chip`` is the applicant's aligned face, ``frame`` the RGB frame
    (for backlight; without it that gate is not checked)."""
    if not detections:
        return Quality(("no_face",))
    if others_near(detections, settings.other_face_ratio):
        return Quality(("several_faces",))
    det = detections[0]
    problems = []
    luma = face_luma(chip) if chip is not None else 0.0
    around = surround_luma(frame, det) if frame is not None else 0.0
    if chip is not None and luma < settings.min_face_luma:
        problems.append("too_dark")
    elif (
        frame is not None
        and luma < settings.backlit_face_luma
        and around - luma > settings.backlit_contrast
    ):
        problems.append("backlit")
    size = max(det.width, det.height)
    if size < settings.min_face_px:
        problems.append("too_small")
    sharp = sharpness(chip) if chip is not None else 0.0
    if chip is not None and sharp < settings.min_sharpness:
        problems.append("blurry")
    yaw, roll = yaw_deg(det), roll_deg(det)
    if abs(yaw) > settings.max_yaw_deg or abs(roll) > MAX_ROLL_DEG:
        problems.append("pose")
    return Quality(tuple(problems), size, sharp, yaw, roll, luma, around)
