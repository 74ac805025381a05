"""The face pipeline: frame -> detections (applicant first) -> quality gates -> 150x150 chip ->
descriptor. Frames may be RGB or single-channel (gray / infrared cameras).

Models load once per process from the pinned files (see models.py); FaceMesh and the
segmenter load on first use, since most transactions never need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from edge.face import models
from edge.face.align import align
from edge.face.detector import BlazeFace
from edge.face.embedder import Embedder
from edge.face.errors import ImageUnreadable, ModelMissing, NoFace, QualityRejected, SeveralFaces
from edge.face.finder import FaceFinder, others_near
from edge.face.frames import as_rgb
from edge.face.id_photo import Segmenter
from edge.face.landmarks import FaceMesh
from edge.face.quality import Quality, assess
from edge.face.runtime import TFLiteModel, runtime_name
from edge.face.types import Detection, Embedding, Frame
from edge.face.variant import fastest
from firmware_config.schema import FaceSettings

VariantChoice = Literal["auto", "fp32", "int8"]


@dataclass(frozen=True)
class Observation:
    detection: Detection
    quality: Quality
    embedding: Embedding


def load_image(path: str | Path) -> Frame:
    """An image file as HxWx3 RGB; ImageUnreadable if it is missing or not an image."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as exc:
        raise ImageUnreadable(f"{path}: cannot read: {exc.strerror or exc}") from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageUnreadable(f"{path}: not an image that OpenCV can decode")
    return np.ascontiguousarray(image[:, :, ::-1])


def pick_variant(choice: VariantChoice, model_dir: Path, threads: int) -> models.Variant:
    """``auto``: fp32 on tflite_runtime (its int8-weight kernels are slower everywhere), else
    whichever model measures faster on this CPU (edge.face.variant)."""
    if choice != "auto":
        return choice
    if runtime_name() != "ai-edge-litert":
        return "fp32"
    return fastest(model_dir, threads)


class FacePipeline:
    def __init__(
        self,
        settings: FaceSettings | None = None,
        variant: VariantChoice = "auto",
        model_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        self.settings = settings or FaceSettings()
        self.threads = threads or self.settings.threads
        self.model_dir = model_dir or models.model_dir()
        self.variant = pick_variant(variant, self.model_dir, self.threads)
        self.detector = BlazeFace(self._load(models.DETECTOR), self.settings.detect_min_score)
        try:
            full: BlazeFace | None = BlazeFace(
                self._load(models.DETECTOR_FULL), self.settings.detect_min_score
            )
        except ModelMissing:
            full = None  # a model bundle from before the full-range detector: short-range only
        self.finder = FaceFinder(self.detector, full, self.settings)
        self.embedder = Embedder(self._load(models.EMBEDDERS[self.variant]))
        self._mesh: FaceMesh | None = None
        self._segmenter: Segmenter | None = None

    def retune(self, settings: FaceSettings) -> bool:
        """Use new gates and thresholds from the next frame on, without loading the models
        again; False (and nothing changed) when ``settings`` need them loaded again (threads)."""
        if settings.threads != self.settings.threads:
            return False
        self.settings = settings
        self.detector.min_score = settings.detect_min_score
        if self.finder.full is not None:
            self.finder.full.min_score = settings.detect_min_score
        self.finder.settings = settings
        return True

    def _load(self, model: models.ModelFile) -> TFLiteModel:
        return TFLiteModel(models.locate(model, self.model_dir), self.threads)

    @property
    def mesh(self) -> FaceMesh:
        if self._mesh is None:
            self._mesh = FaceMesh(self._load(models.LANDMARKS))
        return self._mesh

    def segmenter(self) -> Segmenter | None:
        """The background segmenter, or None when its model is not installed on this unit."""
        if self._segmenter is None:
            try:
                self._segmenter = Segmenter(self._load(models.SEGMENTER))
            except ModelMissing:
                return None
        return self._segmenter

    def detect(self, frame: Frame, everything: bool = False) -> list[Detection]:
        """Faces, the applicant (largest, most centred) first; see FaceFinder."""
        return self.finder.detect(frame, everything)

    def embed(self, frame: Frame, det: Detection) -> Embedding:
        return self.embedder.embed(align(as_rgb(frame), det))

    def single_face(self, frame: Frame, everything: bool = False) -> Detection:
        """The applicant's face; NoFace, or SeveralFaces when another face is big enough to be
        a second person at the window (smaller ones, far behind, are ignored)."""
        return self.single_face_of(self.detect(frame, everything))

    def observe(self, frame: Frame, gates: bool = True) -> Observation:
        """Embed the applicant's face, after the quality gates unless `gates` is off (an
        operator checking a stored photo, not a resident in front of the camera). The
        full-range detector always runs here: a decision frame must show every person."""
        rgb = as_rgb(frame)
        found = self.detect(rgb, everything=True)
        det = self.single_face_of(found)
        chip = align(rgb, det)
        quality = assess(found, chip, self.settings, rgb)
        if gates and not quality.ok:
            raise QualityRejected(quality.problems, quality.prompt_zh)
        return Observation(det, quality, self.embedder.embed(chip))

    def single_face_of(self, found: list[Detection]) -> Detection:
        if not found:
            raise NoFace("no face found in the image")
        if others := others_near(found, self.settings.other_face_ratio):
            raise SeveralFaces(
                f"{len(others) + 1} faces of people at the window; exactly one is needed"
            )
        return found[0]
