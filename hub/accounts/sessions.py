"""Server-side sessions of people signed in to the pages.

The cookie holds a random 256-bit id; the table holds only its SHA-256 (a stolen table opens no
session), with the account, when it began and when it was last used. A session ends on sign-out,
after ``session_idle_s`` without a request, ``session_lifetime_s`` after sign-in, when the
account is disabled, and (for the account's other sessions) when its password changes.

The CSRF token is derived from the session id (an HMAC keyed by it), so it is bound to the
session, needs no column, and a page can be given it without the id itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select, update
from sqlmodel import Field, Session, SQLModel

from hub.models import _utc

COOKIE = "bianmin_session"
# last_seen is written at most this often per session: a page and its API calls need not
# each cost a write
TOUCH_EVERY = timedelta(seconds=60)
_ID_CHARS = 43  # token_urlsafe(32)


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    account: str = Field(max_length=64, index=True)
    created_at: datetime = _utc(nullable=False)
    last_seen: datetime = _utc(nullable=False)


SESSIONS = WebSession.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The session's CSRF token (what its pages carry in forms and the X-CSRF-Token header)."""
    mac = hmac.new(session_id.encode("utf-8", "replace"), b"bianmin csrf v1", hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def start(db: Session | Connection, *, account: str, now: datetime) -> str:
    """Open a session for ``account`` and return its id (for the cookie); the caller commits."""
    session_id = secrets.token_urlsafe(32)
    db.execute(
        SESSIONS.insert().values(
            id_hash=_hash(session_id), account=account, created_at=now, last_seen=now
        )
    )
    return session_id


def find(
    db: Session | Connection, session_id: str, *, now: datetime, lifetimes: Lifetimes
) -> str | None:
    """The account a live session belongs to, or None (unknown, idle too long, too old). Ends
    an expired session and keeps last_seen roughly current; the caller commits."""
    if len(session_id) != _ID_CHARS:
        return None
    key = _hash(session_id)
    row = db.execute(select(SESSIONS).where(SESSIONS.c.id_hash == key)).first()
    if row is None:
        return None
    created, seen = _aware(row.created_at), _aware(row.last_seen)
    if now - seen > lifetimes.idle or now - created > lifetimes.absolute:
        db.execute(delete(SESSIONS).where(SESSIONS.c.id_hash == key))
        return None
    if now - seen > TOUCH_EVERY:
        db.execute(update(SESSIONS).where(SESSIONS.c.id_hash == key).values(last_seen=now))
    return str(row.account)


def end(db: Session | Connection, session_id: str) -> None:
    db.execute(delete(SESSIONS).where(SESSIONS.c.id_hash == _hash(session_id)))


def end_all(db: Session | Connection, account: str, *, keep: str | None = None) -> int:
    """End ``account``'s sessions, except the one with id ``keep``; the caller commits."""
    stmt = delete(SESSIONS).where(SESSIONS.c.account == account)
    if keep is not None:
        stmt = stmt.where(SESSIONS.c.id_hash != _hash(keep))
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def sweep(db: Session | Connection, *, now: datetime, lifetimes: Lifetimes) -> int:
    """Delete sessions past either limit (a session nobody comes back to)."""
    stmt = delete(SESSIONS).where(
        (SESSIONS.c.last_seen < now - lifetimes.idle)
        | (SESSIONS.c.created_at < now - lifetimes.absolute)
    )
    return int(db.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _aware(when: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
