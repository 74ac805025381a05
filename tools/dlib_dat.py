"""Read the layers of a dlib DNN `.dat` file (the face descriptor ResNet) without dlib.

dlib serialises a network from the loss layer inwards, each `add_layer` writing its
sub-network before its own details, so layer names appear in input-to-output order. We read
each layer's details where its name occurs and skip the bookkeeping in between (empty grad
tensors, flags); tensor payloads are consumed, so a name can never be matched inside weights.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# Layer names as dlib writes them (the suffix is dlib's serialisation version of the layer).
_KNOWN = (
    b"input_rgb_image_sized",
    b"con_4",
    b"con_5",
    b"affine_",
    b"relu_",
    b"max_pool_2",
    b"avg_pool_2",
    b"add_prev_",
    b"fc_2",
)


class DatFormatError(ValueError):
    code = "dlib_dat_format"


@dataclass
class Layer:
    kind: str  # input, con, affine, relu, max_pool, avg_pool, add_prev, fc
    params: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    ints: dict[str, int] = field(default_factory=dict)
    floats: dict[str, float] = field(default_factory=dict)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def int(self) -> int:
        # dlib integers: one control byte (low nibble = byte count, bit 7 = sign), then LE bytes
        ctrl = self.data[self.pos]
        size = ctrl & 0x0F
        if size > 8:
            raise DatFormatError(f"bad integer control byte {ctrl:#x} at {self.pos}")
        raw = self.data[self.pos + 1 : self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if ctrl & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        exponent = self.int()
        return float(np.ldexp(float(mantissa), exponent))

    def string(self) -> bytes:
        n = self.int()
        s = self.data[self.pos : self.pos + n]
        self.pos += n
        return s

    def tensor(self) -> NDArray[np.float32]:
        version = self.int()
        if version != 2:
            raise DatFormatError(f"tensor version {version} at {self.pos}; only 2 is known")
        n, k, nr, nc = (self.int() for _ in range(4))
        count = n * k * nr * nc
        end = self.pos + 4 * count
        if end > len(self.data):
            raise DatFormatError("tensor runs past the end of the file")
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos)
        self.pos = end
        return values.astype(np.float32).reshape(n, k, nr, nc)


def _next_name(r: _Reader, cache: dict[bytes, int]) -> bytes | None:
    best: tuple[int, bytes] | None = None
    for name in _KNOWN:
        at = cache.get(name)
        if at is None or 0 <= at < r.pos:
            # a dlib string: its length as a one-byte-count integer, then the bytes
            at = cache[name] = r.data.find(bytes([1, len(name)]) + name, r.pos)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, name)
    if best is None:
        return None
    r.pos = best[0] + 2 + len(best[1])
    return best[1]


def read_layers(data: bytes) -> list[Layer]:
    """All layers of the network, input first."""
    r = _Reader(data)
    layers: list[Layer] = []
    found: dict[bytes, int] = {}
    while (name := _next_name(r, found)) is not None:
        if name == b"input_rgb_image_sized":
            means = {c: r.float() for c in ("red", "green", "blue")}
            layers.append(Layer("input", floats=means, ints={"nr": r.int(), "nc": r.int()}))
        elif name in (b"con_4", b"con_5"):
            params = r.tensor().reshape(-1)
            keys: tuple[str, ...] = (
                "filters",
                "nr",
                "nc",
                "stride_y",
                "stride_x",
                "pad_y",
                "pad_x",
            )
            layers.append(Layer("con", params, {k: r.int() for k in keys}))
        elif name == b"affine_":
            layers.append(Layer("affine", r.tensor().reshape(-1)))
        elif name in (b"max_pool_2", b"avg_pool_2"):
            keys = ("nr", "nc", "stride_y", "stride_x", "pad_y", "pad_x")
            kind = "max_pool" if name == b"max_pool_2" else "avg_pool"
            layers.append(Layer(kind, ints={k: r.int() for k in keys}))
        elif name == b"fc_2":
            outputs, inputs = r.int(), r.int()
            params = r.tensor().reshape(-1)
            layers.append(Layer("fc", params, {"outputs": outputs, "inputs": inputs}))
        else:
            layers.append(Layer(name.decode().rstrip("_")))
    if not layers or layers[0].kind != "input":
        raise DatFormatError("no input layer found: not a dlib DNN file")
    return layers


def load(path: str | Path) -> list[Layer]:
    return read_layers(Path(path).read_bytes())


# -- the dlib face descriptor topology, shared by the converter and the reference -------------

# (filters, downsample) per residual block, input first: dlib's alevel4 .. alevel0
RESNET_BLOCKS: tuple[tuple[int, bool], ...] = (
    *((32, False),) * 3,
    (64, True),
    *((64, False),) * 3,
    (128, True),
    *((128, False),) * 2,
    (256, True),
    *((256, False),) * 2,
    (256, True),
)


@dataclass
class Conv:
    """A convolution with its affine (batch-norm) layer, weights OIHW."""

    weight: NDArray[np.float32]
    bias: NDArray[np.float32]
    gamma: NDArray[np.float32]
    beta: NDArray[np.float32]
    stride: int
    pad: int


@dataclass
class Block:
    conv1: Conv
    conv2: Conv
    down: bool


@dataclass
class FaceResNet:
    means: tuple[float, float, float]
    stem: Conv
    blocks: list[Block]
    fc: NDArray[np.float32]  # (in, out)


def _conv(con: Layer, aff: Layer, in_channels: int) -> Conv:
    if con.kind != "con" or aff.kind != "affine":
        raise DatFormatError(f"expected con + affine, got {con.kind} + {aff.kind}")
    o, kh, kw = con.ints["filters"], con.ints["nr"], con.ints["nc"]
    n_w = o * in_channels * kh * kw
    if con.params.size != n_w + o:
        raise DatFormatError(f"con params {con.params.size} != {n_w}+{o} for {in_channels} inputs")
    if aff.params.size != 2 * o or con.ints["stride_y"] != con.ints["stride_x"]:
        raise DatFormatError("affine size or stride does not match its convolution")
    return Conv(
        weight=con.params[:n_w].reshape(o, in_channels, kh, kw),
        bias=con.params[n_w:],
        gamma=aff.params[:o],
        beta=aff.params[o:],
        stride=con.ints["stride_y"],
        pad=con.ints["pad_y"],
    )


def face_resnet(layers: list[Layer]) -> FaceResNet:
    """Check the layer sequence against dlib's face descriptor ResNet and group the weights."""
    kinds = [layer.kind for layer in layers]
    expected = ["input", "con", "affine", "relu", "max_pool"]
    for _, down in RESNET_BLOCKS:
        expected += ["con", "affine", "relu", "con", "affine"]
        expected += ["avg_pool", "add_prev", "relu"] if down else ["add_prev", "relu"]
    expected += ["avg_pool", "fc"]
    if kinds != expected:
        raise DatFormatError(f"layer sequence is not dlib's face ResNet: {kinds[:12]}...")
    means = layers[0].floats
    stem = _conv(layers[1], layers[2], 3)
    blocks: list[Block] = []
    i, channels = 5, stem.weight.shape[0]
    for filters, down in RESNET_BLOCKS:
        c1 = _conv(layers[i], layers[i + 1], channels)
        c2 = _conv(layers[i + 3], layers[i + 4], filters)
        blocks.append(Block(c1, c2, down))
        i += 8 if down else 7
        channels = filters
    fc = layers[-1]
    w = fc.params.reshape(fc.ints["inputs"], fc.ints["outputs"])
    return FaceResNet((means["red"], means["green"], means["blue"]), stem, blocks, w)


def pack_float(value: float) -> bytes:
    """dlib's float encoding, used by tests to build small synthetic files."""
    m, e = np.frexp(value)
    mantissa, exponent = int(m * (1 << 24)), int(e) - 24
    return _pack_int(mantissa) + _pack_int(exponent)


def _pack_int(value: int) -> bytes:
    raw = abs(value).to_bytes(max(1, (abs(value).bit_length() + 7) // 8), "little")
    return bytes([len(raw) | (0x80 if value < 0 else 0)]) + raw


def pack_tensor(values: NDArray[np.float32]) -> bytes:
    head = b"".join(_pack_int(v) for v in (2, values.size, 1, 1, 1))
    return head + struct.pack(f"<{values.size}f", *values.reshape(-1))
