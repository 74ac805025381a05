"""1:1 verification thresholds, 1:N candidate search, threshold calibration (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.face.calibrate import calibrate
from edge.face.matcher import Gallery, Thresholds, verify


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_id_card_photos_use_their_own_threshold() -> None:
    a = np.zeros(128, np.float32)
    b = a.copy()
    b[0] = 0.52
    t = Thresholds(template=0.5, id_card_photo=0.55)
    assert not verify(a, b, t, "template").match
    result = verify(a, b, t, "id_card_photo")
    assert result.match
    assert result.threshold == 0.55
    assert result.reference == "id_card_photo"
    assert result.distance == pytest.approx(0.52)


def test_search_ranks_the_nearest_templates_first() -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng, 1000)
    gallery = Gallery()
    gallery.add_many([f"t{i}" for i in range(1000)], vectors)
    probe = vectors[417] + 0.01
    result = gallery.search(probe, k=5, threshold=0.5, margin=0.08)
    assert next(c.template_id for c in result.candidates) == "t417"
    dists = [c.distance for c in result.candidates]
    assert dists == sorted(dists)
    assert len(dists) == 5
    brute = np.sort(np.linalg.norm(vectors - probe, axis=1))[:5]
    np.testing.assert_allclose(dists, brute, atol=1e-4)
    assert result.clear_lead
    assert result.needs_clerk_confirmation


def test_search_without_a_clear_margin_has_no_lead() -> None:
    """GIVEN twins enrolled WHEN one of them is searched THEN both are candidates, no lead."""
    base = np.zeros(128, np.float32)
    twin = base.copy()
    twin[1] = 0.05
    gallery = Gallery()
    gallery.add_many(["a", "b"], np.stack([base, twin]))
    result = gallery.search(base, k=5, threshold=0.5, margin=0.08)
    assert {c.template_id for c in result.candidates} == {"a", "b"}
    assert not result.clear_lead


def test_search_beyond_the_threshold_has_no_lead() -> None:
    gallery = Gallery()
    gallery.add("far", np.full(128, 1.0, np.float32))
    result = gallery.search(np.zeros(128, np.float32), k=3, threshold=0.5, margin=0.0)
    assert len(result.candidates) == 1
    assert not result.clear_lead


def test_empty_gallery_returns_no_candidates() -> None:
    result = Gallery().search(np.zeros(128, np.float32), k=5, threshold=0.5, margin=0.08)
    assert result.candidates == ()
    assert not result.clear_lead


def test_gallery_removes_templates_and_rejects_duplicates() -> None:
    rng = np.random.default_rng(1)
    gallery = Gallery()
    gallery.add_many(["a", "b", "c"], _unit(rng, 3))
    assert gallery.remove("b")
    assert not gallery.remove("b")
    assert len(gallery) == 2
    assert "b" not in gallery
    probe = gallery.get("c")
    assert probe is not None
    assert gallery.search(probe, 2, 0.5, 0.0).candidates[0].template_id == "c"
    with pytest.raises(ValueError, match="duplicate"):
        gallery.add("a", probe)


def test_calibration_holds_the_false_match_rate() -> None:
    rng = np.random.default_rng(2)
    genuine = rng.normal(0.38, 0.06, 2000)
    impostor = rng.normal(0.85, 0.07, 20000)
    cal = calibrate(genuine, impostor, target_fmr=1e-3)
    assert cal.false_match_rate <= 1e-3
    assert 0.55 < cal.threshold < 0.7
    assert cal.false_non_match_rate < 0.01
    with pytest.raises(ValueError, match="both"):
        calibrate([], impostor)


@pytest.mark.parametrize("n", [7, 900, 5_000, 50_001])
def test_large_gallery_search_is_exact(n: int) -> None:
    """The blocked top-k shortcut must return exactly the brute-force nearest templates."""
    rng = np.random.default_rng(n)
    vectors = (rng.normal(size=(n, 128)) * 0.09).astype(np.float32)
    gallery = Gallery()
    gallery.add_many([str(i) for i in range(n)], vectors)
    for probe in vectors[rng.integers(0, n, 5)] + rng.normal(0, 0.02, (5, 128)).astype(np.float32):
        got = [int(c.template_id) for c in gallery.search(probe, 5, 0.5, 0.08).candidates]
        want = np.argsort(np.linalg.norm(vectors - probe, axis=1), kind="stable")[:5]
        assert got == [int(i) for i in want]
