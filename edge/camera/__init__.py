"""Cameras behind one interface: picamera2 on a Pi, OpenCV for USB/V4L2, and a file camera that
plays images or video (a bench without a camera, the simulators)."""

from __future__ import annotations

from edge.camera.base import (
    Camera,
    CameraError,
    CameraNotStarted,
    CameraUnavailable,
    CaptureFailed,
    Oriented,
    RGBFrame,
    orient,
)
from firmware_config.schema import CameraSpec

__all__ = [
    "Camera",
    "CameraError",
    "CameraNotStarted",
    "CameraUnavailable",
    "CaptureFailed",
    "RGBFrame",
    "make_camera",
    "orient",
]


def make_camera(spec: CameraSpec) -> Camera:
    """The backend the hardware profile names, mounted as the profile says. Backends import
    their libraries lazily, so building a picamera2 camera off a Pi only fails at start()."""
    camera: Camera
    if spec.backend == "picamera2":
        from edge.camera.picam import PiCamera

        index = spec.source if isinstance(spec.source, int) else int(spec.source or 0)
        camera = PiCamera(index, spec.width, spec.height)
    elif spec.backend == "opencv":
        from edge.camera.opencv_cam import OpenCVCamera

        camera = OpenCVCamera(spec.source, spec.width, spec.height)
    else:
        from edge.camera.file import FileCamera

        # the schema's default source is device 0, which means nothing to a file camera
        source = "synthetic" if isinstance(spec.source, int) else spec.source
        camera = FileCamera(source, spec.width, spec.height)
    if spec.rotation or spec.hflip:
        return Oriented(camera, spec.rotation, spec.hflip)
    return camera
