"""The face pipeline: frame -> detection -> quality gates -> 150x150 chip -> descriptor.

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
from edge.face.id_photo import Segmenter
from edge.face.landmarks import FaceMesh
from edge.face.quality import Quality, assess
from edge.face.runtime import TFLiteModel, runtime_name
from edge.face.types import Detection, Embedding, Frame
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


def pick_variant(choice: VariantChoice) -> models.Variant:
    # tflite_runtime 2.14 has no XNNPACK path for int8-weight convs and runs them slower than fp32
    if choice == "auto":
        return "int8" if runtime_name() == "ai-edge-litert" else "fp32"
    return choice


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
        self.variant = pick_variant(variant)
        self.detector = BlazeFace(self._load(models.DETECTOR), self.settings.detect_min_score)
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

    def detect(self, frame: Frame) -> list[Detection]:
        return self.detector.detect(frame)

    def embed(self, frame: Frame, det: Detection) -> Embedding:
        return self.embedder.embed(align(frame, det))

    def single_face(self, frame: Frame) -> Detection:
        """The one face in the frame; NoFace or SeveralFaces otherwise."""
        found = self.detect(frame)
        if not found:
            raise NoFace("no face found in the image")
        if len(found) > 1:
            raise SeveralFaces(f"{len(found)} faces found; exactly one is needed")
        return found[0]

    def observe(self, frame: Frame, gates: bool = True) -> Observation:
        """Embed the one face in a frame, after the quality gates unless `gates` is off
        (an operator checking a stored photo, not a resident in front of the camera)."""
        det = self.single_face(frame)
        chip = align(frame, det)
        quality = assess([det], chip, self.settings)
        if gates and not quality.ok:
            raise QualityRejected(quality.problems)
        return Observation(det, quality, self.embedder.embed(chip))
