"""The TFLite interpreter: ai-edge-litert (LiteRT) first, tflite_runtime on images that only
have that (32-bit Pi OS). XNNPACK is LiteRT's default CPU delegate; `num_threads` sizes its pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from edge.face.errors import RuntimeUnavailable


def _interpreter_class() -> tuple[Any, Any, str]:
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        return Interpreter, OpResolverType, "ai-edge-litert"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter, OpResolverType

        return Interpreter, OpResolverType, "tflite-runtime"
    except ImportError as exc:
        raise RuntimeUnavailable(
            "no TFLite runtime: install ai-edge-litert (x86_64/aarch64) or tflite-runtime"
        ) from exc


def runtime_name() -> str:
    return str(_interpreter_class()[2])


class TFLiteModel:
    """One loaded model with fixed input shapes; `run` returns outputs in the model's order."""

    def __init__(self, path: Path, threads: int = 1, xnnpack: bool = True) -> None:
        interpreter, resolver, self.runtime = _interpreter_class()
        kwargs: dict[str, Any] = {"model_path": str(path), "num_threads": threads}
        if not xnnpack:
            kwargs["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self.path = path
        self._it = interpreter(**kwargs)
        self._it.allocate_tensors()
        self._inputs = self._it.get_input_details()
        self._outputs = self._it.get_output_details()

    @property
    def input_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(v) for v in d["shape"]) for d in self._inputs]

    @property
    def output_names(self) -> list[str]:
        return [str(d["name"]) for d in self._outputs]

    def run(self, *inputs: NDArray[Any]) -> list[NDArray[np.float32]]:
        for detail, value in zip(self._inputs, inputs, strict=True):
            self._it.set_tensor(detail["index"], np.ascontiguousarray(value, detail["dtype"]))
        self._it.invoke()
        # copy out: the interpreter reuses its output buffers on the next invoke
        return [np.array(self._it.get_tensor(d["index"])) for d in self._outputs]
