"""Each unit's desired configuration body for a rollout. The catalog slice goes into an
artifact (about 150 KB of JSON per village; only a few distinct slices exist), the body keeps
a pointer to it, and identical bodies are stored once by hash. The blacklist and the
working-day calendar are one artifact each, the same for every unit. A village's clerk roster
(a few PIN hashes) travels in the body itself: each village gets its own clerks only."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from firmware_config.schema import HardwareProfile
from hub.artifacts.store import put_artifact
from hub.catalog.service import catalog_slice
from hub.rollouts.models import ConfigBlob
from hub.sql import insert_for
from protocol.canonical import canonical_json
from protocol.catalog import Catalog
from protocol.clerks import ClerkRoster
from protocol.config import ArtifactKind, ArtifactRef, CatalogRef, ConfigBody, Thresholds
from protocol.software import SoftwareTarget
from protocol.villages import VillageRegistry

BLOBS = ConfigBlob.__table__  # type: ignore[attr-defined]
# artifacts a body gets from the hub's own data, never from a rollout's list
HUB_MADE = frozenset(
    {
        ArtifactKind.CATALOG_SLICE,
        ArtifactKind.INTEGRITY_BLACKLIST,
        ArtifactKind.WORK_CALENDAR,
        ArtifactKind.AGENT_WHEEL,  # a release goes in `software`, signed (hub.rollouts.software)
    }
)


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def store_blobs(db: Session | Connection, bodies: dict[str, dict[str, Any]]) -> None:
    """Insert bodies by hash; a body stored before is left as it is (same hash, same body)."""
    if not bodies:
        return
    db.execute(
        insert_for(db, BLOBS).on_conflict_do_nothing(index_elements=["hash"]),
        [{"hash": h, "body": b} for h, b in bodies.items()],
    )


def render_bodies(
    db: Session | Connection,
    *,
    units: Sequence[str],
    catalog: Catalog,
    registry: VillageRegistry,
    profile: HardwareProfile,
    thresholds: Thresholds,
    extra: Sequence[ArtifactRef] = (),
    blacklist: ArtifactRef | None = None,
    calendar: ArtifactRef | None = None,
    rosters: Mapping[str, ClerkRoster] | None = None,
    software: SoftwareTarget | None = None,
) -> dict[str, str]:
    """Store every unit's body (and its catalog slice artifact); return unit -> body hash.
    ``rosters`` gives each unit its village's clerks; a unit missing from it gets none."""
    slices: dict[tuple[str, ...], ArtifactRef] = {}
    bodies: dict[str, dict[str, Any]] = {}
    out: dict[str, str] = {}
    rosters = rosters or {}
    counts: dict[str, int] = {}
    shared: dict[tuple[str, ...], str] = {}  # bodies of units without a roster, by exclusions
    for unit in units:
        # Villages with the same exclusions get the same slice (and, without clerks of their
        # own, the same body).
        key = registry.village(unit).matters_excluded
        ref = slices.get(key)
        if ref is None:
            part = catalog_slice(unit, catalog, registry)
            ref = put_artifact(
                db,
                # mtime=0: the same slice always packs to the same bytes, so the same hash
                content=gzip.compress(canonical_json(part), compresslevel=9, mtime=0),
                kind=ArtifactKind.CATALOG_SLICE,
                media_type="application/json",
                encoding="gzip",
            )
            slices[key] = ref
            counts[ref.sha256] = len(part.matters)
        roster = rosters.get(unit)
        found = shared.get(key) if roster is None else None
        if found is None:
            body = ConfigBody(
                catalog=CatalogRef(
                    version=catalog.version, matters=counts[ref.sha256], artifact=ref
                ),
                profile=profile,
                thresholds=thresholds,
                artifacts=tuple(extra),
                blacklist=blacklist,
                calendar=calendar,
                clerks=roster,
                software=software,
            ).model_dump(mode="json")
            found = body_hash(body)
            bodies[found] = body
            if roster is None:
                shared[key] = found
        out[unit] = found
    store_blobs(db, bodies)
    return out
