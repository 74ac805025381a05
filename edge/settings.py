"""The unit agent's settings: one validated object per process, built at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from mqttio import BrokerUrl
from protocol.topics import check_unit_id


class EdgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    unit_id: str
    broker_url: str = "mqtt://127.0.0.1:1883"
    broker_password: SecretStr | None = None
    tls_ca_file: Path | None = None
    data_dir: Path
    simulated_devices: bool = False
    # simulated case transitions per second (only with simulated devices)
    event_rate: float = Field(default=0.05, ge=0)
    # stop simulating once the outbox sequence reaches this (tests, benchmarks)
    max_events: int | None = Field(default=None, ge=0)
    health_interval_s: float = Field(default=30.0, gt=0)
    outbox_limit_mb: int = Field(default=256, ge=1)
    # fsync every commit (power-cut safe); simulators turn it off to run many units per disk
    durable: bool = True

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

    def broker(self) -> BrokerUrl:
        """The broker URL with this unit's own credentials (username = unit id)."""
        url = BrokerUrl.parse(self.broker_url)
        password = self.broker_password.get_secret_value() if self.broker_password else None
        return url.with_credentials(url.username or self.unit_id, password or url.password)

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite3"
