"""Which alert conditions hold now, from the units' and rollouts' rows: pure code, so the
watcher only has to reconcile the result with the alert table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class AlertKind(StrEnum):
    UNIT_OFFLINE = "unit_offline"
    PAPER_OUT = "paper_out"
    PRINTER_DOWN = "printer_down"  # missing or in error (switched off, unplugged, jammed)
    OUTBOX_NEAR_FULL = "outbox_near_full"
    CLOCK_DRIFT = "clock_drift"
    ROLLOUT_PAUSED = "rollout_paused"
    # a case identified while the hub was away whose applicant, once the reference came, is on
    # the integrity blacklist (protocol.idseal); one alert per unit, naming its cases
    BLACKLISTED_OFFLINE = "blacklisted_offline"


ALERT_LABELS: dict[AlertKind, str] = {
    AlertKind.UNIT_OFFLINE: "终端离线",
    AlertKind.PAPER_OUT: "打印机缺纸",
    AlertKind.PRINTER_DOWN: "打印机故障",
    AlertKind.OUTBOX_NEAR_FULL: "待上报数据将满",
    AlertKind.CLOCK_DRIFT: "终端时钟偏差",
    AlertKind.ROLLOUT_PAUSED: "配置下发因失败暂停",
    AlertKind.BLACKLISTED_OFFLINE: "离线核验的申请人在诚信黑名单上",
}


@dataclass(frozen=True)
class Condition:
    kind: AlertKind
    subject: str  # a unit id, or "rollout:<id>"
    started_at: datetime  # when the cause began, as far as the hub can tell
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.kind.value, self.subject


@dataclass(frozen=True)
class Thresholds:
    offline_after: timedelta = timedelta(minutes=10)


def unit_conditions(units: Iterable[Any], now: datetime, t: Thresholds) -> list[Condition]:
    """``units``: rows with id, last_seen, online, health, health_at, clock_drift,
    clock_offset_s. A unit never seen raises nothing: it was never in service."""
    out: list[Condition] = []
    for u in units:
        if u.last_seen is None:
            continue
        if now - u.last_seen > t.offline_after:
            out.append(
                Condition(
                    AlertKind.UNIT_OFFLINE, u.id, u.last_seen,
                    {"last_seen": u.last_seen.isoformat(), "online": bool(u.online)},
                )
            )  # fmt: skip
            continue  # a silent unit's last heartbeat says nothing about now
        health = u.health if isinstance(u.health, dict) else {}
        seen = u.health_at or u.last_seen
        printer = (health.get("devices") or {}).get("printer")
        if isinstance(printer, dict) and printer.get("paper") == "out":
            out.append(Condition(AlertKind.PAPER_OUT, u.id, seen))
        elif isinstance(printer, dict) and (
            printer.get("present") is False or printer.get("ok") is False
        ):
            said = str(printer.get("detail") or "")[:200]
            out.append(Condition(AlertKind.PRINTER_DOWN, u.id, seen, {"detail": said}))
        outbox = health.get("outbox") or {}
        if isinstance(outbox, dict) and outbox.get("alarm"):
            detail = {k: outbox.get(k) for k in ("depth", "bytes", "limit_bytes")}
            out.append(Condition(AlertKind.OUTBOX_NEAR_FULL, u.id, seen, detail))
        if u.clock_drift:
            out.append(Condition(AlertKind.CLOCK_DRIFT, u.id, seen, {"offset_s": u.clock_offset_s}))
    return out


def rollout_conditions(rollouts: Iterable[Any]) -> list[Condition]:
    """Rollouts paused by their failure threshold (not by an operator's pause)."""
    return [
        Condition(
            AlertKind.ROLLOUT_PAUSED,
            f"rollout:{r.id}",
            r.updated_at,
            {"reason": r.paused_reason},
        )
        for r in rollouts
        if r.state == "paused" and r.paused_reason and not r.paused_reason.startswith("paused by ")
    ]


REFERENCE_RESOLVED = "reference_resolved"  # protocol.case.REFERENCE_RESOLVED_STATE
OFFLINE_FLAG_KEPT = timedelta(days=30)


def offline_blacklist_conditions(
    cases: Iterable[Any], now: datetime, kept: timedelta = OFFLINE_FLAG_KEPT
) -> list[Condition]:
    """``cases``: rows (unit, case_ref, times) of cases whose applicant is blacklisted. Those
    whose reference came later (identified offline: the window could not check the blacklist)
    within ``kept`` are flagged, one alert per unit listing the cases (at most 20 named)."""
    by_unit: dict[str, list[tuple[datetime, str]]] = {}
    for c in cases:
        times = c.times if isinstance(c.times, dict) else {}
        try:
            at = datetime.fromisoformat(str(times[REFERENCE_RESOLVED]))
        except (KeyError, ValueError):
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if now - at <= kept:
            by_unit.setdefault(c.unit, []).append((at, c.case_ref or ""))
    return [
        Condition(
            AlertKind.BLACKLISTED_OFFLINE,
            unit,
            min(found)[0],
            {"cases": [ref for _, ref in sorted(found)][:20], "count": len(found)},
        )
        for unit, found in sorted(by_unit.items())
    ]
