"""The reform indicators, computed from a catalog's before/after fields, never stored.

Every rate is pooled over the matters passed in: the sum of the "after" figure over all of
them, divided by the sum of the "before" figure. Pooling weighs a matter by its size, so a
matter that lost one of two materials does not count as much as one that lost six of eight.
The hub reports them over the whole catalog; pass ``catalog.delegated()`` for the village
window's share.

- material reduction rate = 1 - (required materials not waived) / (required materials).
  Materials asked only in some cases (``required=False``) count on neither side.
- step reduction rate = 1 - sum(len(steps_after)) / sum(len(steps_before)).
- time-limit compression rate = 1 - sum(promised_days) / sum(legal_days), in working days.
- instant matters = matters with ``instant`` (即办, promised in 0 days); share = count / matters.

A rate whose denominator is zero (no matter, or no material at all) is 0.0: nothing was cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from protocol.catalog import Matter


def _reduction(before: int, after: int) -> float:
    return 1.0 - after / before if before else 0.0


def material_reduction(matters: Iterable[Matter]) -> float:
    items = list(matters)
    return _reduction(sum(m.materials_before for m in items), sum(m.materials_after for m in items))


def step_reduction(matters: Iterable[Matter]) -> float:
    items = list(matters)
    before = sum(len(m.steps_before) for m in items)
    return _reduction(before, sum(len(m.steps_after) for m in items))


def time_compression(matters: Iterable[Matter]) -> float:
    items = list(matters)
    return _reduction(sum(m.legal_days for m in items), sum(m.promised_days for m in items))


def instant_count(matters: Iterable[Matter]) -> int:
    return sum(m.instant for m in matters)


def instant_share(matters: Iterable[Matter]) -> float:
    items = list(matters)
    return instant_count(items) / len(items) if items else 0.0


@dataclass(frozen=True, slots=True)
class Indicators:
    """All figures for one set of matters, with the totals behind each rate."""

    matters: int
    delegated: int
    instant: int
    instant_share: float
    materials_before: int
    materials_after: int
    material_reduction: float
    steps_before: int
    steps_after: int
    step_reduction: float
    legal_days: int
    promised_days: int
    time_compression: float

    def rounded(self, digits: int = 4) -> dict[str, int | float]:
        """A JSON-ready dict with rates rounded (0.7421 reads as 74.21 %)."""
        return {k: round(v, digits) if isinstance(v, float) else v for k, v in asdict(self).items()}


def compute(matters: Iterable[Matter]) -> Indicators:
    items = list(matters)
    return Indicators(
        matters=len(items),
        delegated=sum(m.delegated for m in items),
        instant=instant_count(items),
        instant_share=instant_share(items),
        materials_before=sum(m.materials_before for m in items),
        materials_after=sum(m.materials_after for m in items),
        material_reduction=material_reduction(items),
        steps_before=sum(len(m.steps_before) for m in items),
        steps_after=sum(len(m.steps_after) for m in items),
        step_reduction=step_reduction(items),
        legal_days=sum(m.legal_days for m in items),
        promised_days=sum(m.promised_days for m in items),
        time_compression=time_compression(items),
    )
