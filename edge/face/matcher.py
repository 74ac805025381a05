"""1:1 verification and 1:N candidate search over 128-d dlib descriptors (Euclidean distance).

1:N never decides on its own: with N enrolled people the false-match chance grows about N-fold,
so search returns a ranked candidate list with a margin test for the clerk to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from edge.face.types import Embedding

ReferenceKind = Literal["template", "id_card_photo"]


@dataclass(frozen=True)
class Verification:
    match: bool
    distance: float
    threshold: float
    reference: ReferenceKind

    @property
    def result(self) -> Literal["match", "no_match"]:
        return "match" if self.match else "no_match"


@dataclass(frozen=True)
class Thresholds:
    """Separate thresholds: an ID-card chip photo is small and old, so live-vs-card distances
    run higher than live-vs-enrolled-template ones and need their own calibrated cut."""

    template: float = 0.5
    id_card_photo: float = 0.55

    def for_reference(self, kind: ReferenceKind) -> float:
        return self.template if kind == "template" else self.id_card_photo


def distance(a: Embedding, b: Embedding) -> float:
    return float(np.linalg.norm(a.astype(np.float32) - b.astype(np.float32)))


def verify(
    probe: Embedding,
    reference: Embedding,
    thresholds: Thresholds,
    kind: ReferenceKind = "template",
) -> Verification:
    d = distance(probe, reference)
    t = thresholds.for_reference(kind)
    return Verification(d < t, d, t, kind)


@dataclass(frozen=True)
class Candidate:
    template_id: str
    distance: float


@dataclass(frozen=True)
class SearchResult:
    """Top-k candidates, best first. `clear_lead` says the best is within the threshold and
    ahead of the runner-up by the margin; even then the clerk confirms."""

    candidates: tuple[Candidate, ...]
    threshold: float
    margin: float
    clear_lead: bool
    needs_clerk_confirmation: Literal[True] = True

    @property
    def no_match(self) -> bool:
        """No candidate within the threshold: a result of its own, never the nearest person."""
        return not any(c.distance < self.threshold for c in self.candidates)


_BLOCK = 64


def _smallest(values: NDArray[np.floating[Any]], k: int) -> NDArray[np.intp]:
    """Indices of the k smallest values, ascending, exactly."""
    # Over 50k templates a full argpartition costs about as much as the matrix product. The
    # k smallest values lie in the k blocks with the smallest minima, so partitioning block
    # minima and then k blocks of 64 gives the same answer for a fraction of the work.
    n = len(values)
    if n <= 16 * _BLOCK:
        top = np.argpartition(values, k - 1)[:k] if k < n else np.arange(n)
        return top[np.argsort(values[top], kind="stable")]
    padded = np.full(-(-n // _BLOCK) * _BLOCK, np.inf, values.dtype)
    padded[:n] = values
    blocks = padded.reshape(-1, _BLOCK)
    best = np.argpartition(blocks.min(axis=1), k - 1)[:k]
    cand = (best[:, None] * _BLOCK + np.arange(_BLOCK)).reshape(-1)
    cand = cand[cand < n]
    top = cand[np.argpartition(values[cand], k - 1)[:k]]
    return top[np.argsort(values[top], kind="stable")]


class Gallery:
    """Enrolled descriptors in one contiguous float32 matrix, with their squared norms kept so
    that a search is one matrix-vector product: |q-x|^2 = |x|^2 - 2 q.x + |q|^2."""

    def __init__(self, dim: int = 128) -> None:
        self.dim = dim
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), np.float32)
        self._sq = np.zeros(0, np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._index

    def add_many(self, ids: list[str], vectors: NDArray[np.float32]) -> None:
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected ({len(ids)}, {self.dim}) vectors, got {vectors.shape}")
        if dup := [i for i in ids if i in self._index] or len(set(ids)) != len(ids):
            raise ValueError(f"duplicate template ids: {dup}")
        v = np.ascontiguousarray(vectors, np.float32)
        for i in ids:
            self._index[i] = len(self._ids)
            self._ids.append(i)
        self._vectors = np.concatenate([self._vectors, v])
        self._sq = np.concatenate([self._sq, np.einsum("ij,ij->i", v, v)])

    def add(self, template_id: str, vector: Embedding) -> None:
        self.add_many([template_id], vector.reshape(1, -1))

    def remove(self, template_id: str) -> bool:
        i = self._index.pop(template_id, None)
        if i is None:
            return False
        self._ids.pop(i)
        self._vectors = np.delete(self._vectors, i, axis=0)
        self._sq = np.delete(self._sq, i)
        self._index = {t: n for n, t in enumerate(self._ids)}
        return True

    def get(self, template_id: str) -> Embedding | None:
        i = self._index.get(template_id)
        return None if i is None else self._vectors[i].copy()

    def search(self, probe: Embedding, k: int, threshold: float, margin: float) -> SearchResult:
        n = len(self._ids)
        if n == 0:
            return SearchResult((), threshold, margin, clear_lead=False)
        q = probe.astype(np.float32).reshape(-1)
        sq = self._sq - 2.0 * (self._vectors @ q) + float(q @ q)
        k = min(k, n)
        top = _smallest(sq, k)
        dist = np.sqrt(np.maximum(sq[top], 0.0))
        cands = tuple(Candidate(self._ids[i], float(d)) for i, d in zip(top, dist, strict=True))
        second = float(dist[1]) if len(dist) > 1 else float("inf")
        lead = bool(dist[0] < threshold and second - float(dist[0]) >= margin)
        return SearchResult(cands, threshold, margin, lead)
