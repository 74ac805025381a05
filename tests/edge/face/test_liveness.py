"""Liveness decisions on synthetic landmark sequences, plus a smoke test with the real FaceMesh."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.face.liveness import (
    LivenessDecision,
    LivenessSession,
    eye_aspect_ratio,
    planar_residual,
    yaw_deg,
)
from edge.face.pipeline import FacePipeline
from edge.face.types import Detection, Frame
from firmware_config.schema import FaceSettings
from tests.edge.face import synthetic

FPS = 15.0


def _run(session: LivenessSession, frames: Iterator[np.ndarray | None]) -> LivenessDecision:
    decision = None
    for n, pts in enumerate(frames):
        decision = session.observe(n / FPS, pts)
        if decision.status != "pending":
            return decision
    assert decision is not None
    return decision


def _live_person(session: LivenessSession, seed: int = 3) -> Iterator[np.ndarray]:
    """A person who follows the prompts: looks ahead, then blinks / turns as asked."""
    rng = np.random.default_rng(seed)
    pts = synthetic.head()
    for _ in range(5):
        yield synthetic.frame(pts, noise=0.4, rng=rng)
    while session.current is not None:
        if session.current == "blink":
            for openness in (1.0, 0.5, 0.1, 0.1, 0.6, 1.0, 1.0):
                yield synthetic.frame(pts, eyes_open=openness, noise=0.4, rng=rng)
        else:
            sign = 1.0 if session.current == "turn_left" else -1.0
            for yaw in (5, 12, 20, 28, 28, 15, 5):
                yield synthetic.frame(pts, yaw_deg=sign * yaw, noise=0.4, rng=rng)


@pytest.mark.parametrize("seed", range(6))
def test_live_person_following_prompts_passes(seed: int) -> None:
    session = LivenessSession(rng=random.Random(seed))
    assert sorted(c[:4] for c in session.challenges) == ["blin", "turn"]
    decision = _run(session, _live_person(session, seed))
    assert decision.status == "passed", decision
    assert decision.prompt_zh == "活体检测通过"


def test_challenge_order_and_turn_side_are_random() -> None:
    seen = {tuple(LivenessSession(rng=random.Random(s)).challenges) for s in range(40)}
    assert len(seen) == 4  # blink first or second, turn left or right


def test_still_photo_fails_with_no_motion() -> None:
    """GIVEN a printed photo on a stand WHEN the challenge runs THEN no_motion, before timeout."""
    pts = synthetic.flat(synthetic.head())
    still = synthetic.frame(pts)
    session = LivenessSession(rng=random.Random(0))
    decision = _run(session, iter([still] * int(FPS * 30)))
    assert (decision.status, decision.reason) == ("failed", "no_motion")


def test_photo_sheared_to_fake_a_turn_fails_as_flat_face() -> None:
    """GIVEN a printed face tilted so its nose drifts off the eye midline (fooling the yaw cue)
    WHEN the turn is 'done' THEN the homography fit exposes the single plane."""
    rng = np.random.default_rng(5)
    pts = synthetic.flat(synthetic.head())
    session = LivenessSession(rng=random.Random(1), challenges=["turn_left"])

    def frames() -> Iterator[np.ndarray]:
        for _ in range(5):
            yield synthetic.frame(pts, noise=0.4, rng=rng)
        for shear in (0.1, 0.3, 0.5, 0.7, 0.8):
            yield synthetic.frame(pts, shear=shear, noise=0.4, rng=rng)

    decision = _run(session, frames())
    assert (decision.status, decision.reason) == ("failed", "flat_face")


def test_turning_the_wrong_way_times_out() -> None:
    rng = np.random.default_rng(2)
    pts = synthetic.head()
    session = LivenessSession(rng=random.Random(1), challenges=["turn_left"])

    def frames() -> Iterator[np.ndarray]:
        for n in range(int(FPS * 30)):
            yaw = -25.0 if n > 5 else 0.0
            yield synthetic.frame(pts, yaw_deg=yaw + (n % 3), noise=0.4, rng=rng)

    decision = _run(session, frames())
    assert (decision.status, decision.reason) == ("failed", "timeout")


def test_slow_eye_closing_is_not_a_blink() -> None:
    rng = np.random.default_rng(4)
    pts = synthetic.head()
    session = LivenessSession(rng=random.Random(1), challenges=["blink"])

    def frames() -> Iterator[np.ndarray]:
        for _ in range(5):
            yield synthetic.frame(pts, noise=0.4, rng=rng)
        while True:  # eyes shut for two seconds, then open, again and again
            for _ in range(int(FPS * 2)):
                yield synthetic.frame(pts, eyes_open=0.1, noise=0.4, rng=rng)
            yield synthetic.frame(pts, noise=0.4, rng=rng)

    decision = _run(session, frames())
    assert (decision.status, decision.reason) == ("failed", "timeout")


def test_no_face_keeps_prompting_then_times_out() -> None:
    session = LivenessSession(rng=random.Random(0))
    first = session.observe(0.0, None)
    assert (first.status, first.prompt_zh) == ("pending", "请正对摄像头")
    decision = _run(session, iter([None] * int(FPS * 40)))
    assert (decision.status, decision.reason) == ("failed", "timeout")


def test_cues_measure_what_they_claim() -> None:
    pts = synthetic.head()
    front = synthetic.frame(pts)
    assert eye_aspect_ratio(synthetic.frame(pts, eyes_open=0.1)) < 0.3 * eye_aspect_ratio(front)
    assert yaw_deg(synthetic.frame(pts, yaw_deg=25)) > 15
    assert yaw_deg(synthetic.frame(pts, yaw_deg=-25)) < -15
    flat = synthetic.flat(pts)
    assert planar_residual(synthetic.frame(flat), synthetic.frame(flat, shear=0.6)) < 1e-6
    assert planar_residual(front, synthetic.frame(pts, yaw_deg=20)) > 0.02


# -- the real FaceMesh model ----------------------------------------------------------------


def test_facemesh_landmarks_land_on_the_detected_face(
    pipeline_int8: FacePipeline, photos: dict[str, Frame]
) -> None:
    frame = photos["obama.jpg"]
    det = pipeline_int8.single_face(frame)
    marks = pipeline_int8.mesh.landmarks(frame, det)
    assert marks.points.shape == (468, 3)
    assert marks.presence > 0.9
    # FaceMesh eye corners bracket BlazeFace's eye centres, the nose tip is near BlazeFace's
    iod = det.eye_distance
    eyes_mid = marks.points[[33, 263], :2].mean(0)
    assert np.linalg.norm(eyes_mid - det.keypoints[:2].mean(0)) < 0.15 * iod
    assert np.linalg.norm(marks.points[1, :2] - det.keypoints[2]) < 0.2 * iod
    assert 0.15 < eye_aspect_ratio(marks.points) < 0.45  # open eyes
    assert abs(yaw_deg(marks.points)) < 20


def test_real_model_liveness_run_rejects_a_replayed_still_photo(
    model_dir: Path, photos: dict[str, Frame]
) -> None:
    """GIVEN the real detector + FaceMesh WHEN the same photo is shown for seconds THEN fail."""
    from edge.face.liveness import LivenessConfig
    from edge.face.matcher import Thresholds
    from edge.face.service import _MeshLiveness

    pipe = FacePipeline(variant="int8", model_dir=model_dir, threads=1)
    session = LivenessSession(rng=random.Random(0), config=LivenessConfig(still_after_s=1.0))
    run = _MeshLiveness(pipe, Thresholds(), session)
    frame = photos["obama.jpg"]  # frontal, so the baseline settles and the challenge starts
    decision = None
    for n in range(40):
        decision = run.feed(n / FPS, frame)
        if decision.status != "pending":
            break
    assert decision is not None
    assert (decision.status, decision.reason) == ("failed", "no_motion")
    assert run.probe is not None
    assert run.probe.shape == (128,)


# -- the service's run: detection + landmarks + identity continuity --------------------------


class _Scripted:
    """Stands in for FacePipeline: each 'frame' is a script entry (faces, landmarks, descriptor)."""

    def __init__(self) -> None:
        self.mesh = self
        self.settings = FaceSettings()

    def detect(self, frame: dict, everything: bool = False) -> list:
        return frame["faces"]

    def landmarks(self, frame: dict, det: object) -> object:
        return type("L", (), {"points": frame["points"]})

    def embed(self, frame: dict, det: object) -> np.ndarray:
        return frame["descriptor"]


def _frames_for(session: LivenessSession, after: list[dict]) -> Iterator[dict]:
    """The resident does the challenge; from the frame that completes it, `after` plays."""
    me = np.zeros(128, np.float32)
    for pts in _live_person(session):
        if session.current is None:
            break
        yield {"faces": [object()], "points": pts, "descriptor": me}
    yield from after


def _run_service(session: LivenessSession, frames: Iterator[dict]) -> LivenessDecision:
    from edge.face.matcher import Thresholds
    from edge.face.service import _MeshLiveness

    run = _MeshLiveness(_Scripted(), Thresholds(), session)  # type: ignore[arg-type]
    decision = None
    for n, frame in enumerate(frames):
        decision = run.feed(n / FPS, frame)  # type: ignore[arg-type]
        if decision.status != "pending":
            break
    assert decision is not None
    return decision


def test_run_confirms_the_same_person_facing_the_camera_after_the_challenge() -> None:
    session = LivenessSession(rng=random.Random(2), challenges=["blink", "turn_left"])
    turned = synthetic.frame(synthetic.head(), yaw_deg=28)
    front = synthetic.frame(synthetic.head())
    same = np.full(128, 0.01, np.float32)
    frames = [{"faces": [object()], "points": turned, "descriptor": same}] * 3
    frames += [{"faces": [object()], "points": front, "descriptor": same}]
    assert _run_service(session, _frames_for(session, frames)).status == "passed"


def test_run_fails_when_another_face_finishes_the_challenge() -> None:
    session = LivenessSession(rng=random.Random(2), challenges=["blink", "turn_left"])
    front = synthetic.frame(synthetic.head())
    stranger = np.full(128, 0.1, np.float32)  # 1.13 away from the resident's descriptor
    frames = [{"faces": [object()], "points": front, "descriptor": stranger}]
    decision = _run_service(session, _frames_for(session, frames))
    assert (decision.status, decision.reason) == ("failed", "face_changed")


def _box(size: float) -> Detection:
    return Detection(0.0, 0.0, size, size, 0.9, np.zeros((6, 2)))


def test_run_pauses_while_a_second_person_is_in_view() -> None:
    session = LivenessSession(rng=random.Random(2), challenges=["blink"])
    # a second person about as near as the resident (a face 80 % of the resident's width)
    two = {"faces": [_box(200), _box(160)], "points": None, "descriptor": None}
    from edge.face.matcher import Thresholds
    from edge.face.service import _MeshLiveness

    run = _MeshLiveness(_Scripted(), Thresholds(), session)  # type: ignore[arg-type]
    decision = run.feed(0.0, two)  # type: ignore[arg-type]
    assert decision.status == "pending"
    assert "多人" in decision.prompt_zh
