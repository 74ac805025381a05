"""The integrity blacklist (失信名单): applicants who provided false materials never get 容缺
or any other green channel. Units receive it, signed, with their configuration: every change
is marked (hub.window.blacklist_sync) and carried to all units by a blacklist-only rollout."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, func, select
from sqlmodel import Field, Session, SQLModel

from hub.accounts.roles import Actor
from hub.artifacts.store import put_artifact
from hub.errors import NotFound
from hub.models import _utc
from hub.paging import Page, fetch
from hub.window.applicants import check_ref
from hub.window.blacklist_sync import mark_changed
from hub.window.idgen import ROTATING, RotationUnderWay, state_row
from protocol.canonical import canonical_json
from protocol.case import IntegrityBlacklist
from protocol.config import ArtifactKind, ArtifactRef


class BlacklistEntryBase(SQLModel):
    applicant_ref: str = Field(primary_key=True, max_length=32)
    reason: str = Field(max_length=200)


class BlacklistEntry(BlacklistEntryBase, table=True):
    listed_at: datetime = _utc(nullable=False)
    listed_by: str = Field(max_length=64)


class BlacklistEntryPublic(BlacklistEntryBase):
    listed_at: datetime
    listed_by: str


class BlacklistEntryCreate(SQLModel):
    applicant_ref: str
    reason: str = Field(min_length=1, max_length=200)


def list_blacklist(session: Session, *, page: Page | None = None) -> list[BlacklistEntryPublic]:
    stmt = select(BlacklistEntry).order_by(BlacklistEntry.listed_at, BlacklistEntry.applicant_ref)  # type: ignore[arg-type]
    return [
        BlacklistEntryPublic.model_validate(r[0].model_dump()) for r in fetch(session, stmt, page)
    ]


def add_to_blacklist(session: Session, *, entry: BlacklistEntryCreate, actor: Actor) -> None:
    check_ref(entry.applicant_ref)
    row = session.get(BlacklistEntry, entry.applicant_ref) or BlacklistEntry(
        applicant_ref=entry.applicant_ref, reason=entry.reason, listed_at=datetime.now(UTC),
        listed_by=actor.name,
    )  # fmt: skip
    row.reason = entry.reason
    session.add(row)
    mark_changed(session, datetime.now(UTC))  # units get it by themselves (blacklist_sync)


def remove_from_blacklist(session: Session, *, applicant_ref: str) -> None:
    row = session.get(BlacklistEntry, applicant_ref)
    if row is None:
        raise NotFound(f"{applicant_ref} is not on the blacklist")
    session.delete(row)
    mark_changed(session, datetime.now(UTC))


def blacklist_artifact(db: Session | Connection) -> ArtifactRef:
    """The current blacklist as a content-addressed artifact for units' configurations. Its
    version is the number of entries plus the latest listing time, enough to tell two apart;
    the sha256 in the signed configuration is what units trust."""
    table = BlacklistEntry.__table__  # type: ignore[attr-defined]
    refs = sorted(str(r) for (r,) in db.execute(select(table.c.applicant_ref)))
    latest = db.execute(select(func.max(table.c.listed_at))).scalar_one()
    issued = latest or datetime(2020, 1, 1, tzinfo=UTC)
    state = state_row(db)
    if state["rotating_to"] is not None:
        # some tables re-keyed and some not: a list signed now could be of neither generation
        raise RotationUnderWay(ROTATING)
    generation = int(state["generation"])
    doc = IntegrityBlacklist(
        version=len(refs), issued_at=issued, refs=tuple(refs),
        generation=generation if generation > 1 else None,
    )  # fmt: skip
    return put_artifact(
        db,
        # no "generation" before the first rotation: the same bytes as before rotations
        content=canonical_json(doc.model_dump(mode="json", exclude_none=True)),
        kind=ArtifactKind.INTEGRITY_BLACKLIST,
        media_type="application/json",
    )
