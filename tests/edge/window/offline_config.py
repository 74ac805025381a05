"""A unit's data directory as a rollout leaves it, made without a hub: a signed configuration
(the seed catalog's delegated matters, a blacklist, a clerk roster) and its artifacts in the
unit's cache."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from firmware_config import builtin_profiles
from hub.catalog.loader import load_catalog
from protocol.canonical import canonical_json
from protocol.case import IntegrityBlacklist
from protocol.catalog import CatalogSlice
from protocol.clerks import Clerk, ClerkRole, ClerkRoster, hash_pin
from protocol.config import (
    ArtifactKind,
    ArtifactRef,
    CatalogRef,
    ConfigBody,
    artifact_path,
    config_document,
)
from protocol.signing import generate_key, public_key_to_text, sign_document

CLERK, CLERK_PIN = "ck-0000c1e4", "285714"


def _artifact(cache: Path, content: bytes, kind: ArtifactKind, encoding: str) -> ArtifactRef:
    sha = hashlib.sha256(content).hexdigest()
    (cache / sha).write_bytes(content)
    return ArtifactRef(
        kind=kind, sha256=sha, size=len(content), path=artifact_path(sha),
        encoding="gzip" if encoding == "gzip" else "identity",
    )  # fmt: skip


def roster(**policy: int) -> ClerkRoster:
    """The village's one clerk (王芳, PIN CLERK_PIN), with the sign-in policy given."""
    clerk = Clerk(id=CLERK, name="王芳", role=ClerkRole.CLERK, pin=hash_pin(CLERK_PIN))
    return ClerkRoster(clerks=(clerk,), **policy)


def seed_unit(
    data_dir: Path,
    unit: str,
    blacklist: tuple[str, ...] = (),
    clerks: ClerkRoster | None = None,
) -> str:
    """Write version 1 of a signed config into ``data_dir``; returns the hub key to pin."""
    key = generate_key()
    cache = data_dir / "artifacts"
    cache.mkdir(parents=True, exist_ok=True)
    catalog = load_catalog()
    part = CatalogSlice(catalog_version=catalog.version, matters=catalog.delegated())
    slice_ref = _artifact(
        cache, gzip.compress(canonical_json(part), mtime=0), ArtifactKind.CATALOG_SLICE, "gzip"
    )
    listed = IntegrityBlacklist(
        version=len(blacklist), issued_at=datetime.now(UTC), refs=tuple(sorted(blacklist))
    )
    black_ref = _artifact(
        cache, canonical_json(listed), ArtifactKind.INTEGRITY_BLACKLIST, "identity"
    )
    body = ConfigBody(
        catalog=CatalogRef(version=catalog.version, matters=len(part.matters), artifact=slice_ref),
        profile=builtin_profiles()["pi4-cm3-80mm"],
        blacklist=black_ref,
        clerks=clerks or roster(),
    ).model_dump(mode="json")
    doc = config_document(unit=unit, version=1, issued_at="2026-11-26T00:00:00Z", body=body)
    (data_dir / "config").mkdir(parents=True, exist_ok=True)
    (data_dir / "config" / "current.json").write_bytes(canonical_json(sign_document(doc, key)))
    return public_key_to_text(key.public_key())
