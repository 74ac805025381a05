"""Erasure receipts: the proof that a resident's data was erased, which cannot itself name
them. The reference is kept only as its SHA-256 (a reference is already a keyed hash of the
ID number, 128 bits: its hash cannot be turned back, but the same resident asking again gives
the same hash, so the operator can show the erasure was done)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from hub.models import _utc


class ErasureReceipt(SQLModel, table=True):
    __tablename__ = "erasure_receipt"

    id: uuid.UUID = Field(primary_key=True)
    ref_sha256: str = Field(max_length=64, index=True)
    # the reference generation the hash was taken in (hub.window.idgen): a hash cannot be
    # carried to the next generation, so a receipt matches its own generation's reference
    ref_generation: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    erased_at: datetime = _utc(nullable=False)
    erased_by: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    # what the hub changed: table -> rows (counts only)
    hub_counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # unit -> the ids of the erase_resident commands sent to it
    units_told: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # unit -> what it answered it erased (counts only), once it did
    units_confirmed: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # unit -> how many of the resident's events it sent after the erasure, each stored without
    # the reference (hub.residents.late); None until one arrives (migration 0015)
    late_events: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


RECEIPTS: Any = ErasureReceipt.__table__  # type: ignore[attr-defined]
