"""Whether the blacklist changed since units last got it: one row, marked by every change
(add, remove, a confirmed proposal) in the change's own transaction, and cleared when the
hub starts the blacklist-only rollout that carries the change (hub.rollouts.blacklist_delivery).

Changes within the coalescing window go out together; while another rollout is active the
delivery waits for it, and the row says which rollout it waits for."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import BigInteger, Connection, func, select
from sqlmodel import Field, Session, SQLModel

from hub.models import _utc
from hub.sql import insert_for

ROW_ID = 1


class BlacklistDelivery(SQLModel, table=True):
    __tablename__ = "blacklist_delivery"

    id: int = Field(default=ROW_ID, primary_key=True)
    dirty_since: datetime | None = _utc(nullable=True)  # the first change not yet rolled out
    pending: int = Field(default=0, sa_type=BigInteger)  # changes since the last delivery
    generation: int = Field(default=0, sa_type=BigInteger)  # every change ever
    rollout_id: int | None = None  # the last blacklist rollout started
    started_at: datetime | None = _utc(nullable=True)
    waiting_for: int | None = None  # an active rollout the next delivery waits for


DELIVERY = BlacklistDelivery.__table__  # type: ignore[attr-defined]


class BlacklistDeliveryPublic(BaseModel):
    pending_changes: int
    dirty_since: datetime | None
    waiting_for_rollout: int | None
    last_rollout: int | None
    last_started_at: datetime | None


def mark_changed(db: Session | Connection, now: datetime) -> None:
    """Record a change of the blacklist, in the caller's transaction."""
    stmt = insert_for(db, DELIVERY).values(id=ROW_ID, dirty_since=now, pending=1, generation=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[DELIVERY.c.id],
        set_={
            "dirty_since": func.coalesce(DELIVERY.c.dirty_since, stmt.excluded.dirty_since),
            "pending": DELIVERY.c.pending + 1,
            "generation": DELIVERY.c.generation + 1,
        },
    )
    db.execute(stmt)


def delivery_state(db: Session | Connection) -> BlacklistDeliveryPublic:
    row = db.execute(select(DELIVERY).where(DELIVERY.c.id == ROW_ID)).first()
    if row is None:
        return BlacklistDeliveryPublic(
            pending_changes=0, dirty_since=None, waiting_for_rollout=None, last_rollout=None,
            last_started_at=None,
        )  # fmt: skip
    return BlacklistDeliveryPublic(
        pending_changes=row.pending, dirty_since=row.dirty_since,
        waiting_for_rollout=row.waiting_for if row.dirty_since else None,
        last_rollout=row.rollout_id, last_started_at=row.started_at,
    )  # fmt: skip
