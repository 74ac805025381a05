"""Artifacts: content addressed by SHA-256 (catalog slices, model bundles), stored in the
database so every hub process can serve every artifact (``hub.artifacts.serving`` caches them
per process).

Face galleries are never artifacts: enrolled faces stay on the unit that enrolled them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Column, Connection, Engine, LargeBinary, select
from sqlmodel import Field, Session, SQLModel

from hub.errors import ArtifactNotFound
from hub.models import _utc
from hub.paging import Page, fetch
from hub.sql import insert_for
from protocol.config import MAX_ARTIFACT_BYTES, ArtifactKind, ArtifactRef, artifact_path


class ArtifactBase(SQLModel):
    sha256: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    size: int
    media_type: str = Field(max_length=100)
    encoding: str = Field(default="identity", max_length=16)


class Artifact(ArtifactBase, table=True):
    created_at: datetime = _utc(nullable=False)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ArtifactPublic(ArtifactBase):
    created_at: datetime
    path: str


ARTIFACTS = Artifact.__table__  # type: ignore[attr-defined]


def _ref(row: ArtifactBase) -> ArtifactRef:
    return ArtifactRef(
        kind=ArtifactKind(row.kind),
        sha256=row.sha256,
        size=row.size,
        path=artifact_path(row.sha256),
        media_type=row.media_type,
        encoding="gzip" if row.encoding == "gzip" else "identity",
    )


def put_artifact(
    db: Session | Connection,
    *,
    content: bytes,
    kind: ArtifactKind,
    media_type: str,
    encoding: Literal["identity", "gzip"] = "identity",
) -> ArtifactRef:
    """Store ``content`` under its hash (a second put of the same bytes is a no-op)."""
    if not content or len(content) > MAX_ARTIFACT_BYTES:
        raise ValueError(f"an artifact holds 1 to {MAX_ARTIFACT_BYTES} bytes")
    sha = hashlib.sha256(content).hexdigest()
    db.execute(
        insert_for(db, ARTIFACTS)
        .values(
            sha256=sha,
            kind=kind.value,
            size=len(content),
            media_type=media_type,
            encoding=encoding,
            created_at=datetime.now(UTC),
            content=content,
        )
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    return ArtifactRef(
        kind=kind,
        sha256=sha,
        size=len(content),
        path=artifact_path(sha),
        media_type=media_type,
        encoding=encoding,
    )


_META = (
    ARTIFACTS.c.sha256,
    ARTIFACTS.c.kind,
    ARTIFACTS.c.size,
    ARTIFACTS.c.media_type,
    ARTIFACTS.c.encoding,
)


def artifact_ref(db: Session | Connection, sha256: str) -> ArtifactRef:
    row = db.execute(select(*_META).where(ARTIFACTS.c.sha256 == sha256)).one_or_none()
    if row is None:
        raise ArtifactNotFound(f"no artifact {sha256}")
    return _ref(ArtifactBase.model_validate(dict(row._mapping)))


def list_artifacts(session: Session, *, page: Page | None = None) -> list[ArtifactPublic]:
    stmt = select(*_META, ARTIFACTS.c.created_at).order_by(
        ARTIFACTS.c.created_at, ARTIFACTS.c.sha256
    )
    rows = fetch(session, stmt, page)
    return [
        ArtifactPublic.model_validate({**r._mapping, "path": artifact_path(r.sha256)}) for r in rows
    ]


def artifact_content_in(db: Session | Connection, sha256: str) -> bytes:
    """An artifact's bytes, read in the caller's transaction."""
    content = db.execute(
        select(ARTIFACTS.c.content).where(ARTIFACTS.c.sha256 == sha256)
    ).scalar_one_or_none()
    if content is None:
        raise ArtifactNotFound(f"no artifact {sha256}")
    return bytes(content)


def artifact_content(engine: Engine, sha256: str) -> bytes:
    with engine.connect() as conn:
        content = conn.execute(
            select(ARTIFACTS.c.content).where(ARTIFACTS.c.sha256 == sha256)
        ).scalar_one_or_none()
    if content is None:
        raise ArtifactNotFound(f"no artifact {sha256}")
    return bytes(content)
