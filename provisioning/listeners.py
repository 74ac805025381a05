"""Where the county's broker listens, as `provision apply` decided it (``listeners.json`` in
the broker's data directory) and `bianmin broker --data-dir DIR` reads it: a TLS listener on
the county network, and a plain one on 127.0.0.1 only when the operator asked for it (a hub on
the broker's machine). The certificate files sit beside it under fixed names."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from provisioning.errors import BrokerError

FILE_NAME = "listeners.json"
CA_FILE = "ca.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server.key"
# the broker's own admin connection (dynamic-security commands) when client certificates are
# required on the only listener it can reach
ADMIN_CERT_FILE = "admin.pem"
ADMIN_KEY_FILE = "admin.key"


class TlsListenerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int = Field(ge=1, le=65535)
    require_certificate: bool = False


class BrokerListeners(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = 1
    tls: TlsListenerSpec
    # a plain listener on 127.0.0.1 (a hub on this machine); None: TLS only
    plain_port: int | None = Field(default=None, ge=1, le=65535)

    def to_json(self) -> str:
        return self.model_dump_json(indent=1) + "\n"


def load(data_dir: Path) -> BrokerListeners | None:
    """The data directory's listeners, or None when it has none (a plain loopback broker)."""
    path = data_dir / FILE_NAME
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return BrokerListeners.model_validate_json(text)
    except ValidationError as exc:
        raise BrokerError(
            f"{path}: {exc.errors()[0]['msg']}; run `provision apply` again"
        ) from None
