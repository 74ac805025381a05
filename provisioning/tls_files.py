"""The county CA and the certificates `provision apply` keeps in the operator's state
directory, issued again when missing, for other names, by another CA, or close to expiry:

```text
STATE_DIR/secrets/county-ca.key   0600  the CA's key: only ever on the operator's machine
STATE_DIR/county-ca.pem                 the CA's certificate (units get it in their identity)
STATE_DIR/broker/                       for `bianmin broker --data-dir STATE_DIR/broker`
  listeners.json, ca.pem, server.pem, server.key, [admin.pem, admin.key]     all 0600
STATE_DIR/hub-tls/                      for `bianmin hub serve` (copy it to the hub's machine)
  ca.pem, [server.pem, server.key], [client.pem, client.key]                  all 0600
```

The broker's files are readable by the user running the broker only (Mosquitto runs as the
user that started it: provisioning.mosquitto). Client certificates of units live in their
identities (provisioning.plan), not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from protocol.topics import HUB_USER
from provisioning import listeners
from provisioning.dynsec import ADMIN_USER
from provisioning.files import private_dir, write_atomic, write_private
from provisioning.pki import (
    CountyCA,
    Names,
    PkiError,
    key_pem,
    load_cert,
    load_key,
    renewal_reason,
)
from provisioning.settings import ProvisionSettings

CA_CERT = "county-ca.pem"
CA_KEY = "county-ca.key"
HUB_DIR = "hub-tls"
HUB_CLIENT_CERT = "client.pem"
HUB_CLIENT_KEY = "client.key"


@dataclass(frozen=True)
class Issued:
    """One certificate and key kept as files: what it must name (server) or be (client)."""

    label: str  # for the operator: "broker server", "hub client", ...
    cert: Path
    key: Path
    names: Names | None = None
    cn: str | None = None


class TlsFiles:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.ca_cert = state_dir / CA_CERT
        self.ca_key = state_dir / "secrets" / CA_KEY
        self.broker_dir = state_dir / "broker"
        self.hub_dir = state_dir / HUB_DIR

    # -- the CA ---------------------------------------------------------------------------
    def has_ca(self) -> bool:
        return self.ca_key.exists()

    def load_ca(self) -> CountyCA | None:
        if not self.ca_key.exists():
            return None
        try:
            return CountyCA(
                load_cert(self.ca_cert.read_bytes()), load_key(self.ca_key.read_bytes())
            )
        except (OSError, PkiError, ValueError) as exc:
            raise PkiError(f"the county CA in {self.state_dir} cannot be read ({exc}); "
                           "restore it from the backup") from None  # fmt: skip

    def ca(self, *, create: bool = True) -> CountyCA:
        """The county's CA, made once: a second one would make every unit's pinned CA wrong."""
        found = self.load_ca()
        if found is not None:
            return found
        if not create:
            raise PkiError(f"no county CA in {self.state_dir} yet: run `provision apply`")
        made = CountyCA.create()
        private_dir(self.state_dir)
        private_dir(self.ca_key.parent)
        # the key first: a CA certificate without its key could never issue anything
        write_private(self.ca_key, key_pem(made.key))
        write_atomic(self.ca_cert, made.pem)
        return made

    # -- what the settings need -----------------------------------------------------------
    def wanted(self, settings: ProvisionSettings) -> list[Issued]:
        found = []
        b, h = self.broker_dir, self.hub_dir
        clients = settings.broker_tls and settings.tls.client_certificates
        if settings.broker_tls:
            found.append(
                Issued("broker server", b / listeners.CERT_FILE, b / listeners.KEY_FILE,
                       names=settings.broker_names())
            )  # fmt: skip
        if clients:
            found.append(
                Issued("broker admin client", b / listeners.ADMIN_CERT_FILE,
                       b / listeners.ADMIN_KEY_FILE, cn=ADMIN_USER)
            )  # fmt: skip
            found.append(Issued("hub client", h / HUB_CLIENT_CERT, h / HUB_CLIENT_KEY, cn=HUB_USER))
        if settings.hub_tls:
            found.append(
                Issued("hub server", h / listeners.CERT_FILE, h / listeners.KEY_FILE,
                       names=settings.hub_names())
            )  # fmt: skip
        return found

    def pending(
        self, settings: ProvisionSettings, ca: CountyCA, now: datetime | None = None
    ) -> dict[str, str]:
        """The certificates apply would issue, each with the reason (nothing is written)."""
        due = {}
        for item in self.wanted(settings):
            reason = _reason(ca, item, now)
            if reason is not None:
                due[item.label] = reason
        for path in self._ca_copies(settings):
            if not path.exists() or path.read_text(encoding="ascii") != ca.pem:
                due.setdefault("county CA copy", str(path.parent.name))
        if self._listeners_text(settings) != _read(self.broker_dir / listeners.FILE_NAME):
            due["broker listeners"] = "changed"
        return due

    def write(
        self, settings: ProvisionSettings, ca: CountyCA, now: datetime | None = None
    ) -> dict[str, str]:
        """Issue what is pending and write the broker's listeners; returns what was done."""
        done = self.pending(settings, ca, now)
        for item in self.wanted(settings):
            if item.label not in done:
                continue
            private_dir(item.cert.parent)
            if item.names is not None:
                cert, key = ca.issue_server(item.names, now)
            else:
                assert item.cn is not None
                cert, key = ca.issue_client(item.cn, now)
            # key then certificate; a run stopped between the two leaves a pair that does not
            # match, which the next run's check finds (_reason) and issues again
            write_private(item.key, key)
            write_private(item.cert, cert)
        for path in self._ca_copies(settings):
            private_dir(path.parent)
            write_private(path, ca.pem)
        spec = self._listeners_text(settings)
        path = self.broker_dir / listeners.FILE_NAME
        if spec is None:
            path.unlink(missing_ok=True)
        elif spec != _read(path):
            private_dir(self.broker_dir)
            write_private(path, spec)
        return done

    def _ca_copies(self, settings: ProvisionSettings) -> list[Path]:
        copies = []
        if settings.broker_tls:
            copies.append(self.broker_dir / listeners.CA_FILE)
        if settings.uses_ca:
            copies.append(self.hub_dir / listeners.CA_FILE)  # the hub verifies the broker
        return copies

    @staticmethod
    def _listeners_text(settings: ProvisionSettings) -> str | None:
        if not settings.broker_tls:
            return None
        return listeners.BrokerListeners(
            tls=listeners.TlsListenerSpec(
                host=str(settings.tls.broker_listen),
                port=settings.broker_port(),
                require_certificate=settings.tls.client_certificates,
            ),
            plain_port=settings.tls.hub_plain_port,
        ).to_json()


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _reason(ca: CountyCA, item: Issued, now: datetime | None) -> str | None:
    pem = _read(item.cert)
    reason = renewal_reason(ca, pem, names=item.names, cn=item.cn, now=now)
    if reason is not None or pem is None:
        return reason
    key_text = _read(item.key)
    if key_text is None:
        return "key missing"
    try:
        key = load_key(key_text)
    except (PkiError, ValueError):
        return "key unreadable"
    if _public(key.public_key()) != _public(load_cert(pem).public_key()):
        return "key does not match"
    return None


def _public(key: object) -> bytes:
    assert hasattr(key, "public_bytes")
    raw: bytes = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return raw
