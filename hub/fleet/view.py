"""The fleet as the county's staff read it: every window of the registry (those never heard
from too), grouped by town, each with its presence, its problems in Chinese and its
configuration versions. Pure code over the unit rows, configurations and open alerts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hub.fleet.health import health_summary
from protocol.villages import VillageRegistry

UNREGISTERED = ""  # the town code of units the registry does not know (heard from anyway)


class Presence(StrEnum):
    ONLINE = "online"  # said online (its state topic) and heard from recently
    STALE = "stale"  # said online, but silent past the hub's stale_after_s
    OFFLINE = "offline"  # its last will (or its own goodbye) said offline
    NEVER = "never"  # in the registry, never heard from


PRESENCE_LABELS: dict[str, str] = {
    Presence.ONLINE: "在线",
    Presence.STALE: "无心跳",
    Presence.OFFLINE: "离线",
    Presence.NEVER: "未接入",
}
# the status filter of /fleet: a presence, or "problem" (whatever the presence)
STATUS_LABELS: dict[str, str] = {**PRESENCE_LABELS, "problem": "有问题"}


@dataclass(frozen=True)
class UnitRow:
    id: str
    name: str  # the village's name, else what the unit row says, else its id
    town: str  # division code; UNREGISTERED when the registry lacks the unit
    town_name: str
    presence: Presence
    last_seen: datetime | None = None
    health_at: datetime | None = None
    events: int = 0
    cases: int = 0
    running_version: int | None = None  # from its heartbeat
    desired_version: int | None = None  # what the hub issued it last
    reported_version: int | None = None  # its last config report
    report_status: str | None = None  # applied | rejected
    report_reason: str | None = None
    anomaly_version: int | None = None  # a version it claimed that the hub never issued
    outbox_depth: int | None = None
    outbox_oldest_s: float | None = None
    outbox_alarm: bool = False
    paper: str | None = None
    device_problems: tuple[str, ...] = ()
    agent_version: str | None = None
    # the hub signing keys it trusts and its key list serial, from its heartbeat (Health.trust)
    trusted_keys: tuple[str, ...] = ()
    key_serial: int | None = None
    clock_offset_s: float | None = None
    clock_drift: bool = False
    open_alerts: int = 0
    devices: Mapping[str, Any] = field(default_factory=dict)

    @property
    def presence_label(self) -> str:
        return PRESENCE_LABELS[self.presence]

    @property
    def config_pending(self) -> bool:
        """Issued a version it does not run yet."""
        return bool(self.desired_version) and self.desired_version != self.running_version

    @property
    def problems(self) -> list[str]:
        """What needs someone, in Chinese: devices, the outbox, the clock, the configuration."""
        out = list(self.device_problems)
        if self.outbox_alarm:
            out.append("待上报数据将满")
        if self.clock_drift:
            out.append("时钟偏差")
        if self.report_status == "rejected":
            out.append("拒绝配置")
        if self.anomaly_version is not None:
            out.append("配置版本异常")
        return out

    @property
    def problem(self) -> bool:
        return bool(self.problems)

    def matches(self, status: str | None) -> bool:
        if not status:
            return True
        return self.problem if status == "problem" else self.presence == status


@dataclass
class TownCount:
    code: str
    name: str
    total: int = 0
    by_presence: dict[str, int] = field(default_factory=lambda: {p.value: 0 for p in Presence})
    problem: int = 0

    def add(self, row: UnitRow) -> None:
        self.total += 1
        self.by_presence[row.presence] += 1
        self.problem += row.problem


def presence(unit: Any, now: datetime, stale_after: timedelta) -> Presence:
    if unit is None or unit.last_seen is None:
        return Presence.NEVER
    if not unit.online:
        return Presence.OFFLINE
    return Presence.STALE if now - unit.last_seen > stale_after else Presence.ONLINE


def unit_row(
    unit_id: str,
    unit: Any,
    registry: VillageRegistry,
    *,
    config: Any = None,
    open_alerts: int = 0,
    now: datetime,
    stale_after: timedelta,
) -> UnitRow:
    """One window: ``unit`` is its unit row (None if never heard from), ``config`` its
    unit_config row (None if never issued one); anything with those columns as attributes."""
    try:
        village = registry.village(unit_id)
        name, town = village.name, village.division
        town_name = registry.division(town).name
    except LookupError:
        name, town, town_name = unit_id, UNREGISTERED, "未登记的终端"
        if unit is not None and unit.name:
            name = unit.name
    health = (unit.health if unit is not None else None) or {}
    if not isinstance(health, dict):
        health = {}
    summary = health_summary(health)
    outbox, versions, devices = (_part(health, k) for k in ("outbox", "versions", "devices"))
    # a claimed version above anything the hub issued it (UnitConfigPublic.anomaly)
    claimed = config.anomaly_version if config is not None else None
    anomaly = claimed if claimed is not None and claimed > config.desired_version else None
    return UnitRow(
        id=unit_id,
        name=name,
        town=town,
        town_name=town_name,
        presence=presence(unit, now, stale_after),
        last_seen=unit.last_seen if unit is not None else None,
        health_at=unit.health_at if unit is not None else None,
        events=int(unit.events) if unit is not None else 0,
        cases=int(unit.cases) if unit is not None else 0,
        running_version=unit.config_version if unit is not None else None,
        desired_version=config.desired_version if config is not None else None,
        reported_version=config.report_version if config is not None else None,
        report_status=config.report_status if config is not None else None,
        report_reason=config.report_reason if config is not None else None,
        anomaly_version=anomaly,
        outbox_depth=summary["outbox_depth"],
        outbox_oldest_s=outbox.get("oldest_age_s"),
        outbox_alarm=summary["outbox_alarm"],
        paper=summary["paper"],
        device_problems=tuple(summary["device_problems"]),
        agent_version=str(versions["agent"])[:64] if versions.get("agent") else None,
        trusted_keys=_key_ids(_part(health, "trust").get("keys")),
        key_serial=_serial(_part(health, "trust").get("serial")),
        clock_offset_s=unit.clock_offset_s if unit is not None else None,
        clock_drift=bool(unit.clock_drift) if unit is not None else False,
        open_alerts=open_alerts,
        devices=devices,
    )


def _key_ids(value: object) -> tuple[str, ...]:
    return tuple(str(k)[:16] for k in value[:8]) if isinstance(value, list) else ()


def _serial(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _part(health: dict[str, Any], key: str) -> dict[str, Any]:
    value = health.get(key)
    return value if isinstance(value, dict) else {}


def fleet_rows(
    registry: VillageRegistry,
    units: Iterable[Any],
    *,
    area_units: frozenset[str] | None,
    configs: Mapping[str, Any],
    open_alerts: Mapping[str, int],
    now: datetime,
    stale_after: timedelta,
) -> list[UnitRow]:
    """Every window ``area_units`` covers (None: the county), in registry order (town by town),
    then the units heard from that the registry lacks (county only: they belong to no town)."""
    by_id = {u.id: u for u in units}
    ids = [v.unit_id for v in registry.villages if area_units is None or v.unit_id in area_units]
    if area_units is None:
        known = set(registry.unit_ids())
        ids += sorted(u for u in by_id if u not in known)
    return [
        unit_row(
            uid, by_id.get(uid), registry, config=configs.get(uid),
            open_alerts=open_alerts.get(uid, 0), now=now, stale_after=stale_after,
        )
        for uid in ids
    ]  # fmt: skip


def town_counts(rows: Iterable[UnitRow]) -> list[TownCount]:
    """Per town (in the order the rows come), how many windows are in which state."""
    towns: dict[str, TownCount] = {}
    for row in rows:
        towns.setdefault(row.town, TownCount(row.town, row.town_name)).add(row)
    return list(towns.values())


def clock_words(offset: float | None) -> str:
    """A unit's clock against the hub's, in words: 快 3.0 天, 慢 5 分钟."""
    if offset is None:
        return "—"
    seconds = abs(offset)
    ahead = "快" if offset > 0 else "慢"
    if seconds < 60:
        return f"{ahead} {seconds:.0f} 秒"
    if seconds < 3600:
        return f"{ahead} {seconds / 60:.0f} 分钟"
    if seconds < 86400:
        return f"{ahead} {seconds / 3600:.1f} 小时"
    return f"{ahead} {seconds / 86400:.1f} 天"


def duration_words(seconds: float | None) -> str:
    """How long, in words: 45 秒, 12 分钟, 3 小时 5 分钟, 2 天 4 小时."""
    if seconds is None:
        return "—"
    s = max(int(seconds), 0)
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        return f"{s // 60} 分钟"
    if s < 86400:
        return f"{s // 3600} 小时" + (f" {s % 3600 // 60} 分钟" if s % 3600 >= 60 else "")
    return f"{s // 86400} 天" + (f" {s % 86400 // 3600} 小时" if s % 86400 >= 3600 else "")
