"""Which units a simulation runs: the county's villages first, then synthetic units beyond them
(for load runs larger than one county)."""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.registry import synthetic_unit_id


@dataclass(frozen=True)
class UnitIdentity:
    unit_id: str
    name: str | None
    division: str | None


def fleet_identities(count: int | None = None) -> list[UnitIdentity]:
    """``count`` units named from the village registry (all 76 by default)."""
    from hub.catalog.villages import load_villages

    registry = load_villages()
    units = [UnitIdentity(v.unit_id, v.name, v.division) for v in registry.villages]
    if count is None:
        return units
    if count < 0:
        raise ValueError("the number of units cannot be negative")
    extra = [UnitIdentity(synthetic_unit_id(i), None, None) for i in range(count - len(units))]
    return (units + extra)[:count]
