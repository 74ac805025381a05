"""Which units trust which of the hub's keys, from their heartbeats (``Health.trust``), and the
operator's next step: what `bianmin hub key status` shows and what `promote` checks.

Counted over the units that have sent a heartbeat: a unit that never came up has no trust list
to read, and when it does it starts from the key provisioning pinned in it (provision new
units with the current key, docs/provisioning.md)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from hub.errors import Conflict
from hub.models import Unit
from hub.signing.ring import Ring
from protocol.config_schema import unit_schema

UNITS = Unit.__table__  # type: ignore[attr-defined]
MAX_LISTED = 50
KEYS_SCHEMA = 2  # the first config schema with the key list (protocol/config_schema.py)


class KeyPublic(BaseModel):
    key_id: str
    public_key: str
    state: str
    serial: int


class KeyStatus(BaseModel):
    serial: int  # the ring's serial: the key list units should hold
    current: str  # the key id the hub signs with
    keys: list[KeyPublic]
    units: int  # units that have sent a heartbeat
    on_serial: int  # of them, units holding the ring's key list
    trusting: dict[str, int]  # per key of the ring that is not retired: units trusting it
    old_schema: list[str]  # units whose agent cannot read key lists (upgrade them)
    lagging: list[str]  # up to 50 units that do not trust the key the next step needs
    next_step: str
    checked_at: datetime | None = None


class KeysNotTrusted(Conflict):
    code = "keys_not_trusted"


def _trust(health: Any) -> tuple[int, frozenset[str]] | None:
    value = health.get("trust") if isinstance(health, dict) else None
    if not isinstance(value, dict):
        return None
    serial, keys = value.get("serial"), value.get("keys")
    if not isinstance(serial, int) or not isinstance(keys, list):
        return None
    return serial, frozenset(k for k in keys if isinstance(k, str))


def key_status(session: Session, ring: Ring, *, now: datetime | None = None) -> KeyStatus:
    rows = session.execute(
        select(UNITS.c.id, UNITS.c.health).where(UNITS.c.health.is_not(None)).order_by(UNITS.c.id)
    ).all()
    live = [k for k in (ring.current, ring.next, ring.previous) if k is not None]
    trusting: Counter[str] = Counter({k.key_id: 0 for k in live})
    on_serial = 0
    old_schema: list[str] = []
    lagging: list[str] = []
    needed = (ring.next or ring.current).key_id
    for r in rows:
        if unit_schema(r.health) < KEYS_SCHEMA:
            old_schema.append(r.id)
        trust = _trust(r.health)
        ids = trust[1] if trust else frozenset()
        if trust is not None and trust[0] == ring.serial:
            on_serial += 1
        for k in live:
            if k.key_id in ids:
                trusting[k.key_id] += 1
        if needed not in ids:
            lagging.append(r.id)
    status = KeyStatus(
        serial=ring.serial,
        current=ring.current.key_id,
        keys=[KeyPublic(key_id=k.key_id, public_key=k.public_key, state=k.state.value,
                        serial=k.serial) for k in sorted(ring.keys, key=lambda k: -k.serial)],
        units=len(rows),
        on_serial=on_serial,
        trusting=dict(trusting),
        old_schema=old_schema[:MAX_LISTED],
        lagging=lagging[:MAX_LISTED],
        next_step="",
        checked_at=now,
    )  # fmt: skip
    return status.model_copy(update={"next_step": next_step(ring, status)})


def next_step(ring: Ring, status: KeyStatus) -> str:
    rollout = "roll out to every unit (bianmin rollout create --all) so that they get list"
    if ring.next is not None:
        share = status.trusting.get(ring.next.key_id, 0)
        if share < status.units:
            return (
                f"{rollout} {ring.serial}; {share} of {status.units} units trust the next key "
                f"{ring.next.key_id}; promote once all do (bianmin hub key promote)"
            )
        return f"every unit trusts {ring.next.key_id}: bianmin hub key promote"
    if ring.previous is not None:
        return (
            f"the hub signs with {ring.current.key_id}; retire {ring.previous.key_id} "
            f"(bianmin hub key retire), then {rollout} {ring.serial + 1}"
        )
    if ring.serial and status.on_serial < status.units:
        return f"{rollout} {ring.serial} ({status.on_serial} of {status.units} units hold it)"
    return "nothing to do; bianmin hub key rotate starts a rotation"


def check_promote(ring: Ring, status: KeyStatus, min_share: float) -> None:
    """Refuse a promote that would leave more units than ``min_share`` allows unable to verify
    the hub: they never learned the next key (their agent is too old, or the rollout that
    carries it has not reached them)."""
    nxt = ring.next
    if nxt is None or status.units == 0:
        return
    trusted = status.trusting.get(nxt.key_id, 0)
    if trusted < min_share * status.units:
        old = f"; {len(status.old_schema)} cannot read key lists" if status.old_schema else ""
        raise KeysNotTrusted(
            f"{trusted} of {status.units} units trust {nxt.key_id}, below the share "
            f"{min_share:g} asked for{old}; the others would refuse every config and command "
            f"signed with it (not trusting: {', '.join(status.lagging[:10])})"
        )
