"""Commands to units, each operation in the caller's transaction: issue (sign, store, audit),
claim those due for publication, put back what could not be handed to the broker, expire the
unanswered, record the units' answers, list a unit's commands.

Due like case notices (hub.notices.outbox): at once when issued, when the unit comes online
(the broker's sessions are clean), and after a back-off doubling from ``first_after_s``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, and_, delete, or_, select, update

from hub import audit
from hub.accounts.roles import SYSTEM, Actor
from hub.commands.tables import COMMANDS, OPEN_STATES, REVOCATIONS, CommandState
from hub.notices import resend
from hub.notices.resend import CLAIM_LIMIT, Due
from hub.residents.receipts import confirm
from hub.signing.store import HubKeys
from protocol.bounds import printable
from protocol.canonical import canonical_json
from protocol.command import KINDS, command_document, public_args
from protocol.ids import uuid7
from protocol.messages import CommandResult
from protocol.signing import sign_document

log = logging.getLogger("bianmin.hub.commands")
DEFAULT_TTL = timedelta(hours=24)
MAX_TTL = timedelta(days=14)


class UnitRevoked(ValueError):
    code = "unit_revoked"


def issue(
    conn: Connection,
    key: Ed25519PrivateKey | HubKeys,
    *,
    unit: str,
    name: str,
    args: dict[str, Any],
    actor: Actor,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Sign a command for ``unit``, store it due at once, and audit it (without its secret
    arguments). Raises UnknownCommand / InvalidArguments (protocol.command), UnitRevoked."""
    now = now or datetime.now(UTC)
    if conn.execute(select(REVOCATIONS.c.unit).where(REVOCATIONS.c.unit == unit)).first():
        raise UnitRevoked(f"unit {unit!r} is revoked")
    command_id = uuid7()
    expires = now + min(ttl, MAX_TTL)
    document = command_document(
        id=command_id, unit=unit, name=name, args=args, issued_at=now, expires_at=expires,
        issued_by=actor.name[:64],
    )  # fmt: skip
    # the ring's current key, read in this transaction (hub/signing/store.py), as for notices
    signer = key.signing_key(conn)[0] if isinstance(key, HubKeys) else key
    signed = canonical_json(sign_document(document, signer))
    shown = public_args(name, args)
    conn.execute(
        COMMANDS.insert().values(
            id=command_id, unit=unit, name=name, args=shown, issued_by=actor.name[:64],
            issued_at=now, expires_at=expires, state=CommandState.PENDING.value,
            document=signed, next_at=now, attempts=0,
        )
    )  # fmt: skip
    audit.record(
        conn, actor=actor, action="unit.command", target=f"unit/{unit}",
        detail={"id": str(command_id), "name": name, "args": shown},
    )  # fmt: skip
    return get(conn, command_id) or {}


def claim_due(
    conn: Connection,
    *,
    now: datetime,
    online: Iterable[str] = (),
    first_after_s: float,
    max_after_s: float,
    limit: int = CLAIM_LIMIT,
) -> list[Due]:
    """Open commands to publish now, marked sent with their next time; expired ones first
    leave (expire)."""
    expire(conn, now)
    c = COMMANDS.c
    return resend.claim(
        conn, COMMANDS, and_(c.state.in_(OPEN_STATES), c.document.is_not(None)), now=now,
        online=online, first_after_s=first_after_s, max_after_s=max_after_s, limit=limit,
        sent={"state": CommandState.SENT.value},
    )  # fmt: skip


def unsent(conn: Connection, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """Claimed but never handed to the broker: due again at once."""
    resend.unsent(conn, COMMANDS, ids, now)


def expire(conn: Connection, now: datetime) -> int:
    """Unanswered commands past their time: expired, their document (and secret) dropped."""
    c = COMMANDS.c
    rows = conn.execute(
        select(c.id, c.unit, c.name).where(c.state.in_(OPEN_STATES), c.expires_at <= now)
    ).all()
    for r in rows:
        conn.execute(
            update(COMMANDS)
            .where(c.id == r.id, c.state.in_(OPEN_STATES))
            .values(state=CommandState.EXPIRED.value, document=None, answered_at=None)
        )
        audit.record(
            conn, actor=SYSTEM, action="unit.command.expired", target=f"unit/{r.unit}",
            detail={"id": str(r.id), "name": r.name},
        )  # fmt: skip
    return len(rows)


def record_results(
    conn: Connection, results: Sequence[tuple[str, CommandResult]], now: datetime
) -> int:
    """Record units' answers to commands: only the command's own unit answers it; an ok
    answer wins over an earlier refusal (a forged copy refused first), a refusal changes only
    an open command. Answers about other ids (case notices) change nothing here."""
    c = COMMANDS.c
    changed = 0
    for unit, result in results:
        state = CommandState.OK if result.ok else CommandState.FAILED
        open_ = c.state != CommandState.OK.value if result.ok else c.state.in_(OPEN_STATES)
        detail = printable(result.detail or ("done" if result.ok else "refused"), 2000)
        count = conn.execute(
            update(COMMANDS)
            .where(c.id == result.id, c.unit == unit, open_)
            .values(
                state=state.value, detail=detail, data=result.data, answered_at=now,
                document=None,
            )
        ).rowcount  # fmt: skip
        if count:
            changed += count
            name = conn.execute(select(c.name).where(c.id == result.id)).scalar_one()
            if name == "erase_resident" and result.ok:  # the unit erased: on its receipt
                confirm(conn, unit=unit, command_id=result.id, data=result.data, now=now)
            audit.record(
                conn, actor=SYSTEM, action=f"unit.command.{state.value}",
                target=f"unit/{unit}",
                detail={"id": str(result.id), "name": name, "detail": detail[:300]},
            )  # fmt: skip
            if not result.ok:
                log.warning("unit %s: command %s %s: %s", unit, name, result.id, detail)
    return changed


def _public(row: Any) -> dict[str, Any]:
    m = dict(row._mapping)
    m.pop("document", None)
    m["label"] = KINDS[m["name"]].label if m["name"] in KINDS else m["name"]
    return m


def get(conn: Connection, command_id: uuid.UUID) -> dict[str, Any] | None:
    row = conn.execute(select(COMMANDS).where(COMMANDS.c.id == command_id)).first()
    return None if row is None else _public(row)


def for_unit(
    conn: Connection, unit: str, *, limit: int = 20, offset: int = 0
) -> list[dict[str, Any]]:
    """The unit's commands, newest first."""
    c = COMMANDS.c
    rows = conn.execute(
        select(COMMANDS)
        .where(c.unit == unit)
        .order_by(c.issued_at.desc(), c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_public(r) for r in rows]


def cancel_open(conn: Connection, unit: str, reason: str, now: datetime) -> int:
    """End every open command of ``unit`` (it was revoked): failed, documents dropped."""
    c = COMMANDS.c
    return int(
        conn.execute(
            update(COMMANDS)
            .where(and_(c.unit == unit, c.state.in_(OPEN_STATES)))
            .values(state=CommandState.FAILED.value, detail=reason, document=None, answered_at=now)
        ).rowcount
    )


def prune_closed(conn: Connection, cutoff: datetime) -> int:
    """Delete commands answered or expired before ``cutoff`` (an open one is never touched);
    returns how many. Run by the hub's retention sweep (hub.fleet.retention). The caller
    commits."""
    c = COMMANDS.c
    closed = [s.value for s in CommandState if s.value not in OPEN_STATES]
    done = conn.execute(
        delete(COMMANDS).where(
            c.state.in_(closed),
            # an ok answer may still come after the expiry: both times are past the cutoff
            c.expires_at < cutoff,
            or_(c.answered_at.is_(None), c.answered_at < cutoff),
        )
    )
    return int(done.rowcount)
