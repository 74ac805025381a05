"""An independent numpy forward pass of dlib's face descriptor ResNet, following dlib's own
layer semantics (affine kept separate, input normalised explicitly, add_prev zero-padding)
rather than the converter's folded graph. Used only to check the converter."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from tools.dlib_dat import Conv, FaceResNet

F64 = NDArray[np.float64]


def _conv(x: F64, conv: Conv) -> F64:
    """x: (C, H, W); dlib con_ with explicit padding, then affine_ (gamma * y + beta)."""
    w = conv.weight.astype(np.float64)
    _o, c, kh, kw = w.shape
    p, s = conv.pad, conv.stride
    xp = np.pad(x, ((0, 0), (p, p), (p, p)))
    oh = (xp.shape[1] - kh) // s + 1
    ow = (xp.shape[2] - kw) // s + 1
    cols = np.empty((c, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = xp[:, i : i + s * oh : s, j : j + s * ow : s]
    y = np.tensordot(w, cols, axes=([1, 2, 3], [0, 1, 2])) + conv.bias[:, None, None]
    return np.asarray(y * conv.gamma[:, None, None] + conv.beta[:, None, None])


def _pool(x: F64, k: int, s: int, op: str) -> F64:
    _c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    win = np.stack(
        [x[:, i : i + s * oh : s, j : j + s * ow : s] for i in range(k) for j in range(k)]
    )
    return np.asarray(win.max(axis=0) if op == "max" else win.mean(axis=0))


def _add_prev(a: F64, b: F64) -> F64:
    """dlib's tt::add: the output takes the larger size; missing values count as zero."""
    shape = tuple(max(p, q) for p, q in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape)
    out[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return out


def forward(net: FaceResNet, rgb: NDArray[np.uint8] | NDArray[np.float32]) -> F64:
    """rgb: 150x150x3 RGB in 0..255 -> 128-d descriptor."""
    x = (rgb.astype(np.float64) - np.asarray(net.means)) / 256.0
    t = x.transpose(2, 0, 1)
    t = np.maximum(_conv(t, net.stem), 0)
    t = _pool(t, 3, 2, "max")
    for block in net.blocks:
        y = np.maximum(_conv(t, block.conv1), 0)
        y = _conv(y, block.conv2)
        short = _pool(t, 2, 2, "avg") if block.down else t
        t = np.maximum(_add_prev(y, short), 0)
    pooled = t.mean(axis=(1, 2))
    return np.asarray(pooled @ net.fc.astype(np.float64))
