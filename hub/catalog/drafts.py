"""Catalog drafts: an imported or edited catalog waits here until a second operator approves
it, which publishes it as the next version (hub.catalog.versions) and starts its rollout.

A draft holds a whole catalog and its exclusions, and the version the units ran when it was
made (``base_version``): its diff is against that version, and approving it after another
version was published is refused rather than silently undoing that version's changes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, func, select
from sqlmodel import Field, Session, SQLModel

from hub import audit
from hub.accounts.roles import Actor
from hub.catalog.loader import parse_catalog
from hub.catalog.offered import Exclusions, from_mapping
from hub.catalog.store import CatalogStore
from hub.catalog.versions import current_catalog, current_exclusions, publish_catalog
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import _utc
from protocol.catalog import Catalog, Matter
from protocol.villages import VillageRegistry


class DraftStatus(StrEnum):
    DRAFT = "draft"  # being prepared; its author may edit it
    APPROVED = "approved"  # published as a version; its rollout has not started yet
    PUBLISHED = "published"  # published and its rollout started
    REJECTED = "rejected"


DRAFT_STATUS_LABELS = {
    DraftStatus.DRAFT: "待审核",
    DraftStatus.APPROVED: "已发布，待下发",
    DraftStatus.PUBLISHED: "已发布并下发",
    DraftStatus.REJECTED: "已驳回",
}


class CatalogDraft(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=16, index=True)
    author: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    base_version: int = Field(sa_type=BigInteger)
    source: str = Field(max_length=120)  # how it came: the workbook's name, "json", "edit"
    # {"catalog": the catalog document, "exclusions": {unit: [codes]}, "base": the same two
    # of the version it was made from, which may be the hub's file rather than a database row}
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _utc(nullable=True)
    reason: str | None = Field(default=None, max_length=200)  # why it was rejected
    published_version: int | None = Field(default=None, sa_type=BigInteger)
    rollout_id: int | None = None
    rollout_error: str | None = Field(default=None, max_length=500)


class OwnDraft(Forbidden):
    """The author of a draft asked to approve it: a change needs a second person."""

    code = "own_draft"


class NotAuthor(Forbidden):
    code = "not_draft_author"


class DraftNotFound(NotFound):
    code = "draft_not_found"


class DraftDecided(Conflict):
    code = "draft_decided"


class CatalogChanged(Conflict):
    """A newer version was published after the draft was made; its diff is stale."""

    code = "catalog_changed"


def draft_catalog(draft: CatalogDraft) -> Catalog:
    return parse_catalog(draft.content["catalog"], f"draft {draft.id}")


def draft_exclusions(draft: CatalogDraft) -> Exclusions:
    return from_mapping(draft.content.get("exclusions") or {})


def draft_base(draft: CatalogDraft) -> tuple[Catalog, Exclusions]:
    base = draft.content["base"]
    catalog = parse_catalog(base["catalog"], f"draft {draft.id} base")
    return catalog, from_mapping(base.get("exclusions") or {})


def _replace(draft: CatalogDraft, catalog: Catalog, exclusions: Exclusions) -> None:
    draft.content = {**_content(catalog, exclusions), "base": draft.content["base"]}


def _content(catalog: Catalog, exclusions: Exclusions) -> dict[str, Any]:
    return {
        "catalog": catalog.model_dump(mode="json", by_alias=True),
        "exclusions": {u: list(c) for u, c in exclusions.items()},
    }


def create_draft(
    session: Session,
    store: CatalogStore,
    registry: VillageRegistry,
    *,
    catalog: Catalog,
    exclusions: Exclusions | None,
    actor: Actor,
    source: str,
) -> CatalogDraft:
    """A new draft of ``catalog`` against the version the units run; exclusions None: keep
    the current ones."""
    base = current_catalog(session, store)
    running = current_exclusions(session, registry)
    if exclusions is None:
        exclusions = running
    now = datetime.now(UTC)
    draft = CatalogDraft(
        status=DraftStatus.DRAFT.value,
        author=actor.name,
        created_at=now,
        updated_at=now,
        base_version=base.version,
        source=source[:120],
        content={**_content(catalog, exclusions), "base": _content(base, running)},
    )
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="catalog.draft.create",
        target=f"catalog-draft/{draft.id}",
        detail={
            "source": draft.source,
            "base_version": base.version,
            "matters": len(catalog.matters),
        },
    )
    session.commit()
    session.refresh(draft)
    return draft


def get_draft(session: Session, draft_id: int, *, lock: bool = False) -> CatalogDraft:
    query = select(CatalogDraft).where(CatalogDraft.id == draft_id)  # type: ignore[arg-type]
    if lock:
        query = query.with_for_update()
    draft: CatalogDraft | None = session.execute(query).scalar_one_or_none()
    if draft is None:
        raise DraftNotFound(f"no catalog draft {draft_id}")
    return draft


def list_drafts(
    session: Session, *, limit: int, offset: int, status: str | None = None
) -> tuple[list[CatalogDraft], int]:
    query = select(CatalogDraft)
    counted = select(func.count()).select_from(CatalogDraft)
    if status is not None:
        query = query.where(CatalogDraft.status == status)  # type: ignore[arg-type]
        counted = counted.where(CatalogDraft.status == status)  # type: ignore[arg-type]
    rows = session.execute(
        query.order_by(CatalogDraft.id.desc()).limit(limit).offset(offset)  # type: ignore[union-attr]
    ).scalars()
    return list(rows), session.execute(counted).scalar_one()


def _editable(session: Session, draft_id: int, actor: Actor) -> CatalogDraft:
    draft = get_draft(session, draft_id, lock=True)
    if draft.status != DraftStatus.DRAFT.value:
        raise DraftDecided(f"catalog draft {draft_id} is {draft.status}; it cannot change")
    if draft.author != actor.name:
        raise NotAuthor(f"only {draft.author}, who made catalog draft {draft_id}, edits it")
    return draft


def save_matter(
    session: Session,
    *,
    draft_id: int,
    matter: Matter,
    offered_by: set[str] | None,
    registry: VillageRegistry,
    actor: Actor,
    replaces: str | None = None,
) -> CatalogDraft:
    """Put ``matter`` into the draft in place of ``replaces`` (its code before the edit), or
    add it; ``offered_by``: the units that handle it (None leaves the exclusions alone).
    The whole catalog is validated again (codes and names stay unique)."""
    draft = _editable(session, draft_id, actor)
    catalog = draft_catalog(draft)
    old = replaces or matter.code
    matters = [matter if m.code == old else m for m in catalog.matters]
    if catalog.get(old) is None:
        matters.append(matter)
    document = catalog.model_dump(mode="json", by_alias=True)
    document["matters"] = [m.model_dump(mode="json") for m in matters]
    updated = parse_catalog(document, f"draft {draft_id}")
    exclusions = dict(draft_exclusions(draft))
    if old != matter.code:  # a renamed code keeps its villages
        exclusions = {
            u: tuple(matter.code if c == old else c for c in cs) for u, cs in exclusions.items()
        }
    if offered_by is not None:
        exclusions = _set_offering(exclusions, matter, offered_by, registry)
    _replace(draft, updated, from_mapping(exclusions))
    return _touched(session, draft, actor, "catalog.draft.edit", {"matter": matter.code})


def remove_matter(session: Session, *, draft_id: int, code: str, actor: Actor) -> CatalogDraft:
    draft = _editable(session, draft_id, actor)
    catalog = draft_catalog(draft)
    if catalog.get(code) is None:
        raise NotFound(f"catalog draft {draft_id} has no matter {code}")
    document = catalog.model_dump(mode="json", by_alias=True)
    document["matters"] = [m for m in document["matters"] if m["code"] != code]
    updated = parse_catalog(document, f"draft {draft_id}")
    exclusions = {u: tuple(c for c in cs if c != code) for u, cs in draft_exclusions(draft).items()}
    _replace(draft, updated, from_mapping(exclusions))
    return _touched(session, draft, actor, "catalog.draft.remove_matter", {"matter": code})


def _set_offering(
    exclusions: dict[str, tuple[str, ...]],
    matter: Matter,
    offered_by: set[str],
    registry: VillageRegistry,
) -> dict[str, tuple[str, ...]]:
    out = {u: tuple(c for c in cs if c != matter.code) for u, cs in exclusions.items()}
    if matter.delegated:
        for unit in registry.unit_ids():
            if unit not in offered_by:
                out[unit] = (*out.get(unit, ()), matter.code)
    return out


def _touched(
    session: Session, draft: CatalogDraft, actor: Actor, action: str, detail: dict[str, Any]
) -> CatalogDraft:
    draft.updated_at = datetime.now(UTC)
    session.add(draft)
    audit.record(
        session, actor=actor, action=action, target=f"catalog-draft/{draft.id}", detail=detail
    )
    session.commit()
    session.refresh(draft)
    return draft


def reject_draft(session: Session, *, draft_id: int, reason: str, actor: Actor) -> CatalogDraft:
    draft = get_draft(session, draft_id, lock=True)
    if draft.status != DraftStatus.DRAFT.value:
        raise DraftDecided(f"catalog draft {draft_id} is already {draft.status}")
    draft.status = DraftStatus.REJECTED.value
    draft.decided_by, draft.decided_at, draft.reason = actor.name, datetime.now(UTC), reason
    return _touched(session, draft, actor, "catalog.draft.reject", {"reason": reason})


def approve_draft(
    session: Session, store: CatalogStore, *, draft_id: int, actor: Actor
) -> CatalogDraft:
    """Publish the draft as the next catalog version, by an operator who is not its author.
    The caller then starts its rollout (hub.catalog.release)."""
    draft = get_draft(session, draft_id, lock=True)
    if draft.status != DraftStatus.DRAFT.value:
        raise DraftDecided(f"catalog draft {draft_id} is already {draft.status}")
    if draft.author == actor.name:
        raise OwnDraft(f"{actor.name} made catalog draft {draft_id}; another operator approves it")
    running = current_catalog(session, store)
    if running.version != draft.base_version:
        raise CatalogChanged(
            f"catalog draft {draft_id} was made against version {draft.base_version}, but "
            f"version {running.version} was published since; import it again"
        )
    document = {**draft.content["catalog"], "version": running.version + 1}
    catalog = parse_catalog(document, f"draft {draft.id}")
    now = datetime.now(UTC)
    draft.status = DraftStatus.APPROVED.value
    draft.decided_by, draft.decided_at, draft.updated_at = actor.name, now, now
    draft.published_version = catalog.version
    session.add(draft)
    audit.record(
        session,
        actor=actor,
        action="catalog.draft.approve",
        target=f"catalog-draft/{draft.id}",
        detail={"author": draft.author, "version": catalog.version},
    )
    publish_catalog(
        session,
        store,
        catalog=catalog,
        actor=actor,
        action="catalog.publish",
        exclusions=draft_exclusions(draft),
        detail={"draft": draft.id, "author": draft.author},
        commit=False,
    )
    session.commit()
    store.replace(catalog, f"catalog draft {draft.id} approved by {actor.name}")
    session.refresh(draft)
    return draft
