"""False-accept and false-reject rates from genuine and impostor distances (a match is a
distance below the threshold), the threshold for a target false-accept rate, and ROC points."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from edge.face.calibrate import calibrate

REPORTED = (0.4, 0.45, 0.5, 0.55, 0.6)
GRID = np.round(np.arange(0.20, 1.0001, 0.005), 3)


def _stats(d: NDArray[np.float64]) -> dict[str, float] | None:
    if d.size == 0:
        return None
    q = np.percentile(d, [0, 1, 5, 50, 95, 99, 100])
    keys = ("min", "p1", "p5", "median", "p95", "p99", "max")
    return {k: round(float(v), 4) for k, v in zip(keys, q, strict=True)}


def far_frr(gen: NDArray[np.float64], imp: NDArray[np.float64], t: float) -> dict[str, float]:
    far = float(np.mean(imp < t)) if imp.size else float("nan")
    frr = float(np.mean(gen >= t)) if gen.size else float("nan")
    return {"far": round(far, 6), "frr": round(frr, 6)}


def rates(gen: NDArray[np.float64], imp: NDArray[np.float64]) -> dict[str, list[float]]:
    """FAR and FRR over a threshold grid, for the ROC plot."""
    rows = [far_frr(gen, imp, float(t)) for t in GRID]
    return {
        "threshold": [float(t) for t in GRID],
        "far": [r["far"] for r in rows],
        "frr": [r["frr"] for r in rows],
    }


def summarise(
    gen: NDArray[np.float64],
    imp: NDArray[np.float64],
    same_photo: NDArray[np.float64] | None,
    target_far: float,
    curve: bool = True,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "genuine_pairs": int(gen.size),
        "impostor_pairs": int(imp.size),
        "genuine_distance": _stats(gen),
        "impostor_distance": _stats(imp),
        "at": {str(t): far_frr(gen, imp, t) for t in REPORTED},
    }
    if same_photo is not None:
        out["same_photo_transformed_pairs"] = int(same_photo.size)
        out["same_photo_transformed_distance"] = _stats(same_photo)
    if gen.size and imp.size:
        c = calibrate(gen, imp, target_fmr=target_far)
        out["chosen"] = {
            "threshold": round(c.threshold, 4),
            "far": round(c.false_match_rate, 6),
            "frr": round(c.false_non_match_rate, 6),
            # a FAR below 1/impostor_pairs cannot be told apart from zero on this set
            "far_resolution": round(1 / imp.size, 8),
        }
        if curve:
            r = rates(gen, imp)
            gap = np.abs(np.array(r["far"]) - np.array(r["frr"]))
            i = int(np.argmin(gap))
            out["eer"] = {
                "threshold": r["threshold"][i],
                "rate": round((r["far"][i] + r["frr"][i]) / 2, 4),
            }
    else:
        out["chosen"] = {"threshold": float("nan"), "far": float("nan"), "frr": float("nan")}
    return out
