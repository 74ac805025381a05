"""One contract for every Camera backend available here: OpenCV reading a generated video file,
and the file simulator (images, a video, synthetic frames). picamera2 exists only on a Pi, so
its test here checks the lazy import and the BGR888 byte order against a stand-in module."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from edge.camera import (
    Camera,
    CameraNotStarted,
    CameraUnavailable,
    CaptureFailed,
    make_camera,
    orient,
)
from firmware_config.schema import CameraSpec

RED = (220, 20, 20)  # RGB: a wrong channel order would read back blue


def _video(path: Path, frames: int = 12, size: tuple[int, int] = (320, 240)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, size)
    assert writer.isOpened()
    for _ in range(frames):
        bgr = np.zeros((size[1], size[0], 3), np.uint8)
        bgr[:] = RED[::-1]
        writer.write(bgr)
    writer.release()
    return path


def _images(directory: Path) -> str:
    for i in range(3):
        bgr = np.zeros((240, 320, 3), np.uint8)
        bgr[:] = RED[::-1]
        cv2.imwrite(str(directory / f"frame{i}.png"), bgr)
    return str(directory / "*.png")


BACKENDS: dict[str, Callable[[Path], CameraSpec]] = {
    "opencv-video-file": lambda d: CameraSpec(
        backend="opencv", source=str(_video(d / "c.avi")), width=320, height=240
    ),
    "simulator-images": lambda d: CameraSpec(
        backend="file", source=_images(d), width=320, height=240
    ),
    "simulator-video": lambda d: CameraSpec(
        backend="file", source=str(_video(d / "s.avi")), width=320, height=240
    ),
    "simulator-synthetic": lambda d: CameraSpec(
        backend="file", source="synthetic", width=320, height=240
    ),
}


@pytest.fixture(params=sorted(BACKENDS))
def camera(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Camera]:
    cam = make_camera(BACKENDS[request.param](tmp_path))
    yield cam
    cam.close()


def test_frames_are_rgb_uint8_of_the_configured_shape(camera: Camera) -> None:
    camera.start()
    for _ in range(5):
        frame = camera.capture_rgb()
        assert frame.shape == (240, 320, 3)
        assert frame.dtype == np.uint8
        assert frame.flags.c_contiguous


def test_colour_order_is_rgb(camera: Camera, request: pytest.FixtureRequest) -> None:
    if "synthetic" in request.node.callspec.id:
        camera.start()
        frame = camera.capture_rgb()
        assert frame[0, -1, 0] > 200
        assert frame[-1, 0, 1] > 200
        return
    camera.start()
    r, g, b = camera.capture_rgb()[120, 160].astype(int)
    assert r > 180
    assert g < 70
    assert b < 70


def test_capture_before_start_is_refused(camera: Camera) -> None:
    with pytest.raises(CameraNotStarted):
        camera.capture_rgb()


def test_close_twice_is_harmless_and_capture_after_close_is_refused(camera: Camera) -> None:
    camera.start()
    camera.capture_rgb()
    camera.close()
    camera.close()
    with pytest.raises(CameraNotStarted):
        camera.capture_rgb()


def test_simulator_is_deterministic_and_moves(tmp_path: Path) -> None:
    spec = CameraSpec(backend="file", source="synthetic", width=64, height=48)
    a, b = make_camera(spec), make_camera(spec)
    a.start()
    b.start()
    first = a.capture_rgb()
    np.testing.assert_array_equal(first, b.capture_rgb())
    assert not np.array_equal(first, a.capture_rgb())


def test_simulator_video_loops_forever(tmp_path: Path) -> None:
    cam = make_camera(
        CameraSpec(backend="file", source=str(_video(tmp_path / "v.avi", 3)), width=320, height=240)
    )
    cam.start()
    for _ in range(10):
        cam.capture_rgb()


def test_opencv_end_of_file_is_a_capture_error(tmp_path: Path) -> None:
    cam = make_camera(
        CameraSpec(
            backend="opencv", source=str(_video(tmp_path / "v.avi", 2)), width=320, height=240
        )
    )
    cam.start()
    cam.capture_rgb()
    cam.capture_rgb()
    with pytest.raises(CaptureFailed):
        cam.capture_rgb()


def test_unopenable_sources_are_camera_unavailable(tmp_path: Path) -> None:
    for spec in (
        CameraSpec(backend="opencv", source=str(tmp_path / "none.avi")),
        CameraSpec(backend="file", source=str(tmp_path / "*.jpg")),
    ):
        with pytest.raises(CameraUnavailable):
            make_camera(spec).start()


def test_picamera2_is_imported_only_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # as on a machine without it
    cam = make_camera(CameraSpec(backend="picamera2"))
    with pytest.raises(CameraUnavailable, match="python3-picamera2"):
        cam.start()


def test_picamera2_asks_for_bgr888_which_is_rgb_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """libcamera's 'BGR888' holds R, G, B bytes: the backend must pass them through unswapped."""
    calls: dict[str, Any] = {}

    class FakePicamera2:
        def __init__(self, camera_num: int) -> None:
            calls["num"] = camera_num

        def create_video_configuration(self, main: dict[str, Any]) -> dict[str, Any]:
            return {"main": main}

        def configure(self, cfg: dict[str, Any]) -> None:
            calls["cfg"] = cfg

        def start(self) -> None:
            pass

        def capture_array(self, name: str) -> np.ndarray:
            w, h = calls["cfg"]["main"]["size"]
            return np.tile(np.array(RED, np.uint8), (h, w, 1))  # BGR888 = RGB byte order

        def stop(self) -> None:
            calls["stopped"] = True

        def close(self) -> None:
            pass

    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=FakePicamera2))
    cam = make_camera(CameraSpec(backend="picamera2", source=1, width=64, height=48))
    cam.start()
    frame = cam.capture_rgb()
    assert calls["num"] == 1
    assert calls["cfg"]["main"]["format"] == "BGR888"
    assert frame.shape == (48, 64, 3)
    assert tuple(frame[0, 0]) == RED
    cam.close()
    assert calls["stopped"]


def test_profile_rotation_and_mirror_are_applied() -> None:
    frame = np.zeros((2, 3, 3), np.uint8)
    frame[0, 0] = 255  # top-left
    assert orient(frame, 90, False).shape == (3, 2, 3)
    assert orient(frame, 90, False)[0, 1, 0] == 255  # clockwise: top-left goes top-right
    assert orient(frame, 0, True)[0, 2, 0] == 255
    cam = make_camera(
        CameraSpec(backend="file", source="synthetic", width=64, height=48, rotation=270)
    )
    cam.start()
    assert cam.capture_rgb().shape == (64, 48, 3)
