"""Signed configurations for tests: a small catalog slice, a body pointing at it, and the
signed document a hub would publish (or a forger would try)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_config import builtin_profiles
from protocol.canonical import canonical_json
from protocol.catalog import CatalogSlice
from protocol.config import ArtifactKind, ArtifactRef, CatalogRef, ConfigBody, config_document
from protocol.signing import sign_document
from tests.support.catalog import matter

PROFILE = "pi4-cm3-80mm"


def slice_bytes(catalog_version: int = 1, matters: int = 2) -> bytes:
    part = CatalogSlice(
        catalog_version=catalog_version,
        matters=tuple(matter(f"TST-{i:03d}") for i in range(1, matters + 1)),
    )
    return gzip.compress(canonical_json(part), mtime=0)


def slice_ref(content: bytes, path: str | None = None) -> ArtifactRef:
    sha = hashlib.sha256(content).hexdigest()
    return ArtifactRef(
        kind=ArtifactKind.CATALOG_SLICE,
        sha256=sha,
        size=len(content),
        path=path or f"/artifacts/{sha}",
        encoding="gzip",
    )


def body(ref: ArtifactRef, *, catalog_version: int = 1, matters: int = 2, **extra: Any) -> dict:
    return ConfigBody(
        catalog=CatalogRef(version=catalog_version, matters=matters, artifact=ref),
        profile=builtin_profiles()[PROFILE],
        **extra,
    ).model_dump(mode="json")


def signed(
    key: Ed25519PrivateKey, unit: str, version: int, config_body: dict[str, Any]
) -> dict[str, Any]:
    doc = config_document(
        unit=unit, version=version, issued_at="2026-11-26T09:00:00Z", body=config_body
    )
    return sign_document(doc, key)


def payload(document: dict[str, Any]) -> bytes:
    return canonical_json(document)


def put_in_cache(cache_dir: Path, content: bytes) -> None:
    """As if the unit had downloaded and verified the artifact already."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / hashlib.sha256(content).hexdigest()).write_bytes(content)
