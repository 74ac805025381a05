"""The unit agent's own software as desired state: which release a unit should run, and when it
may switch to it.

A release is a wheel of the ``bianmin`` distribution (``pip wheel --no-deps .``), stored by the
hub as an artifact (content addressed by SHA-256) and signed by the hub's key on its own
(``release_document``): the configuration that points to it is signed too, but the detached
signature lets the unit check the wheel it installs without trusting anything but the pinned
key. The configuration body carries a ``SoftwareTarget`` (``ConfigBody.software``), so a
software update goes out, stage by stage, with the rollout machinery configuration uses.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from protocol.artifacts import ArtifactKind, ArtifactRef
from protocol.signing import Verifier, verify_document

DISTRIBUTION = "bianmin"
# PEP 440 public versions as `pip wheel` writes them into a file name (no local part, no '-')
Version = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9][0-9A-Za-z.+!]*$")
]
Clock = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
# Chinese government offices: 08:30-12:00 and 14:00-17:30 local time (the county may change it)
DEFAULT_OFFICE_HOURS: tuple[tuple[str, str], ...] = (("08:30", "12:00"), ("14:00", "17:30"))
DEFAULT_TIMEZONE = "Asia/Shanghai"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def release_document(*, version: str, sha256: str, size: int) -> dict[str, Any]:
    """What the hub signs for a release: the distribution, its version and its bytes."""
    return {
        "kind": "bianmin.release",
        "name": DISTRIBUTION,
        "version": version,
        "sha256": sha256,
        "size": size,
    }


class SoftwareRelease(_Model):
    version: Version
    artifact: ArtifactRef
    alg: Literal["ed25519"] = "ed25519"
    key_id: Annotated[str, StringConstraints(max_length=64)]
    sig: Annotated[str, StringConstraints(max_length=256)]

    @field_validator("artifact")
    @classmethod
    def _is_a_wheel(cls, ref: ArtifactRef) -> ArtifactRef:
        if ref.kind is not ArtifactKind.AGENT_WHEEL:
            raise ValueError(f"must be an agent_wheel artifact, not {ref.kind}")
        return ref

    def verify(self, key: Verifier) -> None:
        """Raise SignatureError unless the hub's key (pinned, or on the unit's trust list)
        signed this version with these bytes."""
        document = release_document(
            version=self.version, sha256=self.artifact.sha256, size=self.artifact.size
        )
        verify_document({**document, "alg": self.alg, "key_id": self.key_id, "sig": self.sig}, key)


class UpdatePolicy(_Model):
    """When a unit may restart into a new version. Never in the middle of a case (always);
    with ``outside_office_hours``, only outside the office hours, in the unit's local time."""

    outside_office_hours: bool = False
    office_hours: Annotated[tuple[tuple[Clock, Clock], ...], Field(max_length=8)] = (
        DEFAULT_OFFICE_HOURS
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] = DEFAULT_TIMEZONE

    @field_validator("office_hours")
    @classmethod
    def _ordered(cls, hours: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for start, end in hours:
            if start >= end:
                raise ValueError(f"{start}-{end}: the end must come after the start")
        return hours

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z_+-]+)*", name):
            raise ValueError(f"{name!r} is not a time zone name")
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}") from None
        return name

    def in_office_hours(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in the office hours, in local time."""
        local = now.astimezone(ZoneInfo(self.timezone)).time()
        return any(_clock(a) <= local < _clock(b) for a, b in self.office_hours)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class SoftwareTarget(_Model):
    """The release a unit should run and the policy for switching to it."""

    release: SoftwareRelease
    policy: UpdatePolicy = UpdatePolicy()
