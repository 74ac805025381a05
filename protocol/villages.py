"""The village registry: the county's divisions and its village windows, each a unit.

A village's unit id is also its MQTT topic level, so it follows ``protocol.topics``. A village
handles every matter the catalog delegates to village windows, minus the ones it lists in
``matters_excluded`` (urban communities, for instance, have no farm-machinery subsidy).

Pure models shared by the hub (rollouts, dashboard), provisioning (which units get
credentials) and the simulators; loading a file with line-and-column errors is the hub's.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from protocol.catalog import MatterCode
from protocol.topics import UNIT_ID_PATTERN


class RegistryLookupError(LookupError):
    """A unit or division the registry does not hold."""

    code: ClassVar[str] = "registry_lookup"


class UnknownUnit(RegistryLookupError):
    code: ClassVar[str] = "unknown_unit"


class UnknownDivision(RegistryLookupError):
    code: ClassVar[str] = "unknown_division"


Slug = Annotated[str, StringConstraints(pattern=rf"^{UNIT_ID_PATTERN}$")]
ChineseName = Annotated[str, StringConstraints(min_length=1, max_length=40)]
DivisionKind = Literal["town", "subdistrict", "high_tech_zone"]

DIVISION_KIND_LABELS: dict[str, str] = {
    "town": "镇",
    "subdistrict": "街道",
    "high_tech_zone": "高新区",
}
VILLAGE_KIND_LABELS: dict[str, str] = {"village": "村", "community": "社区"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class County(_Model):
    code: Slug
    name: ChineseName


class Division(_Model):
    """A town (镇), subdistrict (街道) or high-tech zone (高新区) directly under the county."""

    code: Slug
    name: ChineseName
    kind: DivisionKind


class Village(_Model):
    """A village (村) or community (社区) with a service window and one edge unit."""

    unit_id: Slug
    name: ChineseName
    kind: Literal["village", "community"]
    division: Slug
    has_agent: bool  # an agent (代办员) who files matters on residents' behalf
    matters_excluded: tuple[MatterCode, ...] = ()


class VillageRegistry(_Model):
    """The registry file, validated; lookups are built once on first use."""

    model_config = ConfigDict(populate_by_name=True)

    note: str = Field(alias="_note")
    schema_version: Literal[1] = 1
    county: County
    divisions: tuple[Division, ...]
    villages: tuple[Village, ...]

    @model_validator(mode="after")
    def _consistent(self) -> VillageRegistry:
        problems = list(self._problems())
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _problems(self) -> Iterable[str]:
        if not self.villages:
            yield "villages: the registry lists no village"
        seen: set[str] = set()
        for i, d in enumerate(self.divisions):
            if d.code in seen:
                yield f"divisions[{i}].code: duplicate division code {d.code!r}"
            seen.add(d.code)
        units: set[str] = set()
        for i, v in enumerate(self.villages):
            if v.unit_id in units:
                yield f"villages[{i}].unit_id: duplicate unit id {v.unit_id!r}"
            units.add(v.unit_id)
            if v.division not in seen:
                yield f"villages[{i}].division: unknown division {v.division!r}"
            if len(set(v.matters_excluded)) != len(v.matters_excluded):
                yield f"villages[{i}].matters_excluded: a matter is listed twice"

    @cached_property
    def _by_unit(self) -> dict[str, Village]:
        return {v.unit_id: v for v in self.villages}

    @cached_property
    def _by_division(self) -> dict[str, tuple[Village, ...]]:
        return {
            d.code: tuple(v for v in self.villages if v.division == d.code) for d in self.divisions
        }

    def village(self, unit_id: str) -> Village:
        """The village whose window runs ``unit_id``; UnknownUnit if there is none."""
        try:
            return self._by_unit[unit_id]
        except KeyError:
            raise UnknownUnit(f"no village has unit id {unit_id!r}") from None

    def division(self, code: str) -> Division:
        for d in self.divisions:
            if d.code == code:
                return d
        raise UnknownDivision(f"no division has code {code!r}")

    def in_division(self, code: str) -> tuple[Village, ...]:
        """The villages under one division, in file order; UnknownDivision if there is none."""
        try:
            return self._by_division[code]
        except KeyError:
            raise UnknownDivision(f"no division has code {code!r}") from None

    def unit_ids(self) -> tuple[str, ...]:
        return tuple(v.unit_id for v in self.villages)

    def summary(self) -> dict[str, int]:
        return {
            "divisions": len(self.divisions),
            "towns": sum(d.kind == "town" for d in self.divisions),
            "subdistricts": sum(d.kind == "subdistrict" for d in self.divisions),
            "high_tech_zones": sum(d.kind == "high_tech_zone" for d in self.divisions),
            "villages": len(self.villages),
            "communities": sum(v.kind == "community" for v in self.villages),
            "with_agent": sum(v.has_agent for v in self.villages),
        }
