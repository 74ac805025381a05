"""What the operator decides once for the county's provisioning (`bianmin provision init`):
where units find the broker and the hub, the hub's signing key they pin, which hardware
profile each unit has, and where identities are delivered (offline bundles or balena).

Kept as ``STATE_DIR/fleet.json`` beside the identity store, so `plan`, `apply`, `status`,
`rotate` and `revoke` all work from the same decisions without repeating them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from firmware_config.loader import builtin_profiles
from firmware_config.schema import HardwareProfile
from protocol.signing import public_key_from_text
from protocol.unit_identity import ProfileName
from protocol.villages import Village, VillageRegistry
from provisioning.files import private_dir, write_atomic

FILE_NAME = "fleet.json"
Backend = Literal["bundle", "balena"]


class ProvisionSettingsError(ValueError):
    """fleet.json is missing or wrong; the message says what to run or fix."""

    code = "invalid_settings"


class BalenaSettings(BaseModel):
    """The balena fleet units are pre-registered in. The API key comes from BALENA_API_KEY."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    organization: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,100}$")]
    fleet: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,100}$")]
    # None: the SDK's own API (balenaCloud). Set for openBalena or the tests' fake API.
    api_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+/$")] | None = None
    # The balena release (id) devices are pinned to, by unit id, division code or "*" (every
    # unit): the agent's software on balena units. Canaries first: pin them to the new release
    # by unit id, apply, watch, then move "*" (docs/provisioning.md#software-updates).
    releases: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    def release_for(self, unit: str, division: str) -> int | None:
        return self.releases.get(unit, self.releases.get(division, self.releases.get("*")))


class ProvisionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    # the village registry whose units are provisioned; None: the seed registry
    registry: Path | None = None
    broker_url: Annotated[str, StringConstraints(pattern=r"^mqtts?://[^/\s@]+$")]
    hub_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    hub_public_key: str
    default_profile: ProfileName = "pi4-cm3-80mm"
    # per unit id or division code: a profile other than the default (unit wins over division)
    profiles: dict[str, ProfileName] = Field(default_factory=dict)
    backend: Backend = "bundle"
    balena: BalenaSettings | None = None

    @field_validator("hub_public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        public_key_from_text(value)
        return value.strip()

    def profile_name(self, village: Village) -> str:
        return self.profiles.get(
            village.unit_id, self.profiles.get(village.division, self.default_profile)
        )

    def check_against(self, registry: VillageRegistry) -> dict[str, HardwareProfile]:
        """Every profile named exists and every key of ``profiles`` is a unit or a division;
        returns the built-in profiles by name."""
        known = builtin_profiles()
        names = {self.default_profile, *self.profiles.values()}
        for name in sorted(names - known.keys()):
            raise ProvisionSettingsError(
                f"hardware profile {name!r} is not one of {', '.join(sorted(known))}"
            )
        targets = set(registry.unit_ids()) | {d.code for d in registry.divisions}
        for key in sorted(self.profiles.keys() - targets):
            raise ProvisionSettingsError(f"profiles: {key!r} is neither a unit nor a division")
        releases = self.balena.releases if self.balena is not None else {}
        for key in sorted(releases.keys() - targets - {"*"}):
            raise ProvisionSettingsError(
                f"balena releases: {key!r} is neither a unit, a division nor *"
            )
        if self.backend == "balena" and self.balena is None:
            raise ProvisionSettingsError(
                "backend balena needs the balena section (init --balena-*)"
            )
        return known


def load_settings(state_dir: Path) -> ProvisionSettings:
    path = state_dir / FILE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProvisionSettingsError(
            f"{path} does not exist: run `bianmin provision init --state-dir {state_dir} ...` first"
        ) from None
    try:
        return ProvisionSettings.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ProvisionSettingsError(f"{path}: {where}: {msg}") from None


def save_settings(state_dir: Path, settings: ProvisionSettings) -> Path:
    path = private_dir(state_dir) / FILE_NAME
    data = settings.model_dump(mode="json", exclude_none=True)
    write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path
