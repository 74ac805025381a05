"""Raspberry Pi cameras through picamera2 (CSI modules, and UVC cameras libcamera sees).

libcamera names pixel formats by little-endian word order: its "BGR888" arrays hold R, G, B
bytes in memory, which is what we want; "RGB888" would be B, G, R. picamera2 is imported only
in start(), since it exists only on the Pi (apt python3-picamera2, venv with system packages).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.camera.base import CameraNotStarted, CameraUnavailable, CaptureFailed, RGBFrame

FORMAT = "BGR888"  # R, G, B bytes in memory (see module docstring)


class PiCamera:
    def __init__(self, index: int = 0, width: int = 1280, height: int = 960) -> None:
        self.index, self.size = index, (width, height)
        self._cam: Any = None

    def start(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise CameraUnavailable(
                "picamera2 is not installed: on Raspberry Pi OS `apt install python3-picamera2` "
                "and create the venv with --system-site-packages"
            ) from exc
        try:
            cam = Picamera2(camera_num=self.index)
            cam.configure(
                cam.create_video_configuration(main={"size": self.size, "format": FORMAT})
            )
            cam.start()
        except (RuntimeError, IndexError, OSError) as exc:
            raise CameraUnavailable(f"camera {self.index} did not start: {exc}") from exc
        self._cam = cam

    def capture_rgb(self) -> RGBFrame:
        if self._cam is None:
            raise CameraNotStarted("call start() before capture_rgb()")
        try:
            frame = self._cam.capture_array("main")
        except (RuntimeError, OSError) as exc:
            raise CaptureFailed(f"picamera2 capture failed: {exc}") from exc
        return np.ascontiguousarray(frame[:, :, :3], dtype=np.uint8)

    def close(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            cam.stop()
            cam.close()
