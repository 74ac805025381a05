"""Model files are verified by sha256 before use; the runtime loads them with or without XNNPACK."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.face import models
from edge.face.errors import ModelMissing
from edge.face.runtime import TFLiteModel, runtime_name


def test_missing_model_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="make models") as err:
        models.locate(models.DETECTOR, tmp_path)
    assert err.value.code == "model_missing"


def test_altered_model_is_refused(tmp_path: Path, model_dir: Path) -> None:
    path = tmp_path / models.DETECTOR.filename
    shutil.copy(models.locate(models.DETECTOR, model_dir), path)
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelMissing, match="sha256"):
        models.locate(models.DETECTOR, tmp_path)


def test_model_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(models.ENV_DIR, str(tmp_path))
    assert models.model_dir() == tmp_path


def test_litert_is_the_runtime_here() -> None:
    assert runtime_name() == "ai-edge-litert"


def test_xnnpack_and_reference_kernels_agree(model_dir: Path) -> None:
    path = models.locate(models.EMBEDDERS["fp32"], model_dir)
    chip = np.random.default_rng(0).integers(0, 256, (1, 150, 150, 3)).astype(np.float32)
    fast = TFLiteModel(path, threads=2).run(chip)[0]
    plain = TFLiteModel(path, threads=1, xnnpack=False).run(chip)[0]
    assert np.abs(fast - plain).max() < 1e-4
