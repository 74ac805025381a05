"""Pointers to content a unit downloads over HTTP and accepts only when its SHA-256 matches:
catalog slices, model bundles, the blacklist, the calendar, the agent's own wheels. Apart from
the configuration body so that other signed documents (a software release) can point too."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, StringConstraints

from protocol.bounds import Text

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# Where to fetch an artifact, relative to the hub's base URL. Only a location: the sha256 is
# the artifact's identity, so a mirror or a CDN path is as safe as the hub's own.
ArtifactPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/-]{1,255}$")]
MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024
MAX_ARTIFACTS = 16


def artifact_path(sha256: str) -> str:
    """The path under which the hub serves an artifact."""
    return f"/artifacts/{sha256}"


class ArtifactKind(StrEnum):
    CATALOG_SLICE = "catalog_slice"  # the village's matters, canonical JSON of a CatalogSlice
    MODEL_BUNDLE = "model_bundle"  # face detector / embedder files, as the face engine wants them
    # canonical JSON of protocol.case.IntegrityBlacklist: HMAC references of blacklisted people
    INTEGRITY_BLACKLIST = "integrity_blacklist"
    # canonical JSON of protocol.holidays.HolidayCalendar: the working-day calendar
    WORK_CALENDAR = "work_calendar"
    # a wheel of the bianmin distribution: the agent's own software (protocol.software)
    AGENT_WHEEL = "agent_wheel"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArtifactRef(_Model):
    """A pointer to content the unit downloads and checks against ``sha256``."""

    kind: ArtifactKind
    sha256: Sha256
    size: Annotated[PositiveInt, Field(le=MAX_ARTIFACT_BYTES)]
    path: ArtifactPath
    media_type: Annotated[Text, Field(max_length=100)] = "application/json"
    # How the bytes are packed; the sha256 and size are of the bytes as downloaded. Catalog
    # slices travel gzipped: 150 KB of JSON is 6 KB on a village's mobile link.
    encoding: Literal["identity", "gzip"] = "identity"
