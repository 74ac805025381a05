"""The clerk roster: the clerks and agents (代办员) of each village window, with their PIN
hashes. A rollout signs each village's active clerks into that unit's configuration (never
another village's); the unit checks PINs offline. PINs are never stored: the hub keeps the
scrypt hash (protocol.clerks) and shows a PIN it made up once, to whoever added the clerk."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import JSON, Column, Connection, func, select
from sqlmodel import Field, Session, SQLModel

from hub.accounts.roles import Actor
from hub.errors import InvalidRequest, NotFound, UnknownTarget
from hub.models import _utc
from hub.paging import Page, fetch
from hub.sql import chunks
from protocol.clerks import (
    MAX_CLERKS,
    Clerk,
    ClerkName,
    ClerkRole,
    ClerkRoster,
    PinHash,
    WeakPin,
    check_pin,
    hash_pin,
    random_pin,
)
from protocol.villages import RegistryLookupError, VillageRegistry

_NAME: TypeAdapter[str] = TypeAdapter(ClerkName)


class ClerkRecord(SQLModel, table=True):
    __tablename__ = "clerk"

    id: str = Field(primary_key=True, max_length=11)  # ck- and 8 hex digits
    unit: str = Field(max_length=64, index=True)
    name: str = Field(max_length=20)
    role: str = Field(max_length=8)
    pin: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # a PinHash
    active: bool = True
    created_at: datetime = _utc(nullable=False)
    created_by: str = Field(max_length=64)
    disabled_at: datetime | None = _utc(nullable=True)
    disabled_by: str | None = Field(default=None, max_length=64)


class ClerkPublic(SQLModel):
    """A clerk as the API and the command line show them: never the PIN or its hash."""

    id: str
    unit: str
    name: str
    role: str
    active: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None


class ClerkCreate(SQLModel):
    unit: str
    name: str
    role: ClerkRole = ClerkRole.CLERK
    # six digits; left out, the hub makes one up and answers it once
    pin: str | None = None


class ClerkAdded(ClerkPublic):
    pin: str | None = None  # only when the hub made it up: shown this once


TABLE = ClerkRecord.__table__  # type: ignore[attr-defined]


def _public(row: ClerkRecord) -> ClerkPublic:
    return ClerkPublic.model_validate(row.model_dump(exclude={"pin", "disabled_by"}))


def _pin(pin: str | None) -> tuple[str, bool]:
    """(the PIN, whether the hub made it up)."""
    if pin is None:
        return random_pin(), True
    try:
        return check_pin(pin), False
    except WeakPin as exc:
        raise InvalidRequest(f"pin: {exc}") from None


def add_clerk(
    session: Session, *, request: ClerkCreate, actor: Actor, registry: VillageRegistry
) -> ClerkAdded:
    """Add a clerk or agent to a village of the registry; the caller commits (with the audit
    entry). Reaches the unit with the next configuration rollout."""
    try:
        registry.village(request.unit)
    except RegistryLookupError as exc:
        raise UnknownTarget(str(exc)) from None
    try:
        name = _NAME.validate_python(request.name)
    except ValidationError:
        raise InvalidRequest("name: 1 to 20 printable characters") from None
    active = session.execute(
        select(func.count()).where(TABLE.c.unit == request.unit, TABLE.c.active)
    ).scalar_one()
    if active >= MAX_CLERKS:
        raise InvalidRequest(
            f"{request.unit} has {MAX_CLERKS} active clerks, the most a roster holds"
        )
    pin, made_up = _pin(request.pin)
    clerk_id = f"ck-{secrets.token_hex(4)}"
    while session.get(ClerkRecord, clerk_id) is not None:
        clerk_id = f"ck-{secrets.token_hex(4)}"
    row = ClerkRecord(
        id=clerk_id, unit=request.unit, name=name, role=request.role.value,
        pin=hash_pin(pin).model_dump(mode="json"), active=True, created_at=datetime.now(UTC),
        created_by=actor.name,
    )  # fmt: skip
    session.add(row)
    return ClerkAdded(**_public(row).model_dump(), pin=pin if made_up else None)


def _load(session: Session, clerk_id: str) -> ClerkRecord:
    row = session.get(ClerkRecord, clerk_id)
    if row is None:
        raise NotFound(f"no clerk {clerk_id}")
    return row


def disable_clerk(
    session: Session, *, clerk_id: str, actor: Actor, units: frozenset[str] | None = None
) -> ClerkPublic:
    """Take a clerk off the roster (kept for the cases that name them); the caller commits.
    Units stop accepting their PIN with the next configuration rollout. ``units``: the
    villages the actor reaches (None: the county); a clerk elsewhere is not found."""
    row = _load(session, clerk_id)
    if units is not None and row.unit not in units:
        raise NotFound(f"no clerk {clerk_id}")
    if row.active:
        row.active = False
        row.disabled_at = datetime.now(UTC)
        row.disabled_by = actor.name
        session.add(row)
    return _public(row)


def reset_pin(session: Session, *, clerk_id: str, pin: str | None = None) -> str | None:
    """Give a clerk a new PIN; returns it when the hub made it up. The caller commits."""
    row = _load(session, clerk_id)
    if not row.active:
        raise InvalidRequest(f"clerk {clerk_id} is disabled")
    chosen, made_up = _pin(pin)
    row.pin = hash_pin(chosen).model_dump(mode="json")
    session.add(row)
    return chosen if made_up else None


def list_clerks(
    session: Session,
    *,
    unit: str | None = None,
    page: Page | None = None,
    units: frozenset[str] | None = None,
) -> list[ClerkPublic]:
    """The roster, one village's (``unit``) or all; ``units`` bounds it to the villages the
    caller reaches (None: the county)."""
    stmt = select(ClerkRecord).order_by(ClerkRecord.unit, ClerkRecord.created_at, ClerkRecord.id)  # type: ignore[arg-type]
    if unit is not None:
        stmt = stmt.where(ClerkRecord.unit == unit)  # type: ignore[arg-type]
    if units is not None:
        stmt = stmt.where(ClerkRecord.unit.in_(sorted(units)))  # type: ignore[attr-defined]
    return [_public(r[0]) for r in fetch(session, stmt, page)]


def rosters(db: Session | Connection, units: Iterable[str]) -> dict[str, ClerkRoster]:
    """Each unit's roster of active clerks, for the units that have any."""
    found: dict[str, list[Clerk]] = {}
    for part in chunks(sorted(set(units))):
        rows = db.execute(
            select(TABLE.c.id, TABLE.c.unit, TABLE.c.name, TABLE.c.role, TABLE.c.pin)
            .where(TABLE.c.unit.in_(part), TABLE.c.active)
            .order_by(TABLE.c.unit, TABLE.c.id)
        )
        for r in rows:
            clerk = Clerk(
                id=r.id, name=r.name, role=ClerkRole(r.role), pin=PinHash.model_validate(r.pin)
            )
            found.setdefault(r.unit, []).append(clerk)
    return {unit: ClerkRoster(clerks=tuple(clerks)) for unit, clerks in found.items()}
