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
from hub.catalog.offered import Exclusions, from_mapping, registry_exclusions, with_exclusions
from hub.catalog.store import CatalogStore
from hub.models import _utc
from protocol.canonical import canonical_json
from protocol.catalog import Catalog
from protocol.villages import VillageRegistry


class CatalogRecord(SQLModel, table=True):
    version: int = Field(primary_key=True, sa_type=BigInteger)  # 64-bit, as the protocol allows
    sha256: str = Field(max_length=64)
    title: str = Field(max_length=60)
    uploaded_at: datetime = _utc(nullable=False)
    uploaded_by: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # which villages do not offer which delegated matter (unit -> codes), as approved with
    # this version; None: as the version before (an upload of the catalog file alone)
    exclusions: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )


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
    return publish_catalog(session, store, catalog=catalog, actor=actor, action="catalog.upload")


def publish_catalog(
    session: Session,
    store: CatalogStore,
    *,
    catalog: Catalog,
    actor: Actor,
    action: str,
    exclusions: Exclusions | None = None,
    detail: dict[str, Any] | None = None,
    commit: bool = True,
) -> Catalog:
    """Record a validated catalog as the newest version, with its exclusions (None: keep the
    current ones), audited as ``action``. CatalogNotNewer if its version is not above the
    running one. The store serves it once committed (at once when ``commit``; otherwise the
    caller commits and then calls ``store.replace``)."""
    source = f"{action} by {actor.name}"
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
            exclusions=None if exclusions is None else {u: list(c) for u, c in exclusions.items()},
        )
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        target=f"catalog/{catalog.version}",
        detail={"title": catalog.title, "matters": len(catalog.matters), **(detail or {})},
    )
    if not commit:
        return catalog
    session.commit()
    # only after the commit: a failed commit must not leave this process serving it
    return store.replace(catalog, source)


def current_exclusions(session: Session, registry: VillageRegistry) -> Exclusions:
    """Which villages leave out which delegated matters: as the newest version that says so
    was approved, else as the village registry file says."""
    found = session.execute(
        select(RECORDS.c.exclusions)
        .where(RECORDS.c.exclusions.is_not(None))
        .order_by(RECORDS.c.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    return registry_exclusions(registry) if found is None else from_mapping(found)


def current_registry(session: Session, registry: VillageRegistry) -> VillageRegistry:
    """The village registry with the exclusions units must run (what rollouts slice by)."""
    return with_exclusions(registry, current_exclusions(session, registry))
