"""The one interface the window workflow calls. Face processing needs the resident's separate
consent for its purpose; the workflow records it (and always offers the ID-card / clerk path
instead) and passes it in. Frames are used and dropped: nothing here stores an image."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import numpy as np

from edge.face.errors import ConsentRequired
from edge.face.finder import others_near
from edge.face.id_photo import Background, IdPhoto, PhotoSize, make_id_photo
from edge.face.liveness import (
    PROMPTS_ZH,
    LivenessConfig,
    LivenessDecision,
    LivenessSession,
    yaw_deg,
)
from edge.face.matcher import Gallery, SearchResult, Thresholds, Verification, verify
from edge.face.pipeline import FacePipeline
from edge.face.quality import PROMPTS_ZH as QUALITY_PROMPTS_ZH
from edge.face.templates import TemplateStore
from edge.face.types import Detection, Embedding, Frame
from firmware_config.schema import FaceSettings

Purpose = Literal["verify", "enroll", "search"]


@dataclass(frozen=True)
class Consent:
    """A resident's recorded consent to face processing for one purpose in one transaction."""

    purpose: Purpose
    transaction_id: str
    granted_at: datetime


def _require(consent: Consent | None, purpose: Purpose) -> None:
    if consent is None or consent.purpose != purpose:
        raise ConsentRequired(f"face {purpose} needs the resident's separate consent first")


class LivenessRun(Protocol):
    def feed(self, t: float, frame: Frame) -> LivenessDecision: ...

    @property
    def probe(self) -> Embedding | None: ...


class FaceService(Protocol):
    def detect(self, frame: Frame) -> list[Detection]: ...

    def verify_template(
        self, probe: Frame | Embedding, template_id: str, consent: Consent
    ) -> Verification: ...

    def verify_id_card(
        self, probe: Frame | Embedding, card_photo: Frame, consent: Consent
    ) -> Verification: ...

    def search(self, probe: Frame | Embedding, consent: Consent) -> SearchResult: ...

    def enroll(self, frame: Frame, consent: Consent) -> str: ...

    def delete(self, template_id: str) -> None: ...

    def liveness(self) -> LivenessRun: ...

    def id_photo(
        self, frame: Frame, size: PhotoSize, background: Background = "white"
    ) -> IdPhoto: ...


@dataclass
class _MeshLiveness:
    """Feeds FaceMesh landmarks of the single face to a LivenessSession. The probe descriptor
    comes from the frontal baseline, and after the challenge the resident must face the camera
    again as the same person, so a photo cannot be swapped in after a live person moved."""

    pipeline: FacePipeline
    thresholds: Thresholds
    session: LivenessSession
    confirm_s: float = 4.0
    probe: Embedding | None = None
    _passed_at: float | None = field(default=None, repr=False)

    def _say(self, prompt: str) -> LivenessDecision:
        return LivenessDecision("pending", "", self.session.current, prompt)

    def feed(self, t: float, frame: Frame) -> LivenessDecision:
        found = self.pipeline.detect(frame)
        ratio = self.pipeline.settings.other_face_ratio
        if others_near(found, ratio):
            # someone walking behind the resident pauses the challenge rather than ending it
            return self._say(QUALITY_PROMPTS_ZH["several_faces"])
        det = found[0] if found else None
        points = self.pipeline.mesh.landmarks(frame, det).points if det else None
        decision = self.session.observe(t, points)
        if det is not None and self.probe is None and self.session.settled:
            # the probe frame is a decision frame: look for a second person with the
            # full-range detector too (per frame only the short-range one runs when sure)
            if others_near(self.pipeline.detect(frame, everything=True), ratio):
                return self._say(QUALITY_PROMPTS_ZH["several_faces"])
            self.probe = self.pipeline.embed(frame, det)
        if decision.status != "passed":
            return decision
        # the frame that completed a turn is not frontal: compare on a frontal one instead
        if self._passed_at is None:
            self._passed_at = t
        if t - self._passed_at > self.confirm_s:
            return LivenessDecision("failed", "timeout", None, PROMPTS_ZH["failed"])
        if (
            det is None
            or points is None
            or abs(yaw_deg(points)) > self.session.config.frontal_max_deg
        ):
            return self._say(PROMPTS_ZH["look"])
        now = self.pipeline.embed(frame, det)
        if self.probe is None or not verify(now, self.probe, self.thresholds).match:
            return LivenessDecision("failed", "face_changed", None, PROMPTS_ZH["failed"])
        return decision


class LocalFaceService:
    """FaceService on this unit: the pipeline, an encrypted template store and its gallery."""

    def __init__(
        self,
        pipeline: FacePipeline,
        store: TemplateStore,
        liveness: LivenessConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        s = pipeline.settings
        self.thresholds = Thresholds(s.verify_threshold, s.id_photo_threshold)
        self.liveness_config = liveness or LivenessConfig()
        self._rng = rng or random.SystemRandom()
        self.gallery = Gallery()
        ids, vectors = zip(*store.all(), strict=True) if len(store) else ((), ())
        if ids:
            self.gallery.add_many(list(ids), np.stack(vectors))

    def retune(self, settings: FaceSettings, verify_threshold: float | None = None) -> bool:
        """Use a new configuration's face settings at once: quality gates, the detector's
        score, the thresholds (``verify_threshold`` overrides the profile's, as the county's
        thresholds do). False, with nothing changed, when the models must be loaded again."""
        if not self.pipeline.retune(settings):
            return False
        verify = verify_threshold if verify_threshold is not None else settings.verify_threshold
        self.thresholds = Thresholds(verify, settings.id_photo_threshold)
        return True

    def _embedding(self, probe: Frame | Embedding) -> Embedding:
        if probe.ndim == 1:
            return np.asarray(probe, np.float32)
        return self.pipeline.observe(np.asarray(probe, np.uint8)).embedding

    def detect(self, frame: Frame) -> list[Detection]:
        return self.pipeline.detect(frame)

    def verify_template(
        self, probe: Frame | Embedding, template_id: str, consent: Consent
    ) -> Verification:
        _require(consent, "verify")
        return verify(self._embedding(probe), self.store.get(template_id), self.thresholds)

    def verify_id_card(
        self, probe: Frame | Embedding, card_photo: Frame, consent: Consent
    ) -> Verification:
        _require(consent, "verify")
        # the card chip photo is small and printed once: no live-capture quality gates on it
        card = self.pipeline.observe(card_photo, gates=False).embedding
        return verify(self._embedding(probe), card, self.thresholds, "id_card_photo")

    def search(self, probe: Frame | Embedding, consent: Consent) -> SearchResult:
        _require(consent, "search")
        s = self.pipeline.settings
        return self.gallery.search(
            self._embedding(probe), s.search_top_k, self.thresholds.template, s.search_margin
        )

    def enroll(self, frame: Frame, consent: Consent) -> str:
        _require(consent, "enroll")
        embedding = self.pipeline.observe(frame).embedding
        template_id = self.store.add(embedding)
        self.gallery.add(template_id, embedding)
        return template_id

    def delete(self, template_id: str) -> None:
        self.store.delete(template_id)
        self.gallery.remove(template_id)

    def liveness(self) -> LivenessRun:
        session = LivenessSession(rng=self._rng, config=self.liveness_config)
        return _MeshLiveness(self.pipeline, self.thresholds, session)

    def id_photo(self, frame: Frame, size: PhotoSize, background: Background = "white") -> IdPhoto:
        det = self.pipeline.single_face(frame)
        return make_id_photo(frame, det, size, background, self.pipeline.segmenter())
