"""The blocking face steps of the window, run in a worker thread: the camera as a device with
a status, the liveness challenge plus 1:1 verification, enrollment, and the ID photo.

Frames live only inside these functions: each is used and dropped; nothing here writes an
image anywhere. What leaves is a distance, a threshold and the liveness decision.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge.camera.base import Camera, CameraError
from edge.face.errors import FaceError
from edge.face.service import Consent, FaceService
from protocol.messages import DeviceStatus


class CameraDevice:
    """A camera opened on first use and kept open; remembers its last error for the status."""

    def __init__(self, camera: Camera, describe: str) -> None:
        self.camera = camera
        self.describe = describe
        self._lock = threading.Lock()
        self._started = False
        self._error: str | None = None

    def capture(self) -> object:
        with self._lock:
            try:
                if not self._started:
                    self.camera.start()
                    self._started = True
                frame = self.camera.capture_rgb()
            except CameraError as exc:
                self._error = f"{exc} ({exc.code})"
                raise
            self._error = None
            return frame

    def status(self) -> DeviceStatus:
        if self._error is not None:
            return DeviceStatus(present=False, ok=False, detail=f"摄像头不可用：{self._error}")
        detail = self.describe if self._started else f"{self.describe}（未启用）"
        return DeviceStatus(present=True, ok=True, detail=detail)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self.camera.close()
                self._started = False


@dataclass(frozen=True)
class FaceOutcome:
    liveness: str  # "passed", "failed:<reason>", or "" when no decision was reached
    distance: float | None = None
    threshold: float | None = None
    match: bool = False
    error: str | None = None  # shown to the clerk


def verify_live(
    face: FaceService,
    camera: CameraDevice,
    template_id: str,
    consent: Consent,
    stop: threading.Event,
    on_prompt: Callable[[str], None],
    timeout_s: float = 40.0,
) -> FaceOutcome:
    """Run the liveness challenge on live frames, then compare the probe it kept (from a frontal
    frame of the challenge) with the enrolled template."""
    run = face.liveness()
    decision = None
    deadline = time.monotonic() + timeout_s
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            frame = camera.capture()
            decision = run.feed(time.monotonic(), frame)  # type: ignore[arg-type]
            del frame
            on_prompt(decision.prompt_zh)
            if decision.status != "pending":
                break
            time.sleep(0.02)
    except (CameraError, FaceError) as exc:
        return FaceOutcome("", error=f"人脸核验出错：{exc}")
    if stop.is_set():
        return FaceOutcome("", error="已取消")
    liveness = ""
    if decision is not None and decision.status != "pending":
        liveness = "passed" if decision.status == "passed" else f"failed:{decision.reason}"
    probe = run.probe
    if probe is None:
        return FaceOutcome(
            liveness or "failed:timeout", error="未检测到清晰的正脸，请正对摄像头后重试"
        )
    try:
        v = face.verify_template(probe, template_id, consent)
    except FaceError as exc:
        return FaceOutcome(liveness, error=f"人脸比对出错：{exc}")
    return FaceOutcome(liveness or "failed:timeout", v.distance, v.threshold, v.match)


def enroll(
    face: FaceService,
    camera: CameraDevice,
    consent: Consent,
    stop: threading.Event,
    timeout_s: float = 15.0,
) -> str:
    """Enroll from the first frame that passes the quality gates; returns the template id."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while not stop.is_set() and time.monotonic() < deadline:
        frame = camera.capture()
        try:
            return face.enroll(frame, consent)  # type: ignore[arg-type]
        except FaceError as exc:
            last = exc
        finally:
            del frame
        time.sleep(0.1)
    raise FaceError(f"未能采集合格人脸：{last}")


def id_photo(face: FaceService, camera: CameraDevice, kind: str) -> object:
    """An ID photo at print size (a PIL image) from one camera frame; the frame is dropped."""
    from PIL import Image

    from edge.devices.printer.photo import fit_id_photo

    frame = camera.capture()
    try:
        photo = face.id_photo(frame, kind, "white")  # type: ignore[arg-type]
    finally:
        del frame
    return fit_id_photo(Image.fromarray(photo.image), kind)  # type: ignore[arg-type]
