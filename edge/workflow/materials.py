"""Which materials a case needs: each material's waiver computed from the catalog's waiver
ground and what the window learns about this applicant. Pure code.

- 无法律依据 (not required by law) and 任何部门均无法核实 (unverifiable): waived outright.
- 入户核查或联审 (home visit / joint review): waived; the case is flagged for the visit.
- 信息一库 (county database): waived only when the hub's data registry confirms it holds the
  fact for this applicant. Not found, or the hub unreachable: the material is needed, like any
  other. It is never deferrable (the catalog allows 容缺 only for materials it lists as such).
- 窗口出示证照 (document shown): waived when the clerk ticks that the original was shown;
  otherwise the copy is needed.
- A material taken at the window itself (a photo "窗口现场拍摄") is provided by the window.
- A material asked only in some cases (`required=False`) never blocks acceptance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from protocol.catalog import WAIVER_GROUND_LABELS, Matter, WaiverGround
from protocol.catalog import registry_materials as catalog_registry_materials

WINDOW_PHOTO_MARK = "窗口现场拍摄"


class LineStatus(StrEnum):
    WAIVED = "waived"
    NEEDED = "needed"
    OPTIONAL = "optional"
    WINDOW = "window"  # produced at the window (an ID photo)


class Lookup(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class MaterialLine:
    name: str
    status: LineStatus
    ground: WaiverGround | None = None
    note: str | None = None
    critical: bool = False
    deferrable: bool = False
    lookup: Lookup | None = None  # for county-database materials: what the registry said
    showable: bool = False  # the original shown at the window waives it

    @property
    def ground_label(self) -> str | None:
        return WAIVER_GROUND_LABELS[self.ground] if self.ground else None


def registry_materials(matter: Matter) -> tuple[str, ...]:
    """The materials of a matter that the data registry may confirm (the hub's rule too)."""
    return catalog_registry_materials(matter)


def needs_photo(matter: Matter) -> bool:
    return any(WINDOW_PHOTO_MARK in m.name and not m.waived for m in matter.materials)


def checklist(matter: Matter, registry_found: frozenset[str] | None) -> tuple[MaterialLine, ...]:
    """One line per material; ``registry_found`` is None when the registry could not be asked."""
    lines = []
    for m in matter.materials:
        if not m.required:
            lines.append(MaterialLine(m.name, LineStatus.OPTIONAL, note="视情况提供"))
            continue
        ground = m.waiver_ground
        if not m.waived:
            status = LineStatus.WINDOW if WINDOW_PHOTO_MARK in m.name else LineStatus.NEEDED
            lines.append(MaterialLine(m.name, status, None, None, m.critical, m.deferrable))
        elif ground is WaiverGround.COUNTY_DATABASE:
            if registry_found is None:
                lookup = Lookup.UNREACHABLE
            else:
                lookup = Lookup.FOUND if m.name in registry_found else Lookup.NOT_FOUND
            if lookup is Lookup.FOUND:
                lines.append(
                    MaterialLine(m.name, LineStatus.WAIVED, ground, m.waiver_note, lookup=lookup)
                )
            else:
                note = (
                    "信息一库未查到，需提供"
                    if lookup is Lookup.NOT_FOUND
                    else "信息一库暂时无法查询，需提供"
                )
                lines.append(MaterialLine(m.name, LineStatus.NEEDED, ground, note, lookup=lookup))
        elif ground is WaiverGround.DOCUMENT_SHOWN:
            lines.append(
                MaterialLine(m.name, LineStatus.NEEDED, ground, m.waiver_note, showable=True)
            )
        else:
            lines.append(MaterialLine(m.name, LineStatus.WAIVED, ground, m.waiver_note))
    return tuple(lines)


@dataclass(frozen=True)
class Assessment:
    waived: tuple[str, ...]
    received: tuple[str, ...]
    shown: tuple[str, ...]
    window: tuple[str, ...]
    missing_blocking: tuple[str, ...]
    missing_deferrable: tuple[str, ...]
    home_visit: bool

    @property
    def complete(self) -> bool:
        return not self.missing_blocking and not self.missing_deferrable

    @property
    def deferrable_only(self) -> bool:
        return not self.missing_blocking and bool(self.missing_deferrable)


def assess(
    lines: Iterable[MaterialLine], received: frozenset[str], shown: frozenset[str]
) -> Assessment:
    """Sort the needed materials by what the clerk ticked: received, original shown, missing."""
    waived, got, seen, window, blocking, deferrable = [], [], [], [], [], []
    home_visit = False
    for line in lines:
        if line.status is LineStatus.WAIVED:
            waived.append(line.name)
            home_visit |= line.ground is WaiverGround.HOME_VISIT_OR_JOINT_REVIEW
        elif line.status is LineStatus.WINDOW:
            window.append(line.name)
        elif line.status is LineStatus.NEEDED:
            if line.showable and line.name in shown:
                seen.append(line.name)
            elif line.name in received:
                got.append(line.name)
            elif line.deferrable:
                deferrable.append(line.name)
            else:
                blocking.append(line.name)
    return Assessment(
        tuple(waived), tuple(got), tuple(seen), tuple(window), tuple(blocking),
        tuple(deferrable), home_visit,
    )  # fmt: skip
