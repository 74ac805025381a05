"""What the operator decides once for the county's provisioning (`bianmin provision init`):
where units find the broker and the hub, the hub's signing key they pin, which hardware
profile each unit has, and where identities are delivered (offline bundles or balena).

Kept as ``STATE_DIR/fleet.json`` beside the identity store, so `plan`, `apply`, `status`,
`rotate` and `revoke` all work from the same decisions without repeating them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from firmware_config.loader import builtin_profiles
from firmware_config.schema import HardwareProfile
from mqttio import BrokerUrl
from protocol.signing import public_key_from_text
from protocol.unit_identity import MAX_BROKERS, ProfileName
from protocol.villages import Village, VillageRegistry
from provisioning.files import private_dir, write_atomic
from provisioning.pki import Names

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


DnsName = Annotated[
    str,
    StringConstraints(
        max_length=253,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
    ),
]


class TlsSettings(BaseModel):
    """The county network's TLS (docs/provisioning.md#tls): the names the broker's and the
    hub's certificates carry besides their URLs' hosts, where the broker listens, and whether
    units must also show a client certificate. TLS itself is on when the URLs say so
    (``mqtts://``, ``https://``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_names: tuple[DnsName, ...] = ()
    broker_ips: tuple[IPvAnyAddress, ...] = ()
    hub_names: tuple[DnsName, ...] = ()
    hub_ips: tuple[IPvAnyAddress, ...] = ()
    # the interface the broker's TLS listener binds (its port is the broker URL's)
    broker_listen: IPvAnyAddress = ipaddress.IPv4Address("0.0.0.0")
    # a plain listener on 127.0.0.1 for a hub on the broker's own machine; None: none
    hub_plain_port: int | None = Field(default=None, ge=1, le=65535)
    # units (and the hub, and the broker's admin) show a certificate of the county CA as well
    # as their password
    client_certificates: bool = False


class ProvisionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    # the village registry whose units are provisioned; None: the seed registry
    registry: Path | None = None
    broker_url: Annotated[str, StringConstraints(pattern=r"^mqtts?://[^/\s@]+$")]
    # A clustered broker's nodes (docs/cluster.md), broker_url first. Each unit gets the list
    # rotated to start at a node chosen from its id, so the fleet spreads over the nodes.
    broker_urls: (
        tuple[Annotated[str, StringConstraints(pattern=r"^mqtts?://[^/\s@]+$")], ...] | None
    ) = Field(default=None, min_length=1, max_length=MAX_BROKERS)
    broker_engine: Literal["mqtt", "nats"] = "mqtt"
    hub_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    hub_public_key: str
    # the hub's X25519 key offline ID references are sealed to (`bianmin hub id-key
    # seal-public`), pinned in every identity; None: units cannot identify by number offline
    hub_seal_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")] | None = None
    default_profile: ProfileName = "pi4-cm3-80mm"
    # per unit id or division code: a profile other than the default (unit wins over division)
    profiles: dict[str, ProfileName] = Field(default_factory=dict)
    backend: Backend = "bundle"
    balena: BalenaSettings | None = None
    tls: TlsSettings = Field(default_factory=TlsSettings)

    @model_validator(mode="after")
    def _primary_first(self) -> ProvisionSettings:
        if self.broker_urls is not None and self.broker_urls[0] != self.broker_url:
            raise ValueError("broker_url must be the first of broker_urls")
        return self

    def unit_brokers(self, unit_id: str) -> tuple[str, ...]:
        """The unit's brokers in the order it tries them: the cluster's nodes rotated by a
        stable hash of its id (the same on every run), or broker_url alone."""
        nodes = self.broker_urls or (self.broker_url,)
        first = int.from_bytes(hashlib.sha256(unit_id.encode()).digest()[:4], "big") % len(nodes)
        return nodes[first:] + nodes[:first]

    @field_validator("hub_public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        public_key_from_text(value)
        return value.strip()

    @model_validator(mode="after")
    def _tls(self) -> ProvisionSettings:
        if not self.broker_tls and (self.tls.client_certificates or self.tls.hub_plain_port):
            raise ValueError(
                "client certificates and a plain hub listener need an mqtts:// broker URL"
            )
        return self

    @property
    def broker_tls(self) -> bool:
        return self.broker_url.startswith("mqtts://")

    @property
    def hub_tls(self) -> bool:
        return self.hub_url is not None and self.hub_url.startswith("https://")

    @property
    def uses_ca(self) -> bool:
        """Anything to verify against the county CA: units then carry it in their identity."""
        return self.broker_tls or self.hub_tls

    def broker_names(self) -> Names:
        """What the broker's certificate names: the broker URL's host, then the others."""
        host = BrokerUrl.parse(self.broker_url).host
        return Names.of([host, *self.tls.broker_names, *(str(i) for i in self.tls.broker_ips)])

    def broker_port(self) -> int:
        return BrokerUrl.parse(self.broker_url).port

    def hub_names(self) -> Names:
        host = urlsplit(self.hub_url).hostname if self.hub_url else None
        hosts = [host] if host else []
        return Names.of([*hosts, *self.tls.hub_names, *(str(i) for i in self.tls.hub_ips)])

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
