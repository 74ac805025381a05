"""The ``file`` camera backend: plays images or a video file, or makes deterministic synthetic
frames. A profile names it for a window without a camera attached (a lab bench, a kiosk demo,
a unit fed recorded frames); the simulators use it as the camera of their windows.

Source: a glob or path of images (cycled), a video file (looped), or "synthetic". Images are
fitted into the configured size with black bars, like a real camera's fixed resolution.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.camera.base import CameraNotStarted, CameraUnavailable, CaptureFailed, RGBFrame

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm"}


def fit(image: RGBFrame, width: int, height: int) -> RGBFrame:
    h, w = image.shape[:2]
    s = min(width / w, height / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    resized = cv2.resize(
        image, (nw, nh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    )
    out = np.zeros((height, width, 3), np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    out[y : y + nh, x : x + nw] = resized
    return out


def synthetic_frame(n: int, width: int, height: int) -> RGBFrame:
    """Frame n of a moving colour gradient: distinct per frame, identical across runs."""
    ys, xs = np.mgrid[0:height, 0:width]
    r = (xs * 255 // max(1, width - 1) + 7 * n) % 256
    g = (ys * 255 // max(1, height - 1) + 3 * n) % 256
    b = np.full_like(r, (11 * n) % 256)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


class FileCamera:
    def __init__(self, source: str = "synthetic", width: int = 640, height: int = 480) -> None:
        self.source, self.size = source, (width, height)
        self._frames: list[Path] | None = None
        self._video: Any = None
        self._n = 0
        self._started = False

    def start(self) -> None:
        if self.source != "synthetic":
            path = Path(self.source)
            if path.suffix.lower() in VIDEO_SUFFIXES:
                self._video = cv2.VideoCapture(str(path))
                if not self._video.isOpened():
                    raise CameraUnavailable(f"cannot open video {self.source}")
            else:
                self._frames = [Path(p) for p in sorted(glob.glob(self.source))]
                if not self._frames:
                    raise CameraUnavailable(f"no images match {self.source!r}")
        self._started = True

    def capture_rgb(self) -> RGBFrame:
        if not self._started:
            raise CameraNotStarted("call start() before capture_rgb()")
        n, self._n = self._n, self._n + 1
        w, h = self.size
        if self._video is not None:
            ok, bgr = self._video.read()
            if not ok:  # loop the clip, as a simulator should run forever
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, bgr = self._video.read()
            if not ok:
                raise CaptureFailed(f"{self.source} has no readable frames")
            return fit(np.ascontiguousarray(bgr[:, :, ::-1]), w, h)
        if self._frames is not None:
            path = self._frames[n % len(self._frames)]
            bgr = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
            if bgr is None:
                raise CaptureFailed(f"{path} is not a readable image")
            return fit(np.ascontiguousarray(bgr[:, :, ::-1]), w, h)
        return synthetic_frame(n, w, h)

    def close(self) -> None:
        if self._video is not None:
            self._video.release()
        self._video, self._frames, self._started = None, None, False
