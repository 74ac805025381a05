"""The converted dlib ResNet: a 150x150 RGB chip -> a 128-d descriptor (Euclidean metric)."""

from __future__ import annotations

import numpy as np

from edge.face.runtime import TFLiteModel
from edge.face.types import Embedding, Frame

DIM = 128


class Embedder:
    def __init__(self, model: TFLiteModel) -> None:
        if model.input_shapes[0] != (1, 150, 150, 3):
            raise ValueError(f"{model.path} is not the 150x150 dlib descriptor model")
        self.model = model

    def embed(self, chip: Frame) -> Embedding:
        x = chip.astype(np.float32)[None]
        return np.asarray(self.model.run(x)[0].reshape(DIM), np.float32)
