"""The blocking face steps of the window, run in a worker thread: the liveness challenge plus
1:1 verification, enrollment, and the ID photo.

Frames live only inside these functions: each is used and dropped; nothing here writes an
image anywhere. What leaves is a distance, a threshold and the liveness decision.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge.camera.base import CameraError
from edge.face.errors import FaceError
from edge.face.service import Consent, FaceService
from edge.window.camera import CameraDevice
from protocol.labels import DEVICE_LABELS

CAMERA = DEVICE_LABELS["camera"]


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
            liveness or "failed:timeout", error=f"未检测到清晰的正脸，请正对{CAMERA}后重试"
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
