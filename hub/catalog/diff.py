"""What a draft changes against the version the units run, field by field, in Chinese: the
draft page shows it and the approver decides on it. Pure functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.catalog.offered import Exclusions
from hub.catalog.workbook.columns import LEVEL_LABELS
from protocol.catalog import (
    APPROVAL_LABELS,
    LIFE_AREA_LABELS,
    SLIP_LABELS,
    WAIVER_GROUND_LABELS,
    Catalog,
    Fee,
    Material,
    Matter,
    format_yuan,
)
from protocol.villages import VillageRegistry


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class MatterChange:
    code: str
    name: str
    kind: str  # added, removed, changed
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class CatalogDiff:
    header: tuple[FieldChange, ...]
    matters: tuple[MatterChange, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.header and not self.matters


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _days(value: int | None) -> str:
    return "（全县统一）" if value is None else f"{value}个工作日"


_FIELDS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("name", "事项名称", str),
    ("department", "主管部门", str),
    ("level", "事项层级", lambda v: LEVEL_LABELS[str(v)]),
    ("delegated", "下沉村级", _yes),
    ("area", "生命周期", lambda v: LIFE_AREA_LABELS[v]),
    ("legal_days", "法定时限", _days),
    ("promised_days", "承诺时限", _days),
    ("instant", "即办", _yes),
    ("approval", "审批方式", lambda v: APPROVAL_LABELS[v]),
    ("steps_before", "改革前环节", lambda v: " → ".join(v)),
    ("steps_after", "改革后环节", lambda v: " → ".join(v)),
    ("slips", "打印单据", lambda v: "、".join(SLIP_LABELS[s] for s in v)),
    ("result_by_post", "结果可邮寄", _yes),
    ("deficiency_grace_days", "容缺宽限", _days),
)


def describe_material(m: Material) -> str:
    parts = ["必需" if m.required else "特定情形需要"]
    if m.waived and m.waiver_ground is not None:
        parts.append(f"已免交（{WAIVER_GROUND_LABELS[m.waiver_ground]}）")
    if m.waiver_note:
        parts.append(f"说明：{m.waiver_note}")
    if m.critical:
        parts.append("关键材料")
    if m.deferrable:
        parts.append("可容缺")
    if m.obtain_at:
        parts.append(f"获取途径：{m.obtain_at}")
    return "；".join(parts)


def describe_fee(f: Fee) -> str:
    return format_yuan(f.amount_fen) + (f"（{f.basis}）" if f.basis else "")


def _villages(codes: list[str], registry: VillageRegistry) -> str:
    names = []
    for unit in codes:
        try:
            names.append(registry.village(unit).name)
        except LookupError:
            names.append(unit)
    if not names:
        return "无"
    shown = "、".join(names[:12])
    return shown + (f"等{len(names)}个" if len(names) > 12 else "")


def matter_changes(
    before: Matter,
    after: Matter,
    excluded_before: list[str],
    excluded_after: list[str],
    registry: VillageRegistry,
) -> list[FieldChange]:
    out = []
    for name, label, show in _FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append(FieldChange(label, show(old), show(new)))
    out += _by_key("材料", before.materials, after.materials, lambda m: m.name, describe_material)
    out += _by_key("收费", before.fees, after.fees, lambda f: f.item, describe_fee)
    if excluded_before != excluded_after:
        out.append(
            FieldChange(
                "不办理的村（社区）",
                _villages(excluded_before, registry),
                _villages(excluded_after, registry),
            )
        )
    return out


def _by_key(
    label: str,
    old: tuple[Any, ...],
    new: tuple[Any, ...],
    key: Callable[[Any], str],
    show: Callable[[Any], str],
) -> list[FieldChange]:
    before = {key(x): x for x in old}
    after = {key(x): x for x in new}
    out = []
    for k, item in after.items():
        if k not in before:
            out.append(FieldChange(f"{label}“{k}”", "（无）", show(item)))
        elif before[k] != item:
            out.append(FieldChange(f"{label}“{k}”", show(before[k]), show(item)))
    for k, item in before.items():
        if k not in after:
            out.append(FieldChange(f"{label}“{k}”", show(item), "（删除）"))
    if not out and [key(x) for x in old] != [key(x) for x in new]:
        out.append(FieldChange(f"{label}顺序", "、".join(before), "、".join(after)))
    return out


def _excluded_by_matter(exclusions: Exclusions) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for unit, codes in exclusions.items():
        for code in codes:
            out.setdefault(code, []).append(unit)
    return {c: sorted(u) for c, u in out.items()}


def catalog_diff(
    base: Catalog,
    base_excl: Exclusions,
    new: Catalog,
    new_excl: Exclusions,
    registry: VillageRegistry,
) -> CatalogDiff:
    header = []
    if base.title != new.title:
        header.append(FieldChange("目录标题", base.title, new.title))
    if base.note != new.note:
        header.append(FieldChange("目录说明", base.note, new.note))
    ex_old, ex_new = _excluded_by_matter(base_excl), _excluded_by_matter(new_excl)
    changes: list[MatterChange] = []
    for m in new.matters:
        old = base.get(m.code)
        if old is None:
            changes.append(MatterChange(m.code, m.name, "added"))
            continue
        fields = matter_changes(old, m, ex_old.get(m.code, []), ex_new.get(m.code, []), registry)
        if fields:
            changes.append(MatterChange(m.code, m.name, "changed", tuple(fields)))
    changes += [
        MatterChange(m.code, m.name, "removed") for m in base.matters if new.get(m.code) is None
    ]
    counts = {k: sum(c.kind == k for c in changes) for k in ("added", "removed", "changed")}
    return CatalogDiff(tuple(header), tuple(changes), counts)
