"""What `provision apply` has done, per backend and unit: ``STATE_DIR/state.json``.

Saved (whole, by rename) after every step that changed something outside this machine, so an
interrupted run resumes where it stopped: a balena device's UUID is recorded *before* it is
registered, so a run killed between the registration and the save finds the device by that
UUID instead of registering a second one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provisioning.files import write_private

FILE_NAME = "state.json"


class StateError(RuntimeError):
    code = "provision_state"


class UnitState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the fingerprint of what was delivered last (provisioning.plan); None: not delivered
    delivered: str | None = None
    withdrawn: bool = False
    # balena only
    uuid: str | None = None
    registered: bool = False
    # the device variables this tool set, by kind ("env", "config"): the ones a later delivery
    # no longer sets are removed; variables set by hand in the dashboard are left alone
    managed: dict[str, list[str]] = Field(default_factory=dict)


class BackendState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fleet_id: int | None = None
    units: dict[str, UnitState] = Field(default_factory=dict)

    def unit(self, unit: str) -> UnitState:
        return self.units.setdefault(unit, UnitState())


class ApplyState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    backends: dict[str, BackendState] = Field(default_factory=dict)

    def backend(self, name: str) -> BackendState:
        return self.backends.setdefault(name, BackendState())


class StateFile:
    """The state and where it lives; ``save()`` after each step."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / FILE_NAME
        self.state = self._load()

    def _load(self) -> ApplyState:
        try:
            return ApplyState.model_validate_json(self.path.read_bytes())
        except FileNotFoundError:
            return ApplyState()
        except ValidationError:
            raise StateError(
                f"{self.path} is damaged (it is only ever replaced whole, so something else "
                "wrote it); move it away and run `bianmin provision apply` again"
            ) from None

    def save(self) -> None:
        # 0600: it names the balena UUIDs of the units, which a device key is bound to
        write_private(self.path, self.state.model_dump_json(indent=1) + "\n")
