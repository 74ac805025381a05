"""The hub's settings: one validated object per process (environment prefix BIANMIN_HUB_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mqttio import BrokerUrl, ClientTls
from protocol.config import MAX_ARTIFACT_BYTES
from protocol.topics import HUB_USER


class HubSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIANMIN_HUB_", extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/hub/hub.sqlite3"
    # None: run the web app without ingest (e.g. a read-only dashboard replica)
    broker_url: str | None = "mqtt://127.0.0.1:1883"
    # The nodes of a clustered broker, tried in this order (docs/cluster.md); when given,
    # broker_url must be the first. Empty: broker_url alone.
    broker_urls: tuple[str, ...] = Field(default=(), max_length=16)
    broker_password: SecretStr | None = None
    # How hub processes share the units' upstream traffic. mqtt: a $share/hub/... subscription
    # (Mosquitto, EMQX; the county default). nats: a NATS server's MQTT gateway ignores $share,
    # so ingest joins the native queue group "hub" at nats_urls (hub/ingest/natsqueue.py) and
    # keeps its MQTT connection for what it publishes (acks, retained configs, commands).
    broker_engine: Literal["mqtt", "nats"] = "mqtt"
    nats_urls: tuple[str, ...] = Field(default=(), max_length=16)
    # An mqtts:// broker is verified against this CA (the county's: provisioning's
    # hub-tls/ca.pem); None: the system's. The client certificate and key, when the broker
    # asks for one.
    tls_ca_file: Path | None = None
    broker_tls_cert_file: Path | None = None
    broker_tls_key_file: Path | None = None
    # $share/hub/...: several hub processes split the units' traffic (Mosquitto, EMQX)
    shared_subscription: bool = True
    ingest_batch_messages: int = Field(default=5000, ge=1)
    # what reads the units' messages on Mosquitto or EMQX: the lean MQTT 5 receiver, which
    # acknowledges to the broker only after the commit (mqttio/lean.py), or paho's client
    ingest_receiver: Literal["lean", "paho"] = "lean"
    # received bytes waiting for the database; past `high` the consumer stops reading
    ingest_queue_high_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    ingest_queue_low_bytes: int = Field(default=4 * 1024 * 1024, ge=0)
    # a unit is shown stale when no heartbeat arrived for this long
    stale_after_s: float = Field(default=120.0, gt=0)
    # A unit's clock further than this from the hub's is flagged as drift (its times are kept):
    # far above network and queueing delays, far below what moves a case to another day.
    clock_drift_threshold_s: float = Field(default=300.0, gt=0)
    instance: str = "hub-1"
    # local: one machine, demo and tests; the signing key is created on first start and
    # anonymous requests may read (viewer). production: the key must exist already and every
    # API request carries a token.
    environment: Literal["local", "production"] = "local"
    # The host names the hub answers to (its Host header; a port is ignored). A request for
    # any other name is refused: a web page re-pointing its own name at the hub (DNS
    # rebinding) cannot then talk to it. None: localhost, 127.0.0.1 and ::1 in local mode;
    # a production hub refuses to start (hub.app.refuse_any_host): list the county's names
    # ("*.county.local" admits a domain's names; "*" any, unsafe, logged at start).
    allowed_hosts: tuple[str, ...] | None = None
    # the signing key (unless signing_key_file says otherwise) and the artifact cache
    data_dir: Path = Path("var/hub")
    signing_key_file: Path | None = None
    # the county's ID reference key (64 hex digits; docs/security-keys.md): the hub's alone.
    # Default: hub_id_key.hex in the data directory, created on first use in local mode only.
    id_key_file: Path | None = None
    catalog_file: Path | None = None  # None: the seed catalog
    villages_file: Path | None = None  # None: the seed village registry
    # issue stages, time units out, republish lost configs; only `hub serve` drives
    drive_rollouts: bool = True
    rollout_tick_s: float = Field(default=1.0, gt=0)
    # a desired config not yet applied is published again after this long (lost retained
    # messages after a broker crash, a report lost with a killed hub)
    republish_after_s: float = Field(default=120.0, gt=0)
    # Case notices (hub.notices): the sender's tick, and how long an unanswered notice waits
    # before it is published again (doubling per attempt up to the maximum). A unit coming
    # online gets everything it is owed at once, whatever the wait.
    notice_tick_s: float = Field(default=5.0, gt=0)
    notice_republish_s: float = Field(default=30.0, gt=0)
    notice_republish_max_s: float = Field(default=900.0, gt=0)

    # An operator's artifact upload (a face model bundle is about 30 MB). It is spooled to
    # disk as it arrives, but storing it in the database and serving it from a cold cache
    # each hold it whole in memory once, so keep this well under the protocol's limit.
    artifact_upload_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1, le=MAX_ARTIFACT_BYTES)

    # Dead letters keep a bounded record of each refused message (hub.ingest.deadletter): kept
    # this long, within this total (a row's worst case counted, hub.fleet.retention), swept
    # this often by every ingesting process, and sooner during a flood.
    dead_letter_retention_days: float = Field(default=30.0, gt=0)
    dead_letter_quota_bytes: int = Field(default=64 * 1024 * 1024, ge=64 * 1024)
    dead_letter_sweep_s: float = Field(default=60.0, gt=0)
    # Operator commands answered or expired (hub.commands) are deleted this many days after
    # their answer or expiry, by the same sweep; the audit log keeps who issued what.
    command_retention_days: float = Field(default=180.0, gt=0)

    # Cases after the window (docs/cases.md). 容缺: a case past its supply date is lapsed;
    # this many working days later (unless its matter says otherwise) it is withdrawn and the
    # applicant proposed for the integrity blacklist. A bad rating's follow-up is due this
    # many working days after the rating. The hub's timers look every case_timer_tick_s.
    deficiency_grace_days: int = Field(default=5, ge=0, le=60)
    followup_days: int = Field(default=5, ge=1, le=60)
    case_timer_tick_s: float = Field(default=60.0, gt=0)
    # Blacklist changes within this many seconds of the first go out in one blacklist-only
    # rollout (queued while another rollout is active).
    blacklist_coalesce_s: float = Field(default=30.0, ge=0)
    # A unit may look up owed 容缺 materials this often per hour (so it cannot enumerate
    # applicants); a client address may open case status pages this often per minute and
    # leave feedback there this often per hour.
    unit_lookups_per_hour: int = Field(default=120, ge=1)
    status_page_per_minute: int = Field(default=30, ge=1)
    status_feedback_per_hour: int = Field(default=10, ge=1)
    # The data registry (信息一库): a unit may ask this often per hour, and this often about
    # one case (a window asks once per matter chosen; a retry or two on top), so a stolen
    # token cannot walk through the county's applicants (hub.window.registry_rules).
    registry_queries_per_hour: int = Field(default=60, ge=1)
    registry_queries_per_case: int = Field(default=6, ge=1)
    # A unit may have this many ID numbers turned into references per hour (a window sees a
    # few dozen applicants a day): a stolen token cannot test the county's numbers through it.
    id_references_per_hour: int = Field(default=240, ge=1)
    # References made later for cases identified while the hub was away (protocol.idseal): a
    # day's backlog of a village window is a few dozen; each case is answered once.
    id_late_references_per_hour: int = Field(default=120, ge=1)

    # Alerts (hub.alerts): checked this often by `hub serve`; a unit silent this long is
    # offline; an unacknowledged alert is sent again after each delay, the last repeating;
    # sent to this webhook (the county's SMS or messaging gateway) besides the log.
    alert_tick_s: float = Field(default=15.0, gt=0)
    alert_offline_after_s: float = Field(default=600.0, gt=0)
    alert_escalation_s: tuple[float, ...] = Field(default=(900.0, 3600.0, 14400.0), min_length=1)
    alert_webhook_url: str | None = Field(default=None, pattern=r"^https?://")

    # People signing in (hub.accounts): a session ends after this long without a request, and
    # in any case this long after sign-in. The cookie is marked Secure when the hub is served
    # over https (directly or behind a proxy), which production deployments must do.
    session_idle_s: float = Field(default=2 * 3600.0, gt=0)
    session_lifetime_s: float = Field(default=12 * 3600.0, gt=0)
    cookie_secure: bool = False
    # Sign-in lock-out: after this many failures in a row an account name (or, at the larger
    # figure, a client address) is locked for login_lockout_s, doubling with each further
    # lock up to login_lockout_max_s.
    login_failures_per_account: int = Field(default=5, ge=1, le=100)
    login_failures_per_address: int = Field(default=20, ge=1, le=1000)
    login_lockout_s: float = Field(default=900.0, gt=0)
    login_lockout_max_s: float = Field(default=86400.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError(
                "database_url must be sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if value is not None:
            BrokerUrl.parse(value)
        return value

    @field_validator("broker_urls")
    @classmethod
    def _broker_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            BrokerUrl.parse(url)
        return value

    @field_validator("nats_urls")
    @classmethod
    def _nats_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith(("nats://", "tls://")) or "@" in url:
                raise ValueError("nats_urls are nats://HOST:PORT or tls://HOST:PORT (no user)")
        return value

    @model_validator(mode="after")
    def _engine(self) -> HubSettings:
        if self.broker_urls and self.broker_urls[0] != self.broker_url:
            raise ValueError("broker_url must be the first of broker_urls")
        if self.broker_engine == "nats" and self.broker_url is not None and not self.nats_urls:
            raise ValueError("broker_engine nats needs nats_urls (the nodes' native ports)")
        return self

    @property
    def local(self) -> bool:
        return self.environment == "local"

    @property
    def trusted_hosts(self) -> tuple[str, ...]:
        """The host names requests may name (allowed_hosts, else local mode's loopback names;
        none in production, which does not start without them)."""
        if self.allowed_hosts is not None:
            return self.allowed_hosts
        return ("localhost", "127.0.0.1", "::1") if self.local else ()

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "hub_signing_key.pem"

    @property
    def id_key_path(self) -> Path:
        return self.id_key_file or self.data_dir / "hub_id_key.hex"

    @property
    def id_seal_key_path(self) -> Path:
        """The hub's X25519 key units seal offline references to: beside the reference key."""
        return self.id_key_path.with_name("hub_id_seal_key.hex")

    @property
    def artifact_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def upload_dir(self) -> Path:
        """Where uploads are spooled while they arrive (on disk: /tmp may be memory)."""
        return self.data_dir / "uploads"

    def broker_tls(self) -> ClientTls | None:
        if self.broker_url is None or not BrokerUrl.parse(self.broker_url).tls:
            return None
        return ClientTls(
            ca_file=str(self.tls_ca_file) if self.tls_ca_file else None,
            cert_file=str(self.broker_tls_cert_file) if self.broker_tls_cert_file else None,
            key_file=str(self.broker_tls_key_file) if self.broker_tls_key_file else None,
        )

    def broker(self) -> BrokerUrl | None:
        """The (first) broker with the hub's credentials; None: no ingest."""
        brokers = self.brokers()
        return brokers[0] if brokers else None

    def brokers(self) -> list[BrokerUrl]:
        """Every broker node to fail over between, in order, with the hub's credentials."""
        if self.broker_url is None:
            return []
        password = self.broker_password.get_secret_value() if self.broker_password else None
        out = []
        for text in self.broker_urls or (self.broker_url,):
            url = BrokerUrl.parse(text)
            out.append(url.with_credentials(url.username or HUB_USER, password or url.password))
        return out
