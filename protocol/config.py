"""The desired configuration of a unit: the body schema inside a ``SignedConfig``, artifact
pointers, and the one function that opens a signed configuration in the safe order.

Large content (the village's catalog slice, model bundles) never travels in the signed
document: the document carries pointers (kind, sha256, size, path) and the unit fetches the
bytes over HTTP, accepting them only if their SHA-256 matches the signed pointer. So the
signature covers the artifacts too, and a retained config stays a few kilobytes.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from firmware_config.schema import HardwareProfile

# re-exported: the pointers were defined here before protocol.artifacts held them
from protocol.artifacts import (
    MAX_ARTIFACT_BYTES,
    MAX_ARTIFACTS,
    ArtifactKind,
    ArtifactPath,
    ArtifactRef,
    Sha256,
    artifact_path,
)
from protocol.bounds import PositiveInt64
from protocol.canonical import parse_object
from protocol.clerks import ClerkRoster
from protocol.errors import InvalidMessage, UnitMismatch
from protocol.keyring import KeyAnnouncement
from protocol.messages import MAX_CONFIG_BYTES, SignedConfig, describe
from protocol.signing import Verifier, verify_document
from protocol.software import SoftwareTarget

__all__ = [
    "MAX_ARTIFACTS",
    "MAX_ARTIFACT_BYTES",
    "ArtifactKind",
    "ArtifactPath",
    "ArtifactRef",
    "CatalogRef",
    "ConfigBody",
    "Sha256",
    "Thresholds",
    "artifact_path",
    "config_document",
    "open_signed_config",
    "parse_raw",
    "raw_version",
]

# The newest body schema this code reads. A unit reports it in its heartbeat, and the hub
# writes each unit's body for the schema it reads (protocol/config_schema.py, docs/config.md).
# 3: the agent's software release (``software``).
CONFIG_SCHEMA_VERSION = 3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogRef(_Model):
    """The catalog version the village runs and where its slice of matters is."""

    version: PositiveInt64
    matters: Annotated[int, Field(ge=0, le=10_000)]  # checked against the downloaded slice
    artifact: ArtifactRef

    @model_validator(mode="after")
    def _is_a_slice(self) -> CatalogRef:
        if self.artifact.kind is not ArtifactKind.CATALOG_SLICE:
            raise ValueError(f"artifact.kind: must be catalog_slice, not {self.artifact.kind}")
        return self


class Thresholds(_Model):
    """Operational thresholds the county tunes without a new hardware profile."""

    # Overrides the profile's face.verify_threshold (embedding distance) when set.
    face_verify_threshold: Annotated[float, Field(gt=0, lt=2)] | None = None
    # Overrides the profile's rating.timeout_s when set.
    rating_timeout_s: Annotated[int, Field(ge=5, le=600)] | None = None
    # 容缺受理: working days an applicant has to supply a deferred material.
    deferred_material_days: Annotated[int, Field(ge=1, le=60)] = 5
    # Heartbeat period; None keeps the unit's own setting.
    health_interval_s: Annotated[float, Field(ge=5, le=3600)] | None = None


class ConfigBody(_Model):
    """What a unit runs: the catalog version and slice, its hardware profile, thresholds and
    any further artifacts. Face galleries are never here: they stay on the unit."""

    # the schema the hub wrote this body for: any this unit reads (1 before key rotation)
    schema_version: Annotated[int, Field(ge=1, le=CONFIG_SCHEMA_VERSION)] = 1
    catalog: CatalogRef
    profile: HardwareProfile
    thresholds: Thresholds = Thresholds()
    artifacts: tuple[ArtifactRef, ...] = Field(default=(), max_length=MAX_ARTIFACTS)
    # The integrity blacklist (失信名单) the window checks before any green channel (容缺).
    # None: the hub sent none, and the unit refuses 容缺 rather than guess.
    blacklist: ArtifactRef | None = None
    # The working-day calendar deadlines are counted on (protocol.holidays). None: the hub
    # sent none, and the unit counts on its seed calendar and says so on every deadline.
    calendar: ArtifactRef | None = None
    # The clerks and agents of the village who may sign in at its window (PIN hashes only).
    # None: the hub sent no roster, and the window opens no case (it says why). Left out of
    # the JSON when None, so a unit that predates rosters still accepts a body without one.
    clerks: ClerkRoster | None = Field(default=None, exclude_if=lambda v: v is None)
    # Schema 2: the hub's signing-key list (protocol/keyring.py), from the first rotation on.
    keys: KeyAnnouncement | None = Field(default=None, exclude_if=lambda v: v is None)
    # The agent's own release and when to switch to it (protocol.software). Left out when None,
    # like clerks, so units from before software updates accept bodies without one.
    software: SoftwareTarget | None = Field(default=None, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _unique_artifacts(self) -> ConfigBody:
        hashes = [a.sha256 for a in self.all_artifacts()]
        if len(set(hashes)) != len(hashes):
            raise ValueError("artifacts: an artifact is listed twice")
        for name, ref, kind in (
            ("blacklist", self.blacklist, ArtifactKind.INTEGRITY_BLACKLIST),
            ("calendar", self.calendar, ArtifactKind.WORK_CALENDAR),
        ):
            if ref is not None and ref.kind is not kind:
                raise ValueError(f"{name}: must be {kind}, not {ref.kind}")
        return self

    def all_artifacts(self) -> tuple[ArtifactRef, ...]:
        wheel = self.software.release.artifact if self.software is not None else None
        extra = tuple(r for r in (self.blacklist, self.calendar, wheel) if r is not None)
        return (self.catalog.artifact, *self.artifacts, *extra)


def config_document(
    *, unit: str, version: int, issued_at: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The unsigned document the hub signs; ``issued_at`` is kept as the exact signed text."""
    return {"v": 1, "unit": unit, "version": version, "issued_at": issued_at, "body": body}


def raw_version(raw: object) -> int:
    """The version a document claims, for a rejection report; 0 when it claims none."""
    if isinstance(raw, dict):
        version = raw.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and version >= 0:
            return version
    return 0


def parse_raw(payload: bytes) -> dict[str, Any]:
    """Parse a config payload into a plain dict, refusing what has no canonical form."""
    return parse_object(payload, what="config", limit=MAX_CONFIG_BYTES)


def open_signed_config(
    raw: dict[str, Any], *, key: Verifier, unit: str
) -> tuple[SignedConfig, ConfigBody]:
    """Verify, then validate, a parsed config: signature over the raw dict first (so nothing a
    model does to the data can change what was checked), then the envelope, the unit, the body.

    ``key`` is the pinned key or the unit's trust list. Raises SignatureError, InvalidMessage
    or UnitMismatch (all ProtocolError) saying why.
    """
    verify_document(raw, key)
    try:
        envelope = SignedConfig.model_validate(raw)
    except ValidationError as exc:
        raise InvalidMessage(f"SignedConfig: {describe(exc)}") from None
    if envelope.unit != unit:
        raise UnitMismatch(f"config is for unit {envelope.unit!r}, this is {unit!r}")
    try:
        body = ConfigBody.model_validate(envelope.body)
    except ValidationError as exc:
        raise InvalidMessage(f"body: {describe(exc)}") from None
    return envelope, body
