"""Which descriptor model runs faster on this CPU, measured rather than assumed.

The int8-weight model uses LiteRT's hybrid kernels (int8 weights, activations quantised on the
fly). Where the CPU has int8 dot-product instructions (x86 AVX-512 VNNI / AVX-VNNI, ARM
dot product) they run about 2-3x faster than fp32; on a CPU with AVX2 and FMA but no AVX-512
they were reported slower than fp32 (10.6 against 11.5 ms for the embedding), and
tflite_runtime 2.14 runs them slower everywhere. So with `auto`, the unit times both models on
a blank chip once per process and keeps the faster; the two give the same decisions (the
thresholds bench/face_eval.py chooses for them differ by under 0.01).
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path

import numpy as np

from edge.face import models
from edge.face.runtime import TFLiteModel

log = logging.getLogger("bianmin.edge.face")
_WARMUP, _RUNS = 2, 5
_chosen: dict[tuple[Path, int], models.Variant] = {}


def _median_ms(model: TFLiteModel) -> float:
    chip = np.zeros((1, 150, 150, 3), np.float32)
    for _ in range(_WARMUP):  # the first invokes pack weights and size XNNPACK's workspace
        model.run(chip)
    times = []
    for _ in range(_RUNS):
        t = time.perf_counter()
        model.run(chip)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def fastest(model_dir: Path, threads: int) -> models.Variant:
    """The faster descriptor model here, measured once per (directory, threads) per process."""
    key = (model_dir, threads)
    if key not in _chosen:
        ms = {
            v: _median_ms(TFLiteModel(models.locate(m, model_dir), threads))
            for v, m in models.EMBEDDERS.items()
        }
        _chosen[key] = min(ms, key=lambda v: ms[v])
        log.info("descriptor model: %s (%s ms per face)", _chosen[key], ms)
    return _chosen[key]
