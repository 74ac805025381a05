"""Same person matches, different people do not: real photos, fp32 and int8 models."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from edge.face.matcher import distance
from edge.face.pipeline import FacePipeline
from edge.face.types import Frame
from tests.edge.face.conftest import OTHER_PERSON, SAME_PERSON


def _embeddings(pipe: FacePipeline, photos: dict[str, Frame]) -> dict[str, np.ndarray]:
    return {n: pipe.observe(f, gates=False).embedding for n, f in photos.items()}


def test_photos_of_the_same_person_match(pipeline: FacePipeline, photos: dict[str, Frame]) -> None:
    emb = _embeddings(pipeline, photos)
    limit = pipeline.settings.verify_threshold
    for a, b in itertools.combinations(SAME_PERSON, 2):
        assert distance(emb[a], emb[b]) < limit, (a, b, pipeline.variant)


def test_photos_of_different_people_do_not_match(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    emb = _embeddings(pipeline, photos)
    # the looser ID-card threshold must still keep different people apart
    limit = pipeline.settings.id_photo_threshold
    for a in SAME_PERSON:
        assert distance(emb[a], emb[OTHER_PERSON]) > limit + 0.15, (a, pipeline.variant)


def test_int8_descriptors_stay_close_to_fp32(model_dir: Path, photos: dict[str, Frame]) -> None:
    fp32 = _embeddings(FacePipeline(variant="fp32", model_dir=model_dir, threads=1), photos)
    int8 = _embeddings(FacePipeline(variant="int8", model_dir=model_dir, threads=1), photos)
    for name in photos:
        assert distance(fp32[name], int8[name]) < 0.05, name


def test_embedding_is_deterministic_for_the_same_frame(
    pipeline: FacePipeline, photos: dict[str, Frame]
) -> None:
    a = pipeline.observe(photos["obama.jpg"], gates=False).embedding
    b = pipeline.observe(photos["obama.jpg"], gates=False).embedding
    np.testing.assert_array_equal(a, b)
