"""The dlib .dat -> .tflite converter against an independent numpy forward pass of dlib's net."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as fb

from edge.face import models
from edge.face.runtime import TFLiteModel
from tests.edge.face import dlib_reference
from tools import dlib_dat
from tools.dlib_dat import FaceResNet
from tools.dlib_tflite import build_model


@pytest.fixture(scope="module")
def net(dlib_dat_path: Path) -> FaceResNet:
    return dlib_dat.face_resnet(dlib_dat.load(dlib_dat_path))


def _chips(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(42)
    smooth = [rng.integers(0, 256, (150, 150, 3)).astype(np.float32) for _ in range(n - 1)]
    ramp = np.linspace(0, 255, 150 * 150 * 3, dtype=np.float32).reshape(150, 150, 3)
    return [*smooth, ramp]


def test_dat_reader_finds_the_face_resnet_layers(dlib_dat_path: Path) -> None:
    layers = dlib_dat.load(dlib_dat_path)
    kinds = Counter(layer.kind for layer in layers)
    assert kinds == {
        "con": 29,
        "affine": 29,
        "relu": 29,
        "add_prev": 14,
        "avg_pool": 5,
        "max_pool": 1,
        "input": 1,
        "fc": 1,
    }
    assert layers[0].ints == {"nr": 150, "nc": 150}
    assert layers[0].floats["red"] == pytest.approx(122.782, abs=1e-3)


def test_dat_reader_decodes_dlib_integers_floats_and_tensors() -> None:
    values = np.array([1.5, -2.25, 3.0e-3], np.float32)
    blob = (
        bytes([1, 5])
        + b"con_4"
        + dlib_dat.pack_tensor(values)
        + b"".join(bytes([1, v]) for v in (3, 1, 1, 1, 1, 0, 0))
    )
    (layer,) = dlib_dat.read_layers(
        bytes([1, 21])
        + b"input_rgb_image_sized"
        + dlib_dat.pack_float(122.5)
        + dlib_dat.pack_float(-1.0)
        + dlib_dat.pack_float(0.125)
        + bytes([1, 150, 1, 150])
        + blob
    )[1:]
    assert layer.kind == "con"
    np.testing.assert_array_equal(layer.params, values)
    assert layer.ints["filters"] == 3


def test_fp32_model_matches_the_numpy_reference(net: FaceResNet, model_dir: Path) -> None:
    model = TFLiteModel(models.locate(models.EMBEDDERS["fp32"], model_dir), threads=1)
    for chip in _chips(3):
        want = dlib_reference.forward(net, chip)
        got = model.run(chip[None])[0].reshape(-1)
        assert np.max(np.abs(got - want)) < 1e-5


def test_int8_weight_model_stays_close_to_the_numpy_reference(
    net: FaceResNet, model_dir: Path
) -> None:
    model = TFLiteModel(models.locate(models.EMBEDDERS["int8"], model_dir), threads=1)
    for chip in _chips(3):
        want = dlib_reference.forward(net, chip)
        got = model.run(chip[None])[0].reshape(-1)
        assert np.linalg.norm(got - want) < 0.05  # match threshold is ~0.5: 10x headroom


def test_conversion_is_reproducible_and_matches_the_pins(net: FaceResNet) -> None:
    for variant, pin in models.EMBEDDERS.items():
        data = build_model(net, int8_weights=variant == "int8")
        assert hashlib.sha256(data).hexdigest() == pin.sha256
        assert len(data) == pin.size


def test_converted_graph_uses_only_plain_builtin_ops(net: FaceResNet) -> None:
    model = fb.ModelT.InitFromPackedBuf(build_model(net), 0)
    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    codes = [model.operatorCodes[op.opcodeIndex].builtinCode for op in model.subgraphs[0].operators]
    assert Counter(names[c] for c in codes) == {
        "CONV_2D": 29,
        "ADD": 14,
        "PAD": 5,
        "AVERAGE_POOL_2D": 4,
        "MAX_POOL_2D": 1,
        "MEAN": 1,
        "FULLY_CONNECTED": 1,
    }


def test_int8_variant_stores_conv_weights_as_int8_per_channel(net: FaceResNet) -> None:
    model = fb.ModelT.InitFromPackedBuf(build_model(net, int8_weights=True), 0)
    weights = [t for t in model.subgraphs[0].tensors if t.name.decode().endswith("/w")]
    assert len(weights) == 30
    for t in weights:
        assert t.type == fb.TensorType.INT8
        assert len(t.quantization.scale) == t.shape[0]
