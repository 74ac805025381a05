"""What `provision apply` would change, computed from the registry, the settings, the identity
store and the state file, without touching anything (`provision plan` prints it)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import SecretStr

from firmware_config.schema import HardwareProfile
from protocol.unit_identity import UnitIdentity
from protocol.villages import Division, Village, VillageRegistry
from provisioning import credentials
from provisioning.pki import CountyCA, renewal_reason
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
    # the broker's and hub's certificates apply would issue, each with its reason
    certificates: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        units = sum(u.identity_action != "keep" or u.deliver for u in self.units)
        return units + len(self.withdraw) + len(self.certificates)


def desired_identity(
    existing: UnitIdentity | None,
    village: Village,
    profile: str,
    settings: ProvisionSettings,
    county: CountySecrets,
    tls: UnitTls | None = None,
) -> UnitIdentity:
    """The unit's identity under the current settings: the secrets it already has are kept,
    missing ones are made."""
    brokers = settings.unit_brokers(village.unit_id)
    tls = tls or UnitTls()
    return UnitIdentity(
        unit_id=village.unit_id,
        window_name=village.name,
        hardware_profile=profile,
        broker_url=brokers[0],
        broker_urls=brokers if settings.broker_urls else None,
        broker_engine=settings.broker_engine,
        broker_password=(
            existing.broker_password if existing else SecretStr(credentials.new_password())
        ),
        hub_url=settings.hub_url,
        hub_public_key=settings.hub_public_key,
        hub_seal_key=settings.hub_seal_key,
        hub_token=existing.hub_token if existing else new_unit_token(),
        # no reference key for units: the hub computes references, a unit asks for them
        # blinded (docs/security-keys.md); a re-delivery takes an older unit's key away
        id_key=None,
        template_key=existing.template_key if existing else new_key(),
        ca_pem=tls.ca_pem,
        client_cert_pem=tls.cert_pem,
        client_key_pem=tls.key_pem,
        generation=existing.generation if existing else 1,
    )


@dataclass(frozen=True)
class UnitTls:
    """What a unit's identity carries for TLS: the CA, and its client certificate."""

    ca_pem: str | None = None
    cert_pem: str | None = None
    key_pem: SecretStr | None = None


def unit_tls(
    existing: UnitIdentity | None,
    unit: str,
    settings: ProvisionSettings,
    ca: CountyCA | None,
    now: datetime | None = None,
) -> UnitTls:
    """The CA when anything speaks TLS; a client certificate when the broker asks for one: the
    unit's own while it is the CA's, for the unit, and not close to expiry, else a new one."""
    if ca is None or not settings.uses_ca:
        return UnitTls()
    if not (settings.broker_tls and settings.tls.client_certificates):
        return UnitTls(ca.pem)
    if (
        existing is not None
        and existing.client_key_pem is not None
        and renewal_reason(ca, existing.client_cert_pem, cn=unit, now=now) is None
    ):
        return UnitTls(ca.pem, existing.client_cert_pem, existing.client_key_pem)
    cert, key = ca.issue_client(unit, now)
    return UnitTls(ca.pem, cert, SecretStr(key))


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
    ca: CountyCA | None = None,
    certificates: dict[str, str] | None = None,
) -> Plan:
    plan = Plan(backend, certificates=dict(certificates or {}))
    for village in registry.villages:
        if village.unit_id in revoked:
            continue
        existing = stored.get(village.unit_id)
        profile_name = settings.profile_name(village)
        tls = unit_tls(existing, village.unit_id, settings, ca)
        identity = desired_identity(existing, village, profile_name, settings, county, tls)
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
