"""Which villages offer which delegated matter. The village registry states the exceptions
(``matters_excluded``); a catalog version published from the pages carries its own copy of
them, so a change of "which villages offer a matter" is reviewed, approved and rolled out with
the catalog. Pure functions over the registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from protocol.catalog import Catalog
from protocol.villages import Village, VillageRegistry

# unit id -> the delegated matters its window does not handle; units handling all are absent
Exclusions = dict[str, tuple[str, ...]]


def normalise(pairs: Iterable[tuple[str, str]]) -> Exclusions:
    out: dict[str, set[str]] = {}
    for unit, code in pairs:
        out.setdefault(unit, set()).add(code)
    return {u: tuple(sorted(c)) for u, c in sorted(out.items()) if c}


def from_mapping(data: Mapping[str, Sequence[str]]) -> Exclusions:
    return normalise((u, c) for u, codes in data.items() for c in codes)


def registry_exclusions(registry: VillageRegistry) -> Exclusions:
    return normalise((v.unit_id, c) for v in registry.villages for c in v.matters_excluded)


def with_exclusions(registry: VillageRegistry, exclusions: Exclusions) -> VillageRegistry:
    """The registry with each village's exclusions replaced by ``exclusions``."""
    if registry_exclusions(registry) == exclusions:
        return registry
    # validated anew rather than model_copy'd: a copy would keep the original's cached lookups
    data = registry.model_dump(mode="json", by_alias=True)
    for village in data["villages"]:
        village["matters_excluded"] = list(exclusions.get(village["unit_id"], ()))
    return VillageRegistry.model_validate(data)


def offering(code: str, exclusions: Exclusions, villages: Iterable[Village]) -> list[Village]:
    return [v for v in villages if code not in exclusions.get(v.unit_id, ())]


@dataclass(frozen=True)
class ExclusionProblem:
    unit: str
    code: str
    problem: str  # stable English code
    message: str
    reason_zh: str


def problems(
    exclusions: Iterable[tuple[str, str]], catalog: Catalog | None, registry: VillageRegistry
) -> list[ExclusionProblem]:
    """Exclusions naming an unknown village, a matter the catalog lacks or does not delegate,
    or one pair twice (the matters are checked only against a valid catalog)."""
    units = set(registry.unit_ids())
    found: list[ExclusionProblem] = []
    seen: set[tuple[str, str]] = set()
    for unit, code in exclusions:
        matter = catalog.get(code) if catalog is not None else None
        if unit not in units:
            found.append(
                ExclusionProblem(
                    unit,
                    code,
                    "unknown_unit",
                    "no village has this unit id",
                    f"没有编码为“{unit[:64]}”的村（社区）",
                )
            )
        elif catalog is not None and matter is None:
            found.append(
                ExclusionProblem(
                    unit, code, "unknown_matter", "no such matter", f"目录中没有事项“{code[:20]}”"
                )
            )
        elif matter is not None and not matter.delegated:
            found.append(
                ExclusionProblem(
                    unit,
                    code,
                    "not_delegated",
                    "the matter is not delegated",
                    f"事项“{code}”未下沉村级，无需排除",
                )
            )
        elif (unit, code) in seen:
            found.append(ExclusionProblem(unit, code, "duplicate", "listed twice", "重复填写"))
        seen.add((unit, code))
    return found
