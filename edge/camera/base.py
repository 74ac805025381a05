"""The Camera interface every backend implements, its errors, and frame orientation."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

RGBFrame = NDArray[np.uint8]


class CameraError(Exception):
    """Base of every camera error; drivers never let a bare OSError or cv2.error escape."""

    code = "camera_error"


class CameraUnavailable(CameraError):
    """The backend's library or device is missing, or the device will not open."""

    code = "camera_unavailable"


class CameraNotStarted(CameraError):
    code = "camera_not_started"


class CaptureFailed(CameraError):
    code = "capture_failed"


class Camera(Protocol):
    def start(self) -> None: ...

    def capture_rgb(self) -> RGBFrame:
        """One frame, HxWx3 uint8 in R, G, B order."""
        ...

    def close(self) -> None:
        """Release the device; safe to call twice."""
        ...


def orient(frame: RGBFrame, rotation: Literal[0, 90, 180, 270], hflip: bool) -> RGBFrame:
    """Apply the profile's mounting: clockwise rotation, then a mirror flip."""
    out = np.rot90(frame, k=-(rotation // 90)) if rotation else frame
    if hflip:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


class Oriented:
    """Wraps a backend so that every frame comes out the way the profile mounts the camera."""

    def __init__(self, camera: Camera, rotation: Literal[0, 90, 180, 270], hflip: bool) -> None:
        self.camera, self.rotation, self.hflip = camera, rotation, hflip

    def start(self) -> None:
        self.camera.start()

    def capture_rgb(self) -> RGBFrame:
        return orient(self.camera.capture_rgb(), self.rotation, self.hflip)

    def close(self) -> None:
        self.camera.close()
