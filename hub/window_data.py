"""What the hub holds for village windows beyond configuration: each unit's API token, the
county data registry (信息一库) the windows query, and the integrity blacklist (失信名单).

Everything about a person is keyed by the applicant's HMAC reference (protocol.identity): the
hub never sees an ID number. The registry table here is an illustrative stand-in for the
county's real data exchange: a production adapter answers the same query from it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime

from sqlalchemy import Connection, func, select
from sqlmodel import Field, Session, SQLModel

from hub.artifacts import put_artifact
from hub.errors import InvalidRequest, NotFound
from hub.models import _utc
from protocol.canonical import canonical_json
from protocol.case import IntegrityBlacklist, RegistryAnswer, RegistryFact, RegistryQuery
from protocol.config import ArtifactKind, ArtifactRef
from protocol.topics import check_unit_id

UNIT_TOKEN_PREFIX = "bmu_"
_REF_CHARS = set("0123456789abcdef")


def _check_ref(ref: str) -> str:
    if len(ref) != 32 or not set(ref) <= _REF_CHARS:
        raise InvalidRequest("applicant_ref must be 32 lowercase hex digits (an HMAC reference)")
    return ref


# -- unit API tokens ------------------------------------------------------------------------


class UnitToken(SQLModel, table=True):
    """One API token per unit, stored as a SHA-256 (a random 256-bit token needs no KDF)."""

    unit: str = Field(primary_key=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _utc(nullable=False)


def issue_unit_token(session: Session, *, unit: str) -> str:
    """Issue (or rotate) a unit's token; the old one stops working. The caller commits."""
    check_unit_id(unit)
    token = UNIT_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = session.get(UnitToken, unit) or UnitToken(
        unit=unit, token_hash="", created_at=datetime.now(UTC)
    )
    row.token_hash = hashlib.sha256(token.encode()).hexdigest()
    row.created_at = datetime.now(UTC)
    session.add(row)
    return token


def unit_for_token(session: Session, token: str) -> str | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    table = UnitToken.__table__  # type: ignore[attr-defined]
    found = session.execute(
        select(table.c.unit).where(table.c.token_hash == digest)
    ).scalar_one_or_none()
    return str(found) if found is not None else None


# -- the data registry ------------------------------------------------------------------------


class RegistryRecord(SQLModel, table=True):
    """One fact the county database holds about a resident, e.g. their household register."""

    applicant_ref: str = Field(primary_key=True, max_length=32)
    material: str = Field(primary_key=True, max_length=60)
    source: str = Field(max_length=60)
    as_of: date


def add_registry_records(
    session: Session, *, applicant_ref: str, materials: list[str], source: str, as_of: date
) -> int:
    _check_ref(applicant_ref)
    for name in materials:
        row = session.get(RegistryRecord, (applicant_ref, name))
        if row is None:
            row = RegistryRecord(
                applicant_ref=applicant_ref, material=name, source=source, as_of=as_of
            )
        row.source, row.as_of = source, as_of
        session.add(row)
    return len(materials)


def query_registry(session: Session, query: RegistryQuery) -> RegistryAnswer:
    rows = session.execute(
        select(RegistryRecord).where(
            RegistryRecord.applicant_ref == query.applicant,  # type: ignore[arg-type]
            RegistryRecord.material.in_(list(query.materials)),  # type: ignore[attr-defined]
        )
    ).scalars()
    found = {r.material: RegistryFact(source=r.source, as_of=r.as_of) for r in rows}
    return RegistryAnswer(applicant=query.applicant, found=found)


# -- the integrity blacklist ----------------------------------------------------------------


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


def list_blacklist(session: Session) -> list[BlacklistEntryPublic]:
    rows = session.execute(select(BlacklistEntry).order_by(BlacklistEntry.listed_at)).scalars()  # type: ignore[arg-type]
    return [BlacklistEntryPublic.model_validate(r.model_dump()) for r in rows]


def add_to_blacklist(session: Session, *, entry: BlacklistEntryCreate, actor: str) -> None:
    _check_ref(entry.applicant_ref)
    row = session.get(BlacklistEntry, entry.applicant_ref) or BlacklistEntry(
        applicant_ref=entry.applicant_ref, reason=entry.reason, listed_at=datetime.now(UTC),
        listed_by=actor,
    )  # fmt: skip
    row.reason = entry.reason
    session.add(row)


def remove_from_blacklist(session: Session, *, applicant_ref: str) -> None:
    row = session.get(BlacklistEntry, applicant_ref)
    if row is None:
        raise NotFound(f"{applicant_ref} is not on the blacklist")
    session.delete(row)


def blacklist_artifact(db: Session | Connection) -> ArtifactRef:
    """The current blacklist as a content-addressed artifact for units' configurations. Its
    version is the number of entries plus the latest listing time, enough to tell two apart;
    the sha256 in the signed configuration is what units trust."""
    table = BlacklistEntry.__table__  # type: ignore[attr-defined]
    refs = sorted(str(r) for (r,) in db.execute(select(table.c.applicant_ref)))
    latest = db.execute(select(func.max(table.c.listed_at))).scalar_one()
    issued = latest or datetime(2020, 1, 1, tzinfo=UTC)
    doc = IntegrityBlacklist(version=len(refs), issued_at=issued, refs=tuple(refs))
    return put_artifact(
        db,
        content=canonical_json(doc),
        kind=ArtifactKind.INTEGRITY_BLACKLIST,
        media_type="application/json",
    )
