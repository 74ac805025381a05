"""After approval, the new catalog version goes to every village through the staged, signed
rollout (hub.rollouts): canaries first, then the rest. A rollout that cannot start (units
still busy in another one) leaves the version published and the draft ``approved``, with the
reason, so an operator can start it again from the draft's page."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from hub import audit
from hub.accounts.roles import Actor
from hub.catalog.drafts import CatalogChanged, CatalogDraft, DraftDecided, DraftStatus, get_draft
from hub.catalog.store import CatalogStore
from hub.catalog.versions import current_catalog, current_registry
from hub.errors import HubError
from hub.rollouts import store as rollouts
from hub.rollouts.models import RolloutCreate, Target
from protocol.villages import VillageRegistry


class ReleaseOptions(BaseModel):
    """How the new version is rolled out: to every village, canaries first."""

    model_config = ConfigDict(extra="forbid")

    canary_count: Annotated[int, Field(ge=0, le=1000)] = 2
    stage_size: Annotated[int, Field(ge=1, le=100_000)] | None = None
    failure_threshold: Annotated[float, Field(ge=0, le=1)] = 0.1


def start_rollout(
    session: Session,
    store: CatalogStore,
    registry: VillageRegistry,
    *,
    draft_id: int,
    options: ReleaseOptions,
    actor: Actor,
) -> CatalogDraft:
    draft = get_draft(session, draft_id)
    if draft.status != DraftStatus.APPROVED.value:
        raise DraftDecided(f"catalog draft {draft_id} is {draft.status}, not awaiting its rollout")
    catalog = current_catalog(session, store)
    if catalog.version != draft.published_version:
        raise CatalogChanged(
            f"version {catalog.version} was published after this draft's "
            f"{draft.published_version}; roll that one out from the rollout pages"
        )
    request = RolloutCreate(
        target=Target(all=True),
        canary_count=options.canary_count,
        stage_size=options.stage_size,
        failure_threshold=options.failure_threshold,
        note=f"事项清单第{catalog.version}版",
    )
    try:
        rollout = rollouts.create_rollout(
            session,
            request=request,
            actor=actor,
            catalog=catalog,
            registry=current_registry(session, registry),
        )
    except HubError as exc:
        session.rollback()
        draft = get_draft(session, draft_id)
        draft.rollout_error = f"{exc.code}: {exc}"[:500]
        session.add(draft)
        audit.record(
            session,
            actor=actor,
            action="catalog.draft.rollout_refused",
            target=f"catalog-draft/{draft_id}",
            detail={"reason": draft.rollout_error},
        )
        session.commit()
        session.refresh(draft)
        return draft
    draft = get_draft(session, draft_id)
    draft.status = DraftStatus.PUBLISHED.value
    draft.rollout_id, draft.rollout_error = rollout.id, None
    session.add(draft)
    audit.record(
        session,
        actor=actor,
        action="catalog.draft.rollout",
        target=f"catalog-draft/{draft_id}",
        detail={"rollout": rollout.id, "version": catalog.version},
    )
    session.commit()
    session.refresh(draft)
    return draft
