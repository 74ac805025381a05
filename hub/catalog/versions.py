"""Catalog versions uploaded through the API, kept in the database so that every hub process
serves the same newest catalog. The in-memory ``CatalogStore`` of each process is refreshed
from here; a bad upload never reaches either."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, func, select
from sqlmodel import Field, Session, SQLModel

from hub import audit
from hub.accounts.roles import Actor
from hub.catalog.loader import parse_catalog, parse_catalog_text
from hub.catalog.store import CatalogStore
from hub.models import _utc
from protocol.canonical import canonical_json
from protocol.catalog import Catalog


class CatalogRecord(SQLModel, table=True):
    version: int = Field(primary_key=True, sa_type=BigInteger)  # 64-bit, as the protocol allows
    sha256: str = Field(max_length=64)
    title: str = Field(max_length=60)
    uploaded_at: datetime = _utc(nullable=False)
    uploaded_by: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


RECORDS = CatalogRecord.__table__  # type: ignore[attr-defined]


def _document(catalog: Catalog) -> dict[str, Any]:
    return catalog.model_dump(mode="json", by_alias=True)


def current_catalog(session: Session, store: CatalogStore) -> Catalog:
    """The newest catalog: the process's store, unless another process saved a newer one."""
    newest = session.execute(select(func.max(RECORDS.c.version))).scalar_one_or_none()
    if newest is not None and newest > store.current.version:
        content = session.execute(
            select(RECORDS.c.content).where(RECORDS.c.version == newest)
        ).scalar_one()
        store.replace(parse_catalog(content, f"database (version {newest})"), "database")
    return store.current


def upload_catalog(session: Session, store: CatalogStore, *, text: str, actor: Actor) -> Catalog:
    """Validate an uploaded catalog and make it current. A bad file raises CatalogFileError
    (file, field, reason); an old version raises CatalogNotNewer. Either way nothing changes."""
    current_catalog(session, store)
    catalog = parse_catalog_text(text, "upload")
    if catalog == store.current:
        return catalog
    source = f"upload by {actor.name}"
    if catalog.version <= store.current.version:
        store.replace(catalog, source)  # raises CatalogNotNewer and records why
    document = _document(catalog)
    session.add(
        CatalogRecord(
            version=catalog.version,
            sha256=hashlib.sha256(canonical_json(document)).hexdigest(),
            title=catalog.title,
            uploaded_at=datetime.now(UTC),
            uploaded_by=actor.name,
            content=document,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="catalog.upload",
        target=f"catalog/{catalog.version}",
        detail={"title": catalog.title, "matters": len(catalog.matters)},
    )
    session.commit()
    # only after the commit: a failed commit must not leave this process serving it
    return store.replace(catalog, source)
