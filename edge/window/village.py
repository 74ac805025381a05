"""The window's name on the kiosk and the slips: the one configured (``--window-name``), or,
when none was given, the village's own from the county's village registry the unit ships with
(protocol/seed/villages.json), e.g. 清水镇东街村便民服务站; never a generic 便民服务站 when the
unit's village is known."""

from __future__ import annotations

from functools import cache

from protocol.seed import SEED_VILLAGES
from protocol.villages import RegistryLookupError, VillageRegistry

GENERIC = "便民服务站"


@cache
def _seed() -> VillageRegistry | None:
    try:
        return VillageRegistry.model_validate_json(SEED_VILLAGES.read_bytes())
    except (OSError, ValueError):
        return None


def window_name(unit: str, configured: str = GENERIC) -> str:
    if configured != GENERIC:
        return configured
    registry = _seed()
    if registry is None:
        return configured
    try:
        village = registry.village(unit)
        return f"{registry.division(village.division).name}{village.name}{GENERIC}"
    except RegistryLookupError:
        return configured
