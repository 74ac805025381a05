"""Pick a verification threshold from consented local pairs: genuine (same person) and impostor
(different people) distances, for a target false-match rate. Public models are least accurate
on East-Asian faces, so each county should calibrate on its own data, not trust 0.6."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class Calibration:
    threshold: float
    false_match_rate: float  # impostor pairs below the threshold
    false_non_match_rate: float  # genuine pairs at or above it
    genuine_pairs: int
    impostor_pairs: int


def calibrate(genuine: ArrayLike, impostor: ArrayLike, target_fmr: float = 1e-3) -> Calibration:
    """The largest threshold whose false-match rate on `impostor` stays within `target_fmr`."""
    g = np.sort(np.asarray(genuine, np.float64))
    imp = np.sort(np.asarray(impostor, np.float64))
    if g.size == 0 or imp.size == 0:
        raise ValueError("calibration needs both genuine and impostor distances")
    allowed = int(np.floor(target_fmr * imp.size))
    # a match is distance < threshold, so the threshold may sit at the (allowed)-th impostor
    threshold = float(imp[allowed]) if allowed < imp.size else float(imp[-1]) + 1e-6
    fmr = float(np.mean(imp < threshold))
    fnmr = float(np.mean(g >= threshold))
    return Calibration(threshold, fmr, fnmr, int(g.size), int(imp.size))
