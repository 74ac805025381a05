"""Where a person's account sees and acts: the whole county, one town (a division of the
village registry) or one village (its unit).

A town's office sees and acts on its own villages only, in the pages, the API and the exports:
every list, count, indicator and export asks :func:`units_in` and filters by unit. ``None``
means the whole county (no filter), which is different from an empty set (a town since removed
from the registry reaches nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.villages import RegistryLookupError, VillageRegistry


@dataclass(frozen=True)
class Area:
    town: str | None = None  # a division code
    village: str | None = None  # a unit id

    @property
    def county(self) -> bool:
        return self.town is None and self.village is None

    def label(self, registry: VillageRegistry) -> str:
        """The area's name as the pages show it."""
        try:
            if self.village is not None:
                return registry.village(self.village).name
            if self.town is not None:
                return registry.division(self.town).name
        except RegistryLookupError:
            return "（已撤销的区域）"
        return registry.county.name


COUNTY = Area()


def units_in(area: Area, registry: VillageRegistry) -> frozenset[str] | None:
    """The units ``area`` covers; None for the whole county."""
    if area.village is not None:
        return frozenset({area.village}) if area.village in registry.unit_ids() else frozenset()
    if area.town is not None:
        try:
            return frozenset(v.unit_id for v in registry.in_division(area.town))
        except RegistryLookupError:
            return frozenset()
    return None


def covers(area: Area, registry: VillageRegistry, unit: str | None) -> bool:
    """Whether ``area`` reaches ``unit`` (something with no unit only from the county)."""
    units = units_in(area, registry)
    return units is None or (unit is not None and unit in units)


def within(
    area: Area, registry: VillageRegistry, units: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    """A query's own unit filter (None: none) narrowed to what ``area`` reaches."""
    allowed = units_in(area, registry)
    if allowed is None:
        return units
    if units is None:
        return tuple(sorted(allowed))
    return tuple(u for u in units if u in allowed)
