"""Rate limits that hold across hub processes: a counter per key and fixed window, kept in the
database (an upsert adds one and returns the count), so two `hub serve` processes share one
budget. Keys name a unit (`unit:ID`) or a keyed hash of a client address, never the address.

Old windows are swept by the hub's case timers (hub.cases.timers)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import BigInteger, Connection, delete
from sqlmodel import Field, Session, SQLModel

from hub.sql import insert_for

KEEP_S = 2 * 86400  # windows older than this are swept


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counter"

    key: str = Field(primary_key=True, max_length=80)
    started: int = Field(primary_key=True, sa_type=BigInteger)  # window start, epoch seconds
    hits: int = Field(default=0, sa_type=BigInteger)


COUNTERS = RateCounter.__table__  # type: ignore[attr-defined]


def hit(db: Session | Connection, *, key: str, limit: int, window_s: int, now: datetime) -> bool:
    """Count one request for ``key`` in the current window; True while within ``limit``. The
    caller commits (a refused request counts too: hammering does not reset the window)."""
    started = int(now.timestamp()) // window_s * window_s
    stmt = insert_for(db, COUNTERS).values(key=key[:80], started=started, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[COUNTERS.c.key, COUNTERS.c.started],
        set_={"hits": COUNTERS.c.hits + 1},
    ).returning(COUNTERS.c.hits)
    return int(db.execute(stmt).scalar_one()) <= limit


def client_key(secret: bytes, purpose: str, address: str) -> str:
    """A client address as a counter key for ``purpose``: keyed, so the table holds no
    address."""
    digest = hmac.new(secret, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return f"{purpose}:{digest[:32]}"


def sweep(db: Session | Connection, now: datetime) -> int:
    cutoff = int(now.timestamp()) - KEEP_S
    return int(db.execute(delete(COUNTERS).where(COUNTERS.c.started < cutoff)).rowcount)  # type: ignore[attr-defined]
