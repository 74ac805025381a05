"""Active liveness from FaceMesh landmarks: a random challenge of one blink and one head turn,
with deny cues for a still image (no motion) and a flat face (a photo or screen).

Pure logic over (time, landmarks) pairs so that it is tested on synthetic sequences; the
service feeds it FaceMesh output frame by frame. The flat-face cue fits a homography between
the frontal frame and the turned frame: every point of a photo moves by one homography, the
nose and cheeks of a real head do not. Landmarks are in the unmirrored camera frame.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from protocol.labels import DEVICE_LABELS

CAMERA = DEVICE_LABELS["camera"]

Challenge = Literal["blink", "turn_left", "turn_right"]
Status = Literal["pending", "passed", "failed"]

# FaceMesh indices: eye contours as p1..p6 of the eye aspect ratio (Soukupova & Cech 2016)
EYE_IMAGE_LEFT = (33, 160, 158, 133, 153, 144)
EYE_IMAGE_RIGHT = (362, 385, 387, 263, 373, 380)
NOSE_TIP = 1
OUTER_CORNERS = (33, 263)
NOSE_DEPTH_RATIO = 0.6  # as in quality.yaw_deg: nose tip ~0.6 eye-distances in front

PROMPTS_ZH: dict[str, str] = {
    "look": f"请正对{CAMERA}",
    "blink": "请眨眨眼",
    "turn_left": "请向左转头",
    "turn_right": "请向右转头",
    "passed": "活体检测通过",
    "failed": "活体检测未通过，请工作人员核验",
}


@dataclass(frozen=True)
class LivenessConfig:
    challenge_timeout_s: float = 8.0
    baseline_frames: int = 3
    frontal_max_deg: float = 12.0
    closed_ratio: float = 0.65  # EAR below this share of the open-eye baseline = closed
    blink_max_s: float = 0.6
    turn_deg: float = 18.0
    # below these, per eye-distance, the frames count as one still image / one flat plane
    min_motion: float = 0.01
    min_depth_residual: float = 0.02
    still_after_s: float = 3.0


@dataclass(frozen=True)
class LivenessDecision:
    status: Status
    reason: str  # "", "no_motion", "flat_face", "timeout"
    challenge: Challenge | None
    prompt_zh: str


def eye_aspect_ratio(points: NDArray[np.float64]) -> float:
    def one(idx: tuple[int, ...]) -> float:
        p = points[list(idx), :2]
        width = np.linalg.norm(p[0] - p[3])
        return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2 * width))

    return (one(EYE_IMAGE_LEFT) + one(EYE_IMAGE_RIGHT)) / 2


def eye_distance(points: NDArray[np.float64]) -> float:
    a, b = OUTER_CORNERS
    return float(np.linalg.norm(points[b, :2] - points[a, :2]))


def yaw_deg(points: NDArray[np.float64]) -> float:
    """Positive when the nose points to image-right (the resident's left, unmirrored)."""
    a, b = points[OUTER_CORNERS[0], :2], points[OUTER_CORNERS[1], :2]
    axis = b - a
    iod = float(np.linalg.norm(axis))
    offset = float(np.dot(points[NOSE_TIP, :2] - (a + b) / 2, axis / iod)) / iod
    return math.degrees(math.atan(offset / NOSE_DEPTH_RATIO))


def planar_residual(ref: NDArray[np.float64], cur: NDArray[np.float64]) -> float:
    """RMS error, per eye-distance, of the best homography taking `ref` points onto `cur`."""
    src, dst = ref[:, :2], cur[:, :2]
    scale = eye_distance(cur)

    def normaliser(p: NDArray[np.float64]) -> NDArray[np.float64]:
        mu, s = p.mean(0), p.std() or 1.0
        return np.array([[1 / s, 0, -mu[0] / s], [0, 1 / s, -mu[1] / s], [0, 0, 1]])

    ts, td = normaliser(src), normaliser(dst)
    hs = np.column_stack([src, np.ones(len(src))]) @ ts.T
    hd = np.column_stack([dst, np.ones(len(dst))]) @ td.T
    rows = []
    for (x, y, _), (u, v, _) in zip(hs, hd, strict=True):
        rows.append([-x, -y, -1, 0, 0, 0, u * x, u * y, u])
        rows.append([0, 0, 0, -x, -y, -1, v * x, v * y, v])
    h = np.linalg.svd(np.asarray(rows))[2][-1].reshape(3, 3)
    h = np.linalg.inv(td) @ h @ ts
    proj = np.column_stack([src, np.ones(len(src))]) @ h.T
    proj = proj[:, :2] / proj[:, 2:3]
    return float(np.sqrt(np.mean(np.sum((proj - dst) ** 2, axis=1))) / scale)


@dataclass
class LivenessSession:
    """One resident's challenge. Call `observe` for every frame until status is not pending."""

    rng: random.Random = field(default_factory=random.SystemRandom)
    config: LivenessConfig = field(default_factory=LivenessConfig)
    challenges: list[Challenge] = field(default_factory=list)
    _step: int = 0
    _started: float | None = None
    _baseline: list[NDArray[np.float64]] = field(default_factory=list)
    _open_ear: float = 0.0
    _closed_at: float | None = None
    _max_motion: float = 0.0
    _decision: LivenessDecision | None = None

    def __post_init__(self) -> None:
        if not self.challenges:
            turn: Challenge = self.rng.choice(["turn_left", "turn_right"])
            order: list[Challenge] = ["blink", turn]
            self.rng.shuffle(order)
            self.challenges = order

    @property
    def settled(self) -> bool:
        """A frontal baseline has been seen; the challenges are running."""
        return len(self._baseline) >= self.config.baseline_frames

    @property
    def current(self) -> Challenge | None:
        return self.challenges[self._step] if self._step < len(self.challenges) else None

    def _pending(self, prompt: str) -> LivenessDecision:
        return LivenessDecision("pending", "", self.current, PROMPTS_ZH[prompt])

    def _end(self, status: Status, reason: str = "") -> LivenessDecision:
        self._decision = LivenessDecision(status, reason, self.current, PROMPTS_ZH[status])
        return self._decision

    def observe(self, t: float, points: NDArray[np.float64] | None) -> LivenessDecision:
        if self._decision is not None:
            return self._decision
        if self._started is None:
            self._started = t
        cfg = self.config
        if t - self._started > cfg.challenge_timeout_s * (len(self.challenges) + 1):
            return self._end("failed", "timeout")
        if points is None:
            return self._pending("look")
        if len(self._baseline) < cfg.baseline_frames:
            if abs(yaw_deg(points)) <= cfg.frontal_max_deg:
                self._baseline.append(points)
                if len(self._baseline) == cfg.baseline_frames:
                    self._open_ear = float(np.median([eye_aspect_ratio(p) for p in self._baseline]))
                    self._started = t  # challenges are timed from a settled frontal face
            return self._pending("look" if len(self._baseline) < cfg.baseline_frames else "blink")
        ref = self._baseline[0]
        moved = float(np.max(np.linalg.norm(points[:, :2] - ref[:, :2], axis=1)))
        self._max_motion = max(self._max_motion, moved / eye_distance(ref))
        if t - self._started > cfg.still_after_s and self._max_motion < cfg.min_motion:
            return self._end("failed", "no_motion")
        if t - self._started > cfg.challenge_timeout_s * (self._step + 1):
            return self._end("failed", "timeout")
        challenge = self.current
        if challenge == "blink" and self._saw_blink(t, points):
            self._step += 1
        elif challenge in ("turn_left", "turn_right"):
            yaw = yaw_deg(points)
            wanted = 1.0 if challenge == "turn_left" else -1.0
            if yaw * wanted >= cfg.turn_deg:
                if planar_residual(ref, points) < cfg.min_depth_residual:
                    return self._end("failed", "flat_face")
                self._step += 1
        if self.current is None:
            return self._end("passed")
        return self._pending(self.current)

    def _saw_blink(self, t: float, points: NDArray[np.float64]) -> bool:
        ear = eye_aspect_ratio(points)
        if ear < self.config.closed_ratio * self._open_ear:
            if self._closed_at is None:
                self._closed_at = t
            return False
        closed_at, self._closed_at = self._closed_at, None
        # reopened: a blink if the eyes were shut briefly, not a long squint or a slow droop
        return closed_at is not None and t - closed_at <= self.config.blink_max_s
