"""USB (V4L2) cameras, video files and stream URLs through OpenCV's VideoCapture."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from edge.camera.base import CameraNotStarted, CameraUnavailable, CaptureFailed, RGBFrame


def _source(source: int | str) -> int | str:
    # "0" in a TOML profile means device 0, not a file named 0
    return int(source) if isinstance(source, str) and source.isdigit() else source


class OpenCVCamera:
    def __init__(self, source: int | str = 0, width: int = 1280, height: int = 960) -> None:
        self.source, self.size = _source(source), (width, height)
        self._cap: Any = None

    def start(self) -> None:
        cap = cv2.VideoCapture(self.source)
        if not cap.isOpened():
            cap.release()
            raise CameraUnavailable(f"OpenCV cannot open camera source {self.source!r}")
        if isinstance(self.source, int):
            # a file plays at its own size; only devices take a requested resolution
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        self._cap = cap

    def capture_rgb(self) -> RGBFrame:
        if self._cap is None:
            raise CameraNotStarted("call start() before capture_rgb()")
        ok, bgr = self._cap.read()
        if not ok or bgr is None:
            raise CaptureFailed(f"no frame from {self.source!r} (unplugged, or end of file)")
        return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)

    def close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
