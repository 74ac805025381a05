"""What the hub API serves about the catalog: indicators and each unit's slice of matters.

Plain functions over loaded objects; the routes that call them stay thin.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from hub.catalog.errors import Issue, RegistryMismatch
from hub.catalog.indicators import Indicators, compute
from protocol.catalog import Catalog, CatalogSlice, Matter
from protocol.villages import VillageRegistry

Scope = Literal["all", "delegated"]

# The county's published figures, for comparison on the dashboard; never used in computation.
SOURCE_FIGURES: dict[str, float | int] = {
    "material_reduction": 0.742,
    "step_reduction": 0.443,
    "time_compression": 0.881,
    "instant": 42,
}


def indicators(catalog: Catalog, scope: Scope = "all") -> Indicators:
    """The indicators over every matter, or over the matters delegated to village windows."""
    return compute(catalog.matters if scope == "all" else catalog.delegated())


class IndicatorReport(TypedDict):
    version: int
    all: dict[str, int | float]
    delegated: dict[str, int | float]
    source: dict[str, float | int]


def indicators_report(catalog: Catalog) -> IndicatorReport:
    """A JSON-ready report: catalog version, both scopes, and the source's figures."""
    return {
        "version": catalog.version,
        "all": indicators(catalog, "all").rounded(),
        "delegated": indicators(catalog, "delegated").rounded(),
        "source": SOURCE_FIGURES,
    }


def matters_for_unit(
    unit_id: str, catalog: Catalog, registry: VillageRegistry
) -> tuple[Matter, ...]:
    """The matters the village window behind ``unit_id`` handles, in catalog order.

    Every delegated matter except the village's exclusions. An exclusion naming a matter the
    catalog no longer delegates is moot and ignored here; ``check_registry`` reports it.
    Raises UnknownUnit for a unit id the registry does not know.
    """
    excluded = set(registry.village(unit_id).matters_excluded)
    return tuple(m for m in catalog.delegated() if m.code not in excluded)


def catalog_slice(unit_id: str, catalog: Catalog, registry: VillageRegistry) -> CatalogSlice:
    """The slice that goes into the unit's signed desired configuration."""
    return CatalogSlice(
        catalog_version=catalog.version,
        matters=matters_for_unit(unit_id, catalog, registry),
    )


def slices_by_unit(catalog: Catalog, registry: VillageRegistry) -> dict[str, CatalogSlice]:
    """Every unit's slice, by unit id (for a rollout over the whole county)."""
    return {unit: catalog_slice(unit, catalog, registry) for unit in registry.unit_ids()}


def check_registry(registry: VillageRegistry, catalog: Catalog, source: str = "<villages>") -> None:
    """Raise RegistryMismatch if a village excludes a matter the catalog does not delegate."""
    delegated = {m.code for m in catalog.delegated()}
    issues = [
        Issue(
            f"villages[{i}]({v.unit_id}).matters_excluded",
            f"{code} is not a delegated matter of catalog version {catalog.version}",
        )
        for i, v in enumerate(registry.villages)
        for code in v.matters_excluded
        if code not in delegated
    ]
    if issues:
        raise RegistryMismatch(source, issues)
