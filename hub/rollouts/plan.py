"""Which units a rollout reaches, and in which stages. Pure functions over the registry."""

from __future__ import annotations

from collections.abc import Sequence

from hub.errors import InvalidRequest, UnknownTarget
from hub.rollouts.models import Target
from protocol.villages import RegistryLookupError, Village, VillageRegistry


def target_villages(registry: VillageRegistry, target: Target) -> list[Village]:
    """The villages a target names (a list in its own order); UnknownTarget for names the
    registry lacks."""
    try:
        if target.all:
            return list(registry.villages)
        if target.division is not None:
            return list(registry.in_division(target.division))
        assert target.units is not None
        wanted = list(dict.fromkeys(target.units))
        return [registry.village(u) for u in wanted]
    except RegistryLookupError as exc:
        raise UnknownTarget(str(exc)) from None


def spread_canaries(villages: Sequence[Village], count: int) -> list[str]:
    """``count`` villages taken in turn from each division, so canaries see every kind of
    place (town, subdistrict, zone) before the rest of the county does."""
    by_division: dict[str, list[Village]] = {}
    for v in villages:
        by_division.setdefault(v.division, []).append(v)
    queues = list(by_division.values())
    picked: list[str] = []
    depth = 0
    while len(picked) < min(count, len(villages)):
        for queue in queues:
            if depth < len(queue) and len(picked) < count:
                picked.append(queue[depth].unit_id)
        depth += 1
    return picked


def plan_stages(
    villages: Sequence[Village],
    *,
    canary: Sequence[str] = (),
    canary_count: int = 0,
    stage_size: int | None = None,
) -> list[list[str]]:
    """Stages of unit ids: the canaries first (if any), then the rest in registry order,
    in stages of ``stage_size`` (or one stage)."""
    units = [v.unit_id for v in villages]
    if canary and canary_count:
        raise InvalidRequest("give canary units or canary_count, not both")
    chosen = list(dict.fromkeys(canary)) or spread_canaries(villages, canary_count)
    outside = sorted(set(chosen) - set(units))
    if outside:
        raise InvalidRequest(f"canary units outside the target: {', '.join(outside)}")
    if chosen and len(chosen) == len(units):
        raise InvalidRequest("every target unit is a canary; leave some for a later stage")
    rest = [u for u in units if u not in set(chosen)]
    size = stage_size or len(rest)
    stages = [chosen] if chosen else []
    stages += [rest[i : i + size] for i in range(0, len(rest), size)]
    return stages
