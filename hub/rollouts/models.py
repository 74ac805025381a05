"""Rollout tables and API shapes (Base / table / Public families).

- ``ConfigBlob``: a config body by the SHA-256 of its canonical JSON (few distinct bodies
  serve thousands of units);
- ``ConfigVersion``: every version issued to a unit, with its signature, so a lost retained
  message can be published again byte for byte and a rollback can find the previous body;
- ``UnitConfig``: per unit, the desired version and what the unit last reported;
- ``Rollout`` and ``RolloutUnit``: the operator's rollouts and the per-unit execution state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints, computed_field, model_validator
from pydantic import Field as Check
from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from hub.models import _utc
from protocol.config import Sha256, Thresholds
from protocol.messages import UnitId
from protocol.software import UpdatePolicy


class RolloutState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"


ACTIVE = (RolloutState.RUNNING.value, RolloutState.PAUSED.value)


class UnitState(StrEnum):
    """A unit's execution state in one rollout (after AWS IoT Jobs)."""

    PENDING = "pending"  # its stage has not started
    DELIVERED = "delivered"  # signed and published, retained, to its config topic
    APPLIED = "applied"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"  # no report within the rollout's timeout (a late one still counts)


TERMINAL = (UnitState.APPLIED.value, UnitState.REJECTED.value, UnitState.TIMED_OUT.value)
FAILED = (UnitState.REJECTED.value, UnitState.TIMED_OUT.value)


# -- tables -----------------------------------------------------------------------------------


class ConfigBlob(SQLModel, table=True):
    hash: str = Field(primary_key=True, max_length=64)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class ConfigVersion(SQLModel, table=True):
    unit: str = Field(primary_key=True, max_length=64)
    # versions are 64-bit everywhere (PostgreSQL's INTEGER is 32-bit)
    version: int = Field(primary_key=True, sa_type=BigInteger)
    body_hash: str = Field(max_length=64)
    # the signed document without its body, exactly as signed (issued_at as text)
    envelope: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    rollout_id: int | None = None
    created_at: datetime = _utc(nullable=False)


class UnitConfig(SQLModel, table=True):
    unit: str = Field(primary_key=True, max_length=64)
    desired_version: int = Field(default=0, sa_type=BigInteger)
    desired_at: datetime | None = _utc(nullable=True)
    published_at: datetime | None = _utc(nullable=True)  # None: publish (again) soon
    applied_version: int = Field(default=0, sa_type=BigInteger)
    report_version: int | None = Field(default=None, sa_type=BigInteger)
    report_status: str | None = Field(default=None, max_length=16)
    report_reason: str | None = Field(default=None, max_length=2000)
    reported_at: datetime | None = _utc(nullable=True)
    # The last version the unit claimed (in a heartbeat or a report) above anything the hub
    # ever issued it: a corrupted or hostile unit, or a hub database restored from a backup.
    # Recorded and shown, never used to compute the next version (hub/rollouts/anomalies.py).
    anomaly_version: int | None = Field(default=None, sa_type=BigInteger)
    anomaly_source: str | None = Field(default=None, max_length=16)  # heartbeat | report
    anomaly_at: datetime | None = _utc(nullable=True)


class Rollout(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # rollout | rollback
    state: str = Field(max_length=16, index=True)
    note: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=64)
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    failure_threshold: float
    timeout_s: float
    stages: int
    stage: int = 0  # the stage being rolled out
    accepted_stage: int = -1  # the operator resumed past this stage's failures
    paused_reason: str | None = Field(default=None, max_length=500)
    parent_id: int | None = None  # for a rollback: the rollout it undoes
    units: int = 0


class RolloutUnit(SQLModel, table=True):
    __table_args__ = (
        Index("rolloutunit_unit_version", "unit", "version"),
        Index("rolloutunit_rollout_state", "rollout_id", "state"),
    )

    rollout_id: int = Field(primary_key=True)
    unit: str = Field(primary_key=True, max_length=64)
    stage: int
    state: str = Field(max_length=16)
    body_hash: str = Field(max_length=64)
    version: int | None = Field(default=None, sa_type=BigInteger)
    issued_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)
    reason: str | None = Field(default=None, max_length=2000)


# -- API shapes -------------------------------------------------------------------------------

ProfileName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Request):
    """Exactly one of: every village of the registry, one division (town), a list of units."""

    all: bool = False
    division: Annotated[str, StringConstraints(max_length=64)] | None = None
    units: list[UnitId] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        chosen = [self.all, self.division is not None, self.units is not None]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of all=true, division or units")
        if self.units is not None and not self.units:
            raise ValueError("units: the list is empty")
        return self


class SoftwareRequest(_Request):
    """The agent's release to roll out: an `agent_wheel` artifact already uploaded, and when
    units may switch to it (never during a case; optionally only outside office hours)."""

    release: Sha256
    policy: UpdatePolicy = UpdatePolicy()


class RolloutCreate(_Request):
    target: Target
    # canary villages, rolled out (and judged) first; or let the hub pick canary_count of
    # them, spread over the divisions
    canary: list[UnitId] = []
    canary_count: Annotated[int, Check(ge=0, le=1000)] = 0
    # split the rest into stages of this many units; None: one stage after the canaries
    stage_size: Annotated[int, Check(ge=1)] | None = None
    # pause when more than this share of a stage's units failed (rejected or timed out)
    failure_threshold: Annotated[float, Check(ge=0, le=1)] = 0.1
    timeout_s: Annotated[float, Check(ge=1, le=7 * 86400)] = 600.0
    profile: ProfileName = "pi4-cm3-80mm"
    thresholds: Thresholds = Thresholds()
    artifacts: list[Sha256] = []  # further artifacts (model bundles) already uploaded
    software: SoftwareRequest | None = None  # the agent's own version (docs/provisioning.md)
    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class RolloutPublic(SQLModel):
    id: int
    kind: str
    state: str
    note: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    failure_threshold: float
    timeout_s: float
    stage: int
    stages: int
    paused_reason: str | None
    parent_id: int | None
    units: int
    catalog_version: int | None
    calendar_version: int | None = None  # None: issued before calendars were configuration
    profile: str | None
    software_version: str | None = None  # the agent release it rolls out, if any
    counts: dict[str, int]
    stage_counts: list[dict[str, int]]


class RolloutUnitPublic(SQLModel):
    unit: str
    stage: int
    state: str
    version: int | None
    issued_at: datetime | None
    finished_at: datetime | None
    reason: str | None
    # what the hub leaves out of this unit's bodies because its agent reads an older config
    # schema (protocol/config_schema.py); None when it reads every field
    schema_note: str | None = None


class UnitConfigPublic(SQLModel):
    unit: str
    desired_version: int
    applied_version: int
    running_version: int | None  # from the unit's latest heartbeat
    report_version: int | None
    report_status: str | None
    report_reason: str | None
    reported_at: datetime | None
    anomaly_version: int | None = None  # a claimed version above anything issued (UnitConfig)
    anomaly_source: str | None = None
    anomaly_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def anomaly(self) -> bool:
        """The unit claimed a version the hub has not issued it (not even since)."""
        return self.anomaly_version is not None and self.anomaly_version > self.desired_version
