"""Rollouts driven from the database without a broker: the seed catalog and registry, a
signing key, and the driver's pass, reports and heartbeats as the hub's loops would make them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from hub.accounts.roles import Actor, Role
from hub.catalog.loader import load_catalog
from hub.catalog.villages import load_villages
from hub.models import Unit
from hub.rollouts import store
from hub.rollouts.models import RolloutCreate, RolloutPublic
from hub.rollouts.reports import record_reports
from hub.rollouts.tick import step
from protocol.config import parse_raw
from protocol.messages import ConfigReported
from protocol.signing import generate_key

KEY = generate_key()
OPERATOR = Actor("ops", Role.OPERATOR)
REGISTRY = load_villages()
CATALOG = load_catalog()
QINGSHUI = [v.unit_id for v in REGISTRY.in_division("qingshui-zhen")]


def create(engine: Engine, **fields: Any) -> RolloutPublic:
    request = RolloutCreate.model_validate({"target": {"division": "qingshui-zhen"}, **fields})
    with Session(engine) as s:
        return store.create_rollout(
            s, request=request, actor=OPERATOR, catalog=CATALOG, registry=REGISTRY
        )


def drive(engine: Engine, now: datetime | None = None, **kw: Any) -> dict[str, Any]:
    """One driver pass; returns unit -> the document it would publish."""
    return {
        p.unit: parse_raw(p.payload) for p in step(engine, KEY, republish_after_s=60, now=now, **kw)
    }


def report(
    engine: Engine, unit: str, version: int, status: str = "applied", reason: str | None = None
) -> None:
    rep = ConfigReported.model_validate(
        {"version": version, "status": status, "reason": reason, "ts": datetime.now(UTC)}
    )
    with engine.begin() as conn:
        record_reports(conn, [(unit, rep)], datetime.now(UTC))


def status(engine: Engine, rollout_id: int) -> RolloutPublic:
    with Session(engine) as s:
        return store.get_rollout(s, rollout_id=rollout_id)


def heartbeat(engine: Engine, unit: str, version: int | None) -> None:
    """The unit's heartbeat says it runs ``version`` (what ingest writes from `health`)."""
    with Session(engine) as s:
        s.merge(Unit(id=unit, config_version=version))
        s.commit()


def apply_all(engine: Engine, docs: dict[str, Any]) -> None:
    for unit, doc in docs.items():
        report(engine, unit, doc["version"])
