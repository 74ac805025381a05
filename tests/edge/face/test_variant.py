"""`auto` picks the descriptor model that measures faster on this CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.face import variant
from edge.face.pipeline import FacePipeline
from edge.face.runtime import TFLiteModel


@pytest.mark.parametrize("faster", ["int8", "fp32"])
def test_auto_keeps_the_model_that_measures_faster(
    model_dir: Path, faster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def timed(model: TFLiteModel) -> float:
        return 1.0 if ("int8" in model.path.name) == (faster == "int8") else 5.0

    monkeypatch.setattr(variant, "_median_ms", timed)
    monkeypatch.setattr(variant, "_chosen", {})
    assert FacePipeline(variant="auto", model_dir=model_dir, threads=1).variant == faster


def test_the_measurement_is_made_once_per_process(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def timed(model: TFLiteModel) -> float:
        calls.append(model.path.name)
        return float(len(model.path.name))

    monkeypatch.setattr(variant, "_median_ms", timed)
    monkeypatch.setattr(variant, "_chosen", {})
    first = variant.fastest(model_dir, 1)
    assert variant.fastest(model_dir, 1) == first
    assert len(calls) == 2  # one per model, the first time only


def test_the_real_measurement_picks_a_model(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(variant, "_chosen", {})
    assert variant.fastest(model_dir, 1) in ("int8", "fp32")
