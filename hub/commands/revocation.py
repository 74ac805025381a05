"""Revoking a unit on the hub (`bianmin provision revoke UNIT` calls it through the API):
its API token is deleted, it is recorded as revoked (ingest dead-letters anything still
arriving under its id, reason ``revoked``; the rollout driver publishes it nothing more), its
open commands end, and the caller clears its retained topics on the broker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select

from hub import audit
from hub.accounts.roles import Actor
from hub.commands.outbox import cancel_open
from hub.commands.tables import REVOCATIONS
from hub.window.tokens import UnitToken

TOKENS = UnitToken.__table__  # type: ignore[attr-defined]


def revoke(conn: Connection, *, unit: str, actor: Actor, now: datetime) -> dict[str, object]:
    """Revoke ``unit`` (again: nothing more changes, but the answer is the same)."""
    tokens = conn.execute(delete(TOKENS).where(TOKENS.c.unit == unit)).rowcount
    known = conn.execute(select(REVOCATIONS.c.revoked_at).where(REVOCATIONS.c.unit == unit))
    first = known.first()
    if first is None:
        conn.execute(REVOCATIONS.insert().values(unit=unit, revoked_at=now, revoked_by=actor.name))
    cancelled = cancel_open(conn, unit, "the unit was revoked", now)
    audit.record(
        conn, actor=actor, action="unit.revoke", target=f"unit/{unit}",
        detail={"tokens_deleted": tokens, "commands_ended": cancelled},
    )  # fmt: skip
    return {
        "unit": unit, "revoked": True, "revoked_at": (first[0] if first else now).isoformat(),
        "tokens_deleted": tokens, "commands_ended": cancelled,
    }  # fmt: skip


def revoked_units(engine: Engine | Connection) -> frozenset[str]:
    if isinstance(engine, Connection):
        return frozenset(engine.execute(select(REVOCATIONS.c.unit)).scalars())
    with engine.connect() as conn:
        return frozenset(conn.execute(select(REVOCATIONS.c.unit)).scalars())
