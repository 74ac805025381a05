"""Convert dlib's face descriptor ResNet to a TFLite flatbuffer with numpy and flatbuffers only.

Each affine (batch-norm) layer folds into the convolution before it, and the input
normalisation (p - mean) / 256 folds into the stem convolution, which is exact because the
stem has no padding. dlib's `add_prev` zero-pads the smaller operand at the end of each axis;
that becomes a PAD on whichever side is short. The int8 variant stores weights as symmetric
per-output-channel INT8 and keeps activations float (TFLite's hybrid / dynamic-range kernels).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as fb
from numpy.typing import NDArray

from tools.dlib_dat import Conv, FaceResNet, face_resnet, load

INPUT_NAME = "rgb_0_255"
OUTPUT_NAME = "descriptor"
_ALIGN = 16  # TFLite maps weights in place; keep every buffer 16-byte aligned


class _AlignedBuffer(fb.BufferT):  # type: ignore[misc]
    def Pack(self, builder: flatbuffers.Builder) -> int:
        data = None
        if self.data is not None:
            raw = self.data.tobytes()
            builder.StartVector(1, len(raw), _ALIGN)
            builder.head = builder.head - len(raw)
            builder.Bytes[builder.head : builder.head + len(raw)] = raw
            data = builder.EndVector()
        fb.BufferStart(builder)
        if data is not None:
            fb.BufferAddData(builder, data)
        return int(fb.BufferEnd(builder))


@dataclass
class _Graph:
    int8_weights: bool
    tensors: list[Any] = field(default_factory=list)
    buffers: list[Any] = field(default_factory=lambda: [_AlignedBuffer()])
    operators: list[Any] = field(default_factory=list)
    opcodes: dict[tuple[int, int], int] = field(default_factory=dict)
    shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def tensor(
        self,
        name: str,
        shape: tuple[int, ...],
        dtype: int = fb.TensorType.FLOAT32,
        data: NDArray[Any] | None = None,
        quant: Any = None,
    ) -> int:
        t = fb.TensorT()
        t.name, t.shape, t.type, t.quantization = name, list(shape), dtype, quant
        if data is not None:
            buf = _AlignedBuffer()
            buf.data = np.ascontiguousarray(data).view(np.uint8).reshape(-1)
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        self.tensors.append(t)
        self.shapes[len(self.tensors) - 1] = shape
        return len(self.tensors) - 1

    def const(self, name: str, values: NDArray[Any]) -> int:
        dtype = {
            np.dtype(np.float32): fb.TensorType.FLOAT32,
            np.dtype(np.int32): fb.TensorType.INT32,
        }
        return self.tensor(name, values.shape, dtype[values.dtype], values)

    def weights(self, name: str, w: NDArray[np.float32]) -> int:
        """Float weights, or symmetric INT8 with one scale per output channel (axis 0)."""
        if not self.int8_weights:
            return self.const(name, w.astype(np.float32))
        flat = w.reshape(w.shape[0], -1)
        scale = np.maximum(np.abs(flat).max(axis=1), 1e-12) / 127.0
        q = np.clip(np.rint(flat / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
        quant = fb.QuantizationParametersT()
        quant.scale = [float(s) for s in scale.astype(np.float32)]
        quant.zeroPoint = [0] * w.shape[0]
        quant.quantizedDimension = 0
        return self.tensor(name, w.shape, fb.TensorType.INT8, q, quant)

    def op(
        self,
        code: int,
        inputs: list[int],
        outputs: list[int],
        options_type: int = 0,
        options: Any = None,
        version: int = 1,
    ) -> None:
        key = (code, version)
        if key not in self.opcodes:
            self.opcodes[key] = len(self.opcodes)
        o = fb.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = self.opcodes[key], inputs, outputs
        o.builtinOptionsType, o.builtinOptions = options_type, options
        self.operators.append(o)

    def conv(
        self,
        name: str,
        x: int,
        w: NDArray[np.float32],
        b: NDArray[np.float32],
        stride: int,
        same: bool,
        relu: bool,
    ) -> int:
        _, h, wd, _ = self.shapes[x]
        o, kh, kw, _ = w.shape
        if same:
            oh, ow = -(-h // stride), -(-wd // stride)
        else:
            oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
        wt, bt = self.weights(f"{name}/w", w), self.const(f"{name}/b", b.astype(np.float32))
        y = self.tensor(name, (1, oh, ow, o))
        opts = fb.Conv2DOptionsT()
        opts.padding = fb.Padding.SAME if same else fb.Padding.VALID
        opts.strideH = opts.strideW = stride
        opts.fusedActivationFunction = (
            fb.ActivationFunctionType.RELU if relu else fb.ActivationFunctionType.NONE
        )
        # op versions follow TFLite's versioning rules: 5 = hybrid per-channel weights
        version = 5 if self.int8_weights else 1
        self.op(
            fb.BuiltinOperator.CONV_2D,
            [x, wt, bt],
            [y],
            fb.BuiltinOptions.Conv2DOptions,
            opts,
            version,
        )
        return y

    def pool(self, name: str, x: int, code: int, k: int, stride: int) -> int:
        _, h, w, c = self.shapes[x]
        y = self.tensor(name, (1, (h - k) // stride + 1, (w - k) // stride + 1, c))
        opts = fb.Pool2DOptionsT()
        opts.padding = fb.Padding.VALID
        opts.strideH = opts.strideW = stride
        opts.filterHeight = opts.filterWidth = k
        self.op(code, [x], [y], fb.BuiltinOptions.Pool2DOptions, opts)
        return y

    def pad_to(self, name: str, x: int, shape: tuple[int, ...]) -> int:
        """Zero-pad at the end of each axis, as dlib's add_prev does for a smaller operand."""
        cur = self.shapes[x]
        if cur == shape:
            return x
        pads = np.array([[0, t - c] for c, t in zip(cur, shape, strict=True)], dtype=np.int32)
        y = self.tensor(name, shape)
        self.op(
            fb.BuiltinOperator.PAD,
            [x, self.const(f"{name}/pads", pads)],
            [y],
            fb.BuiltinOptions.PadOptions,
            fb.PadOptionsT(),
        )
        return y

    def add_relu(self, name: str, a: int, b: int) -> int:
        y = self.tensor(name, self.shapes[a])
        opts = fb.AddOptionsT()
        opts.fusedActivationFunction = fb.ActivationFunctionType.RELU
        self.op(fb.BuiltinOperator.ADD, [a, b], [y], fb.BuiltinOptions.AddOptions, opts)
        return y


def _folded(conv: Conv) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """OIHW conv + affine -> OHWI weights and bias of one convolution."""
    w = conv.weight.astype(np.float64) * conv.gamma[:, None, None, None]
    b = conv.bias.astype(np.float64) * conv.gamma + conv.beta
    return w.transpose(0, 2, 3, 1).astype(np.float32), b.astype(np.float32)


def _stem(net: FaceResNet) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    # conv(w, (x - m) / 256) = conv(w / 256, x) - sum(w * m) / 256, exact with VALID padding
    w = net.stem.weight.astype(np.float64) / 256.0
    mean = np.asarray(net.means, np.float64)
    b = net.stem.bias.astype(np.float64) - np.einsum("oihw,i->o", w, mean)
    g = net.stem.gamma.astype(np.float64)
    wf = (w * g[:, None, None, None]).transpose(0, 2, 3, 1)
    return wf.astype(np.float32), (b * g + net.stem.beta).astype(np.float32)


def build_model(net: FaceResNet, int8_weights: bool = False) -> bytes:
    """The TFLite flatbuffer: 1x150x150x3 float RGB in 0..255 -> 1x128 descriptor."""
    g = _Graph(int8_weights)
    x = g.tensor(INPUT_NAME, (1, 150, 150, 3))
    w, b = _stem(net)
    t = g.conv("stem", x, w, b, net.stem.stride, same=False, relu=True)
    t = g.pool("stem/max_pool", t, fb.BuiltinOperator.MAX_POOL_2D, 3, 2)
    for i, block in enumerate(net.blocks):
        name = f"block{i}"
        w1, b1 = _folded(block.conv1)
        w2, b2 = _folded(block.conv2)
        y = g.conv(f"{name}/conv1", t, w1, b1, block.conv1.stride, block.conv1.pad > 0, True)
        y = g.conv(f"{name}/conv2", y, w2, b2, 1, same=True, relu=False)
        short = t
        if block.down:
            short = g.pool(f"{name}/avg_pool", t, fb.BuiltinOperator.AVERAGE_POOL_2D, 2, 2)
        target = tuple(max(a, c) for a, c in zip(g.shapes[short], g.shapes[y], strict=True))
        short = g.pad_to(f"{name}/pad_short", short, target)
        y = g.pad_to(f"{name}/pad_main", y, target)
        t = g.add_relu(f"{name}/out", short, y)
    channels = g.shapes[t][3]
    pooled = g.tensor("mean", (1, channels))
    opts = fb.ReducerOptionsT()
    opts.keepDims = False
    g.op(
        fb.BuiltinOperator.MEAN,
        [t, g.const("mean/axes", np.array([1, 2], np.int32))],
        [pooled],
        fb.BuiltinOptions.ReducerOptions,
        opts,
    )
    fc_w = g.weights("fc/w", np.ascontiguousarray(net.fc.T))
    out = g.tensor(OUTPUT_NAME, (1, net.fc.shape[1]))
    fc_opts = fb.FullyConnectedOptionsT()
    g.op(
        fb.BuiltinOperator.FULLY_CONNECTED,
        [pooled, fc_w, -1],
        [out],
        fb.BuiltinOptions.FullyConnectedOptions,
        fc_opts,
        3 if int8_weights else 1,
    )
    return _serialise(g, x, out)


def _serialise(g: _Graph, x: int, out: int) -> bytes:
    sub = fb.SubGraphT()
    sub.tensors, sub.inputs, sub.outputs, sub.operators = g.tensors, [x], [out], g.operators
    sub.name = "main"
    model = fb.ModelT()
    model.version = 3
    model.description = "dlib_face_recognition_resnet_model_v1 (CC0), converted by bianmin"
    model.subgraphs, model.buffers = [sub], g.buffers
    model.operatorCodes = []
    for (code, version), _ in sorted(g.opcodes.items(), key=lambda kv: kv[1]):
        oc = fb.OperatorCodeT()
        oc.builtinCode, oc.deprecatedBuiltinCode, oc.version = code, min(code, 127), version
        model.operatorCodes.append(oc)
    builder = flatbuffers.Builder(32 * 1024 * 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def convert(dat: Path, out: Path, int8_weights: bool = False) -> None:
    out.write_bytes(build_model(face_resnet(load(dat)), int8_weights))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("dat", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--int8-weights", action="store_true")
    args = p.parse_args(argv)
    convert(args.dat, args.out, args.int8_weights)


if __name__ == "__main__":
    main()
