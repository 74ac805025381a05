"""The blocking face steps of the window, run in a worker thread: the liveness challenge plus
1:1 verification or a 1:N search (candidates for the clerk to confirm), enrollment, and the ID
photo.

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
from edge.face.matcher import SearchResult
from edge.face.service import Consent, FaceService
from edge.face.types import Embedding
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


@dataclass(frozen=True)
class _Challenge:
    liveness: str  # "passed", "failed:<reason>", or "" when no decision was reached
    probe: Embedding | None = None
    error: str | None = None


def _challenge(
    face: FaceService,
    camera: CameraDevice,
    stop: threading.Event,
    on_prompt: Callable[[str], None],
    timeout_s: float,
) -> _Challenge:
    """Run the liveness challenge on live frames; keep the probe from a frontal frame of it."""
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
        return _Challenge("", error=f"人脸核验出错：{exc}")
    if stop.is_set():
        return _Challenge("", error="已取消")
    liveness = ""
    if decision is not None and decision.status != "pending":
        liveness = "passed" if decision.status == "passed" else f"failed:{decision.reason}"
    if run.probe is None:
        return _Challenge(
            liveness or "failed:timeout", error=f"未检测到清晰的正脸，请正对{CAMERA}后重试"
        )
    return _Challenge(liveness or "failed:timeout", run.probe)


def verify_live(
    face: FaceService,
    camera: CameraDevice,
    template_id: str,
    consent: Consent,
    stop: threading.Event,
    on_prompt: Callable[[str], None],
    timeout_s: float = 40.0,
) -> FaceOutcome:
    """The liveness challenge, then the probe it kept compared 1:1 with the enrolled template."""
    c = _challenge(face, camera, stop, on_prompt, timeout_s)
    if c.probe is None:
        return FaceOutcome(c.liveness, error=c.error)
    try:
        v = face.verify_template(c.probe, template_id, consent)
    except FaceError as exc:
        return FaceOutcome(c.liveness, error=f"人脸比对出错：{exc}")
    return FaceOutcome(c.liveness, v.distance, v.threshold, v.match)


def verify_card_live(
    face: FaceService,
    camera: CameraDevice,
    card_photo: object,
    consent: Consent,
    stop: threading.Event,
    on_prompt: Callable[[str], None],
    timeout_s: float = 40.0,
) -> FaceOutcome:
    """The liveness challenge, then the probe compared with the ID card's chip photo at the
    profile's ``id_photo_threshold`` (FaceService.verify_id_card)."""
    c = _challenge(face, camera, stop, on_prompt, timeout_s)
    if c.probe is None:
        return FaceOutcome(c.liveness, error=c.error)
    try:
        v = face.verify_id_card(c.probe, card_photo, consent)  # type: ignore[arg-type]
    except FaceError as exc:
        return FaceOutcome(c.liveness, error=f"与证件照片比对出错：{exc}")
    return FaceOutcome(c.liveness, v.distance, v.threshold, v.match)


@dataclass(frozen=True)
class SearchOutcome:
    liveness: str
    result: SearchResult | None = None  # ranked candidates; the clerk picks one or none
    error: str | None = None


def search_live(
    face: FaceService,
    camera: CameraDevice,
    consent: Consent,
    stop: threading.Event,
    on_prompt: Callable[[str], None],
    timeout_s: float = 40.0,
) -> SearchOutcome:
    """The liveness challenge, then the probe searched among the residents enrolled here."""
    c = _challenge(face, camera, stop, on_prompt, timeout_s)
    if c.probe is None:
        return SearchOutcome(c.liveness, error=c.error)
    try:
        return SearchOutcome(c.liveness, face.search(c.probe, consent))
    except FaceError as exc:
        return SearchOutcome(c.liveness, error=f"人脸查找出错：{exc}")


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
    # the quality gate says why in the applicant's words (too dark, backlit, ...)
    why = getattr(last, "prompt_zh", "") or last
    raise FaceError(f"未能采集合格人脸：{why}")


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
