"""A county morning for the fleet pages, written straight into the hub's database: windows in
two towns in every state (online with a printer out of paper, silent, offline, drifting, never
heard from), events, a rollout with an applied, a rejected and a pending unit, and the alerts
the hub's timer raises from all that."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from hub.accounts.area import Area
from hub.accounts.roles import Actor, Role
from hub.alerts.conditions import Thresholds
from hub.alerts.escalation import Escalation
from hub.alerts.watcher import evaluate
from hub.models import Event, Unit
from tests.support.rollouts import create, drive, report

# 清水镇 (qingshui-zhen): the town the rollout targets and the town account's area
PAPER_OUT = "dongjie-cun"  # 东街村: online, printer out of paper, config applied
SILENT = "xijie-cun"  # 西街村: said online, silent for 15 minutes (stale, then offline alert)
REJECTED = "liutang-cun"  # 柳塘村: online, rejected the rollout's configuration
# 石桥镇 (shiqiao-zhen): outside the town account's area
OFFLINE = "xinmin-cun"  # 新民村: its last will said offline two hours ago
DRIFTING = "shuanghe-cun"  # 双河村: online, its clock three days slow
TOWN = "qingshui-zhen"
OTHER_TOWN = "shiqiao-zhen"


def town_actor(role: Role = Role.OPERATOR, town: str = TOWN) -> Actor:
    return Actor(f"{town}-{role.value}", role, area=Area(town=town))


def _health(*, paper: str = "ok", depth: int = 0, agent: str = "1.4.2") -> dict[str, Any]:
    printer = {"present": True, "ok": paper != "out", "paper": paper,
               "detail": "缺纸，请装纸" if paper == "out" else None}  # fmt: skip
    return {
        "v": 1, "uptime_s": 3600.0,
        "outbox": {"depth": depth, "bytes": depth * 900, "limit_bytes": 50_000_000,
                   "oldest_age_s": 40.0 if depth else None, "alarm": False},
        "versions": {"agent": agent, "protocol": "1"},
        "devices": {"printer": printer, "camera": {"present": True, "ok": True},
                    "pad": {"present": True, "ok": True}, "rating": {"present": True, "ok": True}},
    }  # fmt: skip


def _unit(now: datetime, unit: str, **fields: Any) -> Unit:
    seen = fields.pop("seen", now)
    return Unit(
        id=unit, first_seen=now - timedelta(days=30), last_seen=seen, health_at=seen,
        online=fields.pop("online", True), health=fields.pop("health", _health()),
        events=fields.pop("events", 0), cases=fields.pop("cases", 0), **fields,
    )  # fmt: skip


@dataclass(frozen=True)
class Morning:
    now: datetime
    rollout_id: int


def county_morning(engine: Engine, now: datetime | None = None) -> Morning:
    """Write the morning; the hub's clock is ``now`` (default: the real one)."""
    now = now or datetime.now(UTC)
    rollout = create(engine, note="清水镇事项清单更新")
    docs = drive(engine, now=now)
    report(engine, PAPER_OUT, docs[PAPER_OUT]["version"])
    report(engine, REJECTED, docs[REJECTED]["version"], "rejected", "签名校验失败")
    with Session(engine) as s:
        s.add(_unit(now, PAPER_OUT, health=_health(paper="out", depth=3), events=3, cases=2,
                    config_version=docs[PAPER_OUT]["version"], clock_offset_s=1.0))  # fmt: skip
        s.add(_unit(now, SILENT, seen=now - timedelta(minutes=15)))
        s.add(_unit(now, REJECTED))
        s.add(_unit(now, OFFLINE, online=False, seen=now - timedelta(hours=2)))
        s.add(_unit(now, DRIFTING, clock_drift=True, clock_offset_s=-259_200.0))
        for seq in (1, 2, 3):
            s.add(
                Event(
                    id=uuid.uuid4(), unit=PAPER_OUT, seq=seq, ts=now - timedelta(minutes=10 - seq),
                    kind="diagnostic", state=None, matter_code=None,
                    body={}, received_at=now - timedelta(minutes=10 - seq),
                )
            )  # fmt: skip
        s.commit()
    evaluate(engine, now, Thresholds(offline_after=timedelta(minutes=10)), Escalation())
    return Morning(now=now, rollout_id=rollout.id)
