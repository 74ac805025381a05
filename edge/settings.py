"""The unit agent's settings: one validated object per process, built at start-up."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from edge.errors import SettingsError
from mqttio import BrokerUrl, ClientTls
from protocol.errors import SignatureError
from protocol.signing import public_key_from_text
from protocol.topics import check_unit_id
from protocol.unit_identity import MAX_BROKERS


class EdgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit_id: str
    broker_url: str = "mqtt://127.0.0.1:1883"
    # The nodes of a clustered broker to fail over between, in the order tried (docs/cluster.md);
    # when given, broker_url must be the first. Empty: broker_url alone.
    broker_urls: tuple[str, ...] = Field(default=(), max_length=MAX_BROKERS)
    # mqtt: Mosquitto or EMQX. nats: a NATS cluster's MQTT gateway, where the link publishes
    # and subscribes at QoS 0 (edge.link.LinkSettings.max_qos says why).
    broker_engine: Literal["mqtt", "nats"] = "mqtt"
    broker_password: SecretStr | None = None
    # The county CA (PEM) to verify the broker (mqtts://) and the hub (https://) with; None:
    # the system's CAs. The client certificate and key, when the broker asks for one.
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    data_dir: Path
    # the identity's generation (provisioning); a rotated password stored by the unit
    # (edge.link.credentials) is kept unless the identity is newer
    identity_generation: int = Field(default=0, ge=0)
    # the remote `reboot` command runs this (e.g. sudo -n systemctl reboot); None: refused
    reboot_command: list[str] | None = None
    # -- read by a simulated kit only (simulators/kit.py) ------------------------------------
    # simulated case transitions per second
    event_rate: float = Field(default=0.05, ge=0)
    # stop simulating once the outbox sequence reaches this (tests, benchmarks)
    max_events: int | None = Field(default=None, ge=0)
    health_interval_s: float = Field(default=30.0, gt=0)
    outbox_limit_mb: int = Field(default=256, ge=1)
    # Retention (edge.retention, docs/security.md): archived signature strokes are deleted
    # this long after the case took them, enrolled face templates this long after
    # enrolment; the purge runs at start and then this often.
    signature_retention_days: float = Field(default=3 * 365.0, gt=0)
    template_retention_days: float = Field(default=365.0, gt=0)
    retention_sweep_s: float = Field(default=86400.0, gt=0)
    # the outbox's ledger of acknowledged event ids is kept this long after the hub's ack
    # (unacknowledged events are never deleted); log files in log_dir this long after their
    # last write (None: the agent logs to the journal only, nothing to sweep)
    outbox_retention_days: float = Field(default=90.0, gt=0)
    log_retention_days: float = Field(default=30.0, gt=0)
    log_dir: Path | None = None
    # fsync every commit (power-cut safe); simulators turn it off to run many units per disk
    durable: bool = True
    # The hub's base URL for artifact downloads (http://HOST:PORT or https://...).
    hub_url: str | None = None
    # The hub's Ed25519 public key pinned at provisioning (base64), or a file holding it.
    # Without one the unit rejects every configuration: it cannot tell the hub's from a fake.
    hub_public_key: str | None = None
    hub_public_key_file: Path | None = None
    # The hub's X25519 public key (base64) offline ID references are sealed to (protocol.idseal)
    hub_seal_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]{43}=$")
    # This unit's API token for the hub (the data registry); issued by `bianmin hub unit-token`.
    hub_token: SecretStr | None = None
    # -- the window (kiosk, workflow, devices) -----------------------------------------------
    # Serve the kiosk page on 127.0.0.1:PORT and run the case workflow; None: no window.
    kiosk_port: int | None = Field(default=None, ge=0, le=65535)
    # the county's key for ID-number HMACs (a file of at least 16 bytes), from provisioning
    id_key_file: Path | None = None
    # the 32-byte AES key of enrolled face templates (raw or 64 hex digits), from provisioning
    template_key_file: Path | None = None
    # the same two keys as hex, when the unit starts from its identity (`edge run --bundle`)
    id_key: SecretStr | None = None
    template_key: SecretStr | None = None
    # the firmware_config profile provisioning named for this unit (its identity); informative
    hardware_profile: str | None = None
    # simulated kit only: the printer (tcp:HOST:PORT; default an in-process virtual printer
    # writing PNGs to DATA_DIR/slips) and the camera (an image file, glob or video)
    printer: str | None = None
    camera: str | None = None
    face: bool = True  # load the face models for the window (off: ID-card path only)
    # simulated kit only: the rating keys answer like a person (a few seconds, varied levels)
    human_rating: bool = False
    window_name: str = "便民服务站"
    window_phone: str | None = None
    window_hours: str | None = "周一至周五 8:30-12:00，13:30-17:00"

    @field_validator("unit_id")
    @classmethod
    def _unit_id(cls, value: str) -> str:
        check_unit_id(value)
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        BrokerUrl.parse(value)
        return value

    @field_validator("broker_urls")
    @classmethod
    def _broker_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            BrokerUrl.parse(url)
        if len(set(value)) != len(value):
            raise ValueError("broker_urls names a broker twice")
        return value

    @model_validator(mode="after")
    def _primary_first(self) -> EdgeSettings:
        if self.broker_urls and self.broker_urls[0] != self.broker_url:
            raise ValueError("broker_url must be the first of broker_urls")
        return self

    @field_validator("hub_url")
    @classmethod
    def _hub_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("hub_url must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("hub_public_key")
    @classmethod
    def _hub_public_key(cls, value: str | None) -> str | None:
        if value is not None:
            public_key_from_text(value)  # SignatureError is a ValueError: pydantic reports it
        return value

    @field_validator("id_key", "template_key")
    @classmethod
    def _hex_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            text = value.get_secret_value()
            if len(text) < 32 or len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
                raise ValueError("a key given inline must be at least 16 bytes as lower-case hex")
        return value

    @field_validator("printer")
    @classmethod
    def _printer(cls, value: str | None) -> str | None:
        if value is not None:
            host, _, port = value.removeprefix("tcp:").rpartition(":")
            if not value.startswith("tcp:") or not host or not port.isdigit():
                raise ValueError("printer must be tcp:HOST:PORT")
        return value

    def secret_file(self, path: Path | None, what: str, min_bytes: int) -> bytes | None:
        """A key from a provisioning file; a file that cannot be used stops the unit."""
        if path is None:
            return None
        try:
            data = path.read_bytes().strip()
        except OSError as exc:
            raise SettingsError(f"{what} {path}: cannot read it: {exc.strerror}") from None
        if len(data) == 2 * min_bytes and all(c in b"0123456789abcdefABCDEF" for c in data):
            data = bytes.fromhex(data.decode())
        if len(data) < min_bytes:
            raise SettingsError(f"{what} {path}: needs at least {min_bytes} bytes")
        return data

    def window_id_key(self) -> bytes | None:
        """The county's ID-reference key: from the identity, else from its file."""
        if self.id_key is not None:
            return bytes.fromhex(self.id_key.get_secret_value())
        return self.secret_file(self.id_key_file, "id_key_file", 16)

    def window_template_key(self) -> bytes | None:
        """This unit's face-template key: from the identity, else from its file."""
        if self.template_key is not None:
            return bytes.fromhex(self.template_key.get_secret_value())
        return self.secret_file(self.template_key_file, "template_key_file", 32)

    def pinned_key(self) -> Ed25519PublicKey | None:
        """The hub key this unit trusts; a file that cannot be read or parsed stops the unit."""
        if self.hub_public_key is not None:
            return public_key_from_text(self.hub_public_key)
        if self.hub_public_key_file is None:
            return None
        try:
            return public_key_from_text(self.hub_public_key_file.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError, SignatureError) as exc:
            raise SettingsError(
                f"hub_public_key_file {self.hub_public_key_file}: cannot use it: {exc}"
            ) from None

    def broker_tls(self) -> ClientTls | None:
        """How the link verifies an mqtts:// broker and proves who it is; None for mqtt://."""
        if not BrokerUrl.parse(self.broker_url).tls:
            return None
        return ClientTls(
            ca_file=str(self.tls_ca_file) if self.tls_ca_file else None,
            cert_file=str(self.tls_cert_file) if self.tls_cert_file else None,
            key_file=str(self.tls_key_file) if self.tls_key_file else None,
        )

    def hub_verify(self) -> ssl.SSLContext | bool:
        """What the unit's HTTP clients verify an https:// hub with: the county CA when the
        identity carries one (the hub's certificate is the county's, no public CA's), else the
        system's CAs."""
        if self.tls_ca_file is None:
            return True
        return ssl.create_default_context(cafile=str(self.tls_ca_file))

    def broker(self) -> BrokerUrl:
        """The (first) broker URL with this unit's own credentials (username = unit id)."""
        return self._with_credentials(self.broker_url)

    def brokers(self) -> list[BrokerUrl]:
        """Every broker to fail over between, in order, each with this unit's credentials."""
        return [self._with_credentials(u) for u in self.broker_urls or (self.broker_url,)]

    def _with_credentials(self, text: str) -> BrokerUrl:
        url = BrokerUrl.parse(text)
        password = self.broker_password.get_secret_value() if self.broker_password else None
        return url.with_credentials(url.username or self.unit_id, password or url.password)

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def config_dir(self) -> Path:
        return self.data_dir / "config"

    @property
    def artifact_dir(self) -> Path:
        return self.data_dir / "artifacts"
