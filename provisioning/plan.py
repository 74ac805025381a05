"""What `provision apply` would change, computed from the registry, the settings, the identity
store and the state file, without touching anything (`provision plan` prints it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from firmware_config.schema import HardwareProfile
from protocol.unit_identity import UnitIdentity
from protocol.villages import Division, Village, VillageRegistry
from provisioning import credentials
from provisioning.settings import ProvisionSettings
from provisioning.state import BackendState
from provisioning.store import CountySecrets, new_key, new_unit_token

IdentityAction = Literal["create", "update", "keep"]


@dataclass(frozen=True)
class Target:
    """One unit as it should be: its village, division, hardware profile and identity."""

    village: Village
    division: Division
    profile: HardwareProfile
    identity: UnitIdentity

    @property
    def unit(self) -> str:
        return self.village.unit_id


@dataclass(frozen=True)
class UnitPlan:
    target: Target
    identity_action: IdentityAction
    fingerprint: str  # of what the backend would deliver (secrets hashed in, never shown)
    deliver: bool

    @property
    def unit(self) -> str:
        return self.target.unit


@dataclass
class Plan:
    backend: str
    units: list[UnitPlan] = field(default_factory=list)
    withdraw: list[str] = field(default_factory=list)  # revoked, still delivered
    orphans: list[str] = field(default_factory=list)  # identities no registry unit has

    @property
    def changes(self) -> int:
        return sum(u.identity_action != "keep" or u.deliver for u in self.units) + len(
            self.withdraw
        )


def desired_identity(
    existing: UnitIdentity | None,
    village: Village,
    profile: str,
    settings: ProvisionSettings,
    county: CountySecrets,
) -> UnitIdentity:
    """The unit's identity under the current settings: the secrets it already has are kept,
    missing ones are made."""
    return UnitIdentity(
        unit_id=village.unit_id,
        window_name=village.name,
        hardware_profile=profile,
        broker_url=settings.broker_url,
        broker_password=(
            existing.broker_password if existing else SecretStr(credentials.new_password())
        ),
        hub_url=settings.hub_url,
        hub_public_key=settings.hub_public_key,
        hub_token=existing.hub_token if existing else new_unit_token(),
        # no reference key for units: the hub computes references, a unit asks for them
        # blinded (docs/security-keys.md); a re-delivery takes an older unit's key away
        id_key=None,
        template_key=existing.template_key if existing else new_key(),
        ca_pem=existing.ca_pem if existing else None,
        generation=existing.generation if existing else 1,
    )


def fingerprint(target: Target, backend_shape: str) -> str:
    """What a delivery writes, hashed: the identity with its secrets, and the backend's own
    rendering of the rest (tags, config variables, bundle layout)."""
    h = hashlib.sha256()
    h.update(target.identity.to_json().encode())
    h.update(backend_shape.encode())
    return h.hexdigest()


def make_plan(
    *,
    registry: VillageRegistry,
    settings: ProvisionSettings,
    profiles: dict[str, HardwareProfile],
    county: CountySecrets,
    stored: dict[str, UnitIdentity],
    revoked: dict[str, str],
    backend: str,
    backend_state: BackendState,
    shape: Callable[[Target], str],
) -> Plan:
    plan = Plan(backend)
    for village in registry.villages:
        if village.unit_id in revoked:
            continue
        existing = stored.get(village.unit_id)
        profile_name = settings.profile_name(village)
        identity = desired_identity(existing, village, profile_name, settings, county)
        action: IdentityAction
        action = "create" if existing is None else "keep" if existing == identity else "update"
        target = Target(
            village, registry.division(village.division), profiles[profile_name], identity
        )
        digest = fingerprint(target, shape(target))
        state = backend_state.units.get(village.unit_id)
        delivered = state is not None and state.delivered == digest
        plan.units.append(UnitPlan(target, action, digest, deliver=not delivered))
    for unit in sorted(revoked):
        state = backend_state.units.get(unit)
        if state is not None and not state.withdrawn and (state.delivered or state.registered):
            plan.withdraw.append(unit)
    in_registry = set(registry.unit_ids())
    plan.orphans = sorted(u for u in stored if u not in in_registry)
    return plan
