"""Generations of the county's ID references (protocol.idchain): which one is current, and the
hub-only chain keys that carry a reference from one generation to the next.

The generation is a row in the database (``id_reference_generation``): the current one, and,
while `bianmin hub id-key rotate` runs, the one it rotates to and the tables already re-keyed
(hub.window.rekey). The chain keys are files beside the reference key, one per generation
(``hub_id_chain_2.hex``, ...; 32 bytes in hex, 0600), never in the database and never logged,
like the reference key itself: a database dump holds no key.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Connection, Engine, select
from sqlmodel import Field, Session, SQLModel

from hub.errors import HubError, InvalidRequest, ReferenceKeyMissing
from hub.models import _utc
from hub.window.idkey import create_id_key, read_id_key
from protocol import idchain
from protocol.case import REFERENCE_RESOLVED_STATE, CaseState

ROW_ID = 1
# the case events whose data names the applicant (the window's identification, a going back
# to the matter, a reference made later): the only stored bodies holding a reference
REFERENCE_STATES = (CaseState.IDENTIFIED.value, REFERENCE_RESOLVED_STATE)
REFRESH_S = 5.0  # how long a hub process trusts what it read (another process may rotate)
ROTATING = "县级平台正在更换身份证号码核验密钥，请稍后再试"


class IdReferenceGeneration(SQLModel, table=True):
    __tablename__ = "id_reference_generation"

    id: int = Field(default=ROW_ID, primary_key=True)
    generation: int = Field(default=idchain.FIRST)
    rotating_to: int | None = None  # a rotation started and not finished
    # table -> rows re-keyed, for the rotation under way (each written with its table's rows)
    done: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)


STATE: Any = IdReferenceGeneration.__table__  # type: ignore[attr-defined]


class RotationUnderWay(HubError):
    """A rotation started and has not finished: references cannot be answered or stored."""

    code = "id_key_rotating"
    status = 503


def chain_key_path(key_file: Path, generation: int) -> Path:
    return key_file.with_name(f"hub_id_chain_{generation}.hex")


def chain_key(key_file: Path, generation: int, *, strict: bool, create: bool = False) -> bytes:
    """c_g from its file; with ``create``, made (0600, whole or not at all) when missing."""
    path = chain_key_path(key_file, generation)
    if create and not path.exists():
        with contextlib.suppress(FileExistsError):  # another run made it a moment ago
            return create_id_key(path)
    return read_id_key(path, strict=strict)


def state_row(conn: Connection | Session, *, lock: bool = False) -> dict[str, Any]:
    stmt = select(STATE).where(STATE.c.id == ROW_ID)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        return {"generation": idchain.FIRST, "rotating_to": None, "done": {}}
    return dict(row._mapping)


def rotating(conn: Connection) -> bool:
    """Whether a rotation is under way, read under a shared lock (PostgreSQL): a rotation's
    table step waits for this transaction to end, and this one for the step; on SQLite the
    single writer orders them. So a case is never projected from events of one generation into
    a record of the other (hub.cases.project.drain_pending)."""
    stmt = select(STATE.c.rotating_to).where(STATE.c.id == ROW_ID).with_for_update(read=True)
    return conn.execute(stmt).scalar_one_or_none() is not None


@dataclass(frozen=True)
class Generations:
    """What a hub process needs to answer and store references: the current generation, the
    chain keys up to it, and whether a rotation is under way."""

    current: int = idchain.FIRST
    rotating: bool = False
    keys: dict[int, bytes] = field(default_factory=dict, repr=False)
    read_at: float = 0.0

    def check(self) -> None:
        if self.rotating:
            raise RotationUnderWay(ROTATING)

    def to_current(self, ref: str, start: int = idchain.FIRST) -> str:
        """A unit's reference of generation ``start`` as the hub stores it now."""
        return idchain.forward(ref, self.keys, start=start, to=self.current)

    def carry(self, ref: str, start: int, to: int) -> str:
        """``ref`` of generation ``start`` carried to generation ``to`` (start <= to)."""
        return idchain.forward(ref, self.keys, start=start, to=to)


def load_generations(conn: Connection, key_file: Path, *, strict: bool) -> Generations:
    state = state_row(conn)
    current = int(state["generation"])
    try:
        keys = {
            g: chain_key(key_file, g, strict=strict) for g in range(idchain.FIRST + 1, current + 1)
        }
    except ReferenceKeyMissing as exc:
        raise ReferenceKeyMissing(
            f"{exc}; the database is at reference generation {current}: every hub process "
            f"needs the chain key files beside {key_file.name}"
        ) from None
    return Generations(current, state["rotating_to"] is not None, keys, time.monotonic())


class GenerationCache:
    """One process's view, read again after REFRESH_S."""

    def __init__(self, key_file: Path, *, strict: bool) -> None:
        self.key_file, self.strict = key_file, strict
        self._seen = Generations(read_at=-REFRESH_S)

    def get(self, engine: Engine) -> Generations:
        if time.monotonic() - self._seen.read_at >= REFRESH_S:
            with engine.connect() as conn:
                self._seen = load_generations(conn, self.key_file, strict=self.strict)
        return self._seen


def generations_of(state: Any) -> Generations:
    """The app's (``request.app.state``) view of the generations, one cache per app."""
    cache: GenerationCache | None = getattr(state, "id_generations", None)
    if cache is None:
        settings = state.settings
        cache = state.id_generations = GenerationCache(
            settings.id_key_path, strict=not settings.local
        )
    return cache.get(state.engine)


def unit_reference(state: Any, ref: str, generation: int | None) -> str:
    """A reference a unit sent (of its own generation, absent: 1) as the hub stores it now;
    503 while a rotation is under way."""
    gens = generations_of(state)
    gens.check()
    start = generation or idchain.FIRST
    if start > gens.current:
        raise InvalidRequest(f"reference generation {start} is newer than the hub's")
    return gens.to_current(ref, start)
