"""Sign-in lock-out: failures counted per account name and per client address, in the database
so that every hub process shares them.

After ``threshold`` failures in a row a key is locked for ``base``; each further run of
``threshold`` failures locks it again for twice as long, up to ``cap``. A success clears the
account's count (not the address's: one good password does not excuse twenty bad ones). A name
that is no account is counted all the same, so a lock-out says nothing about which names exist.
Failures older than a day are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, delete, select, update
from sqlmodel import Field, Session, SQLModel

from hub.models import _utc
from hub.sql import insert_for

FORGET_AFTER = timedelta(days=1)


class LoginGuard(SQLModel, table=True):
    __tablename__ = "login_guard"

    key: str = Field(primary_key=True, max_length=80)  # account:NAME or addr:<keyed hash>
    failures: int = 0
    last_failure: datetime = _utc(nullable=False)
    locked_until: datetime | None = _utc(nullable=True)


GUARDS = LoginGuard.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Policy:
    threshold: int
    base: timedelta
    cap: timedelta

    def lock_for(self, failures: int) -> timedelta | None:
        """How long ``failures`` failures in a row lock the key for (None: not locked)."""
        if failures < self.threshold or failures % self.threshold:
            return None
        doublings = failures // self.threshold - 1
        # bounded exponent: past 2**20 the cap has long been reached
        span: timedelta = self.base * (2 ** min(doublings, 20))
        return min(span, self.cap)


def locked_until(db: Session | Connection, key: str, *, now: datetime) -> datetime | None:
    """When the lock on ``key`` ends, if it is locked now."""
    row = db.execute(select(GUARDS.c.locked_until).where(GUARDS.c.key == key)).first()
    if row is None or row.locked_until is None:
        return None
    until = _aware(row.locked_until)
    return until if until > now else None


def fail(db: Session | Connection, key: str, policy: Policy, *, now: datetime) -> datetime | None:
    """Count a failure for ``key``; returns the end of the lock it starts, if it starts one.
    The caller commits."""
    # one upsert, so two processes counting the same key at once both count
    stale = GUARDS.c.last_failure < now - FORGET_AFTER
    stmt = insert_for(db, GUARDS).values(key=key, failures=1, last_failure=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[GUARDS.c.key],
        set_={
            "failures": case((stale, 1), else_=GUARDS.c.failures + 1),
            "last_failure": now,
        },
    ).returning(GUARDS.c.failures)
    failures = int(db.execute(stmt).scalar_one())
    span = policy.lock_for(failures)
    if span is None:
        return None
    until = now + span
    db.execute(update(GUARDS).where(GUARDS.c.key == key).values(locked_until=until))
    return until


def clear(db: Session | Connection, key: str) -> None:
    db.execute(delete(GUARDS).where(GUARDS.c.key == key))


def sweep(db: Session | Connection, *, now: datetime) -> int:
    """Forget keys whose last failure is older than a day and that are not locked now."""
    stmt = delete(GUARDS).where(
        GUARDS.c.last_failure < now - FORGET_AFTER,
        (GUARDS.c.locked_until.is_(None)) | (GUARDS.c.locked_until < now),
    )
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def account_key(name: str) -> str:
    return f"account:{name.strip().lower()[:64]}"


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
