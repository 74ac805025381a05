"""A unit's identity in one place: everything provisioning hands a unit so that it can start.

Provisioning writes it (an offline bundle's ``identity.json``, or one balena device variable),
the unit reads it (``bianmin edge run --bundle DIR``). Pure: the model and its file format; the
file's mode and location are the writer's and the reader's business.

Secrets (the broker password, the unit's API token, the ID-reference and template keys) are
``SecretStr``: they print as ``**********`` in reprs, logs and errors, and only ``to_json``
writes them out.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from protocol.signing import public_key_from_text
from protocol.topics import UNIT_ID_PATTERN

FILE_NAME = "identity.json"
KEY_BYTES = 32
# a clustered broker's nodes a unit fails over between (docs/cluster.md)
MAX_BROKERS = 8
BrokerUrlText = Annotated[str, StringConstraints(pattern=r"^mqtts?://[^/\s]+$", max_length=200)]
_HEX_KEY = re.compile(rf"^[0-9a-f]{{{2 * KEY_BYTES}}}$")

ProfileName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class InvalidIdentity(ValueError):
    """An identity file that is not JSON or breaks the schema; the message says where."""

    code = "invalid_identity"


def _check_hex_key(value: SecretStr, what: str) -> SecretStr:
    if not _HEX_KEY.match(value.get_secret_value()):
        raise ValueError(
            f"{what} must be {KEY_BYTES} bytes as {2 * KEY_BYTES} lower-case hex digits"
        )
    return value


class UnitIdentity(BaseModel):
    """One unit's identity, version 1 of the file format (docs/provisioning.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    unit_id: Annotated[str, StringConstraints(pattern=rf"^{UNIT_ID_PATTERN}$")]
    # the village's own name, shown on the kiosk and printed on slips
    window_name: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    # a firmware_config profile name: which camera, pad, rating keys, printer and config.txt
    hardware_profile: ProfileName
    broker_url: BrokerUrlText
    # A clustered broker's nodes, in the order the unit tries them; broker_url is the first.
    # Absent (an identity from before clusters): broker_url alone.
    broker_urls: tuple[BrokerUrlText, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_BROKERS
    )
    # mqtt: Mosquitto or EMQX; nats: a NATS cluster's MQTT gateway (the unit then uses QoS 0)
    broker_engine: Literal["mqtt", "nats"] = "mqtt"
    broker_password: SecretStr
    hub_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=200)] | None
    # the hub's Ed25519 config-signing key (base64 of the raw 32 bytes), pinned here
    hub_public_key: str
    # the hub's X25519 key (base64 of the raw 32 bytes) a typed ID number is sealed to while the
    # hub is away (protocol.idseal); pinned here like the signing key. Absent: no offline path
    hub_seal_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$")] | None = None
    # the unit's API token for the hub's unit routes (the hub keeps only its hash)
    hub_token: SecretStr
    # the county's key for ID-number references: None for units provisioned since issue 17,
    # which ask the hub for references blinded (protocol.idref) and so hold nothing that turns
    # a number into a reference; an older identity may still carry one. And this unit's key
    # for enrolled face templates.
    id_key: SecretStr | None = None
    template_key: SecretStr
    # The county CA (PEM) the unit verifies the broker (mqtts://) and the hub (https://)
    # with. None when neither speaks TLS.
    ca_pem: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    # The unit's client certificate (CN = unit id) and its key, issued by the county CA when
    # the broker asks units for one (besides their password).
    client_cert_pem: Annotated[str, StringConstraints(max_length=20_000)] | None = None
    client_key_pem: SecretStr | None = None
    # bumped by `bianmin provision rotate`: which issue of the credentials this is
    generation: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _primary_first(self) -> UnitIdentity:
        if self.broker_urls is not None and self.broker_urls[0] != self.broker_url:
            raise ValueError("broker_url must be the first of broker_urls")
        return self

    @field_validator("hub_public_key")
    @classmethod
    def _hub_public_key(cls, value: str) -> str:
        public_key_from_text(value)  # SignatureError is a ValueError: pydantic reports it
        return value

    @field_validator("id_key")
    @classmethod
    def _id_key(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else _check_hex_key(value, "id_key")

    @field_validator("template_key")
    @classmethod
    def _template_key(cls, value: SecretStr) -> SecretStr:
        return _check_hex_key(value, "template_key")

    @model_validator(mode="after")
    def _client_pair(self) -> UnitIdentity:
        if (self.client_cert_pem is None) != (self.client_key_pem is None):
            raise ValueError("client_cert_pem and client_key_pem come together")
        if self.client_cert_pem is not None and self.ca_pem is None:
            raise ValueError("a client certificate needs the CA (ca_pem) that issued it")
        return self

    def to_json(self) -> str:
        """The file's text, secrets included: write it only to a file only its owner reads."""
        # without a cluster the file stays as before clusters, so older units still read it
        clusterless = {"broker_urls"} if not self.broker_urls else set()
        if self.broker_engine == "mqtt":
            clusterless.add("broker_engine")
        data = self.model_dump(mode="python", exclude=clusterless)
        for name, value in data.items():
            if isinstance(value, SecretStr):
                data[name] = value.get_secret_value()
        return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def parse(cls, text: str | bytes, source: str = "<identity>") -> UnitIdentity:
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(file)"
            msg = str(first["msg"]).removeprefix("Value error, ")
            raise InvalidIdentity(f"{source}: {where}: {msg}") from None
