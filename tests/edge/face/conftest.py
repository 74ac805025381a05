"""Fixtures for face tests: the pinned models (built by `make models`, or here on demand) and
real photos from face_recognition 1.3.0's sdist (5 of one person, 1 of another), fetched with
pip into .cache/ and never committed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.face import models
from edge.face.errors import ModelMissing
from edge.face.pipeline import FacePipeline, load_image
from edge.face.types import Frame
from simulators import face_photos
from tests.conftest import _require

ROOT = Path(__file__).resolve().parents[3]
SAME_PERSON = list(face_photos.SAME_PERSON)
OTHER_PERSON = face_photos.OTHER_PERSON


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The pinned models, built from registry packages if this checkout has none yet."""
    directory = models.model_dir()
    try:
        for m in models.ALL:
            models.locate(m, directory)
    except ModelMissing:
        from tools.build_models import build

        try:
            build(ROOT / ".cache" / "models", ROOT / ".cache" / "model-src")
        except Exception as exc:
            _require("face models", f"`make models` failed: {exc}")
        directory = ROOT / ".cache" / "models"
    return directory


@pytest.fixture(scope="session")
def dlib_dat_path(model_dir: Path) -> Path:
    from tools.build_models import DLIB_DAT

    path = ROOT / ".cache" / "model-src" / DLIB_DAT.filename
    if not path.is_file():
        from tools.build_models import build

        for m in models.EMBEDDERS.values():  # force the conversion step to extract the .dat
            (model_dir / m.filename).unlink(missing_ok=True)
        build(model_dir, ROOT / ".cache" / "model-src")
    return path


@pytest.fixture(scope="session")
def photo_dir() -> Path:
    try:
        return face_photos.fetch(ROOT / ".cache" / "face-test-photos")
    except face_photos.PhotosUnavailable as exc:
        _require("face test photos", str(exc))
        raise


@pytest.fixture(scope="session")
def photos(photo_dir: Path) -> dict[str, Frame]:
    return {n: load_image(photo_dir / n) for n in [*SAME_PERSON, OTHER_PERSON]}


@pytest.fixture(scope="session", params=["fp32", "int8"])
def pipeline(request: pytest.FixtureRequest, model_dir: Path) -> FacePipeline:
    return FacePipeline(variant=request.param, model_dir=model_dir, threads=1)


@pytest.fixture(scope="session")
def pipeline_int8(model_dir: Path) -> FacePipeline:
    return FacePipeline(variant="int8", model_dir=model_dir, threads=1)


def group_photo(pipe: FacePipeline, *frames: Frame, tile: int = 320) -> Frame:
    """Head-and-shoulders crops of single-face photos tiled in a row: a multi-face frame with
    faces large enough for the short-range detector (it wants faces within about 2 m)."""
    import cv2

    tiles = []
    for f in frames:
        d = pipe.single_face(f)
        cx, cy, half = (d.x0 + d.x1) / 2, (d.y0 + d.y1) / 2, max(d.width, d.height)
        m = np.array(
            [
                [tile / (2 * half), 0, tile / 2 - cx * tile / (2 * half)],
                [0, tile / (2 * half), tile / 2 - cy * tile / (2 * half)],
            ]
        )
        tiles.append(cv2.warpAffine(f, m, (tile, tile), borderMode=cv2.BORDER_REPLICATE))
    return np.ascontiguousarray(np.hstack(tiles))
