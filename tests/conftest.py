"""Fixtures that start real services: a Mosquitto process per session (and fresh ones for chaos
tests), and a fresh PostgreSQL database per run beside SQLite files.

In CI (CI=true) a missing Mosquitto or PostgreSQL fails the run; on a developer's machine the
affected tests are skipped and the summary says so loudly.
"""

from __future__ import annotations

import getpass
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from mqttio import BrokerUrl
from protocol.topics import HUB_USER
from provisioning import credentials
from provisioning.credentials import Credentials
from provisioning.mosquitto import MosquittoConfig, MosquittoProcess, free_port, mosquitto_binary
from tests.support import engines

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get(
    "BIANMIN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
TEST_UNITS = [f"t{n:03d}" for n in range(200)]
_missing: dict[str, str] = {}
# Started by root, a generated broker drops to the "mosquitto" account, which cannot reach
# pytest's temporary directories (under a root-only base): test brokers run as the tests do.
# tests/provisioning/test_broker_user.py checks the drop with a directory of its own.
os.environ.setdefault("BIANMIN_BROKER_USER", getpass.getuser())
# Starlette's TestClient addresses requests to "testserver"; the hub in local mode answers
# loopback names only (hub.trusted_host), so tests name it too. tests/hub/test_trusted_host.py
# sets allowed_hosts itself.
os.environ.setdefault(
    "BIANMIN_HUB_ALLOWED_HOSTS", '["localhost", "127.0.0.1", "::1", "testserver"]'
)


def _require(service: str, reason: str) -> None:
    """Skip on a developer machine, fail in CI: CI must run every test for real."""
    _missing[service] = reason
    if IN_CI:
        pytest.fail(f"{service} is required in CI: {reason}", pytrace=False)
    pytest.skip(f"{service} unavailable: {reason}")


engines.watch()
_left_open: list[str] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    _left_open.extend(engines.dispose_left_open())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _left_open:
        terminalreporter.write_sep("-", "PostgreSQL engines a test left open (disposed at the end)")
        for where in sorted(set(_left_open)):
            terminalreporter.write_line(where)
    for service, reason in _missing.items():
        terminalreporter.write_sep("!", f"{service} TESTS DID NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"{service}: {reason}")


# -- Mosquitto ------------------------------------------------------------------------------


@dataclass
class Broker:
    process: MosquittoProcess
    creds: Credentials

    @property
    def url(self) -> BrokerUrl:
        return BrokerUrl(self.process.config.host, self.process.config.port)

    @property
    def hub_url(self) -> BrokerUrl:
        return self.url.with_credentials(HUB_USER, self.creds.hub_password)

    def unit_url(self, unit: str) -> BrokerUrl:
        return self.url.with_credentials(unit, self.creds.password_for(unit))


def start_broker(data_dir: Path, units: list[str] | None = None, port: int | None = None) -> Broker:
    if mosquitto_binary() is None:
        _require("Mosquitto", "the mosquitto binary is not installed (apt-get install mosquitto)")
    creds = credentials.generate(units or TEST_UNITS)
    config = MosquittoConfig(data_dir=data_dir, port=port or free_port(), credentials=creds)
    process = MosquittoProcess(config)
    process.start()
    return Broker(process, creds)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One Mosquitto for the session, with credentials for the units t000..t199."""
    b = start_broker(tmp_path_factory.mktemp("mosquitto"))
    yield b
    b.process.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Start brokers of one's own (chaos tests kill and restart them)."""
    started: list[Broker] = []

    def factory(units: list[str] | None = None) -> Broker:
        b = start_broker(tmp_path / f"mosquitto-{len(started)}", units)
        started.append(b)
        return b

    yield factory
    for b in started:
        b.process.stop()


# -- databases ------------------------------------------------------------------------------


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards. Yields its SQLAlchemy URL."""
    name = f"bianmin_t_{secrets.token_hex(4)}"
    try:
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        _require("PostgreSQL", f"cannot reach {POSTGRES_ADMIN_URL}: {exc}".strip())
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_schema_url(database_url: str) -> Iterator[str]:
    """A schema of its own inside the run's database, so tests (and hub subprocesses) never
    see each other's tables."""
    import psycopg

    schema = f"s_{uuid.uuid4().hex[:12]}"
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{database_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each hub test runs twice: on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
    else:
        yield from _postgres_schema_url(request.getfixturevalue("postgres_database"))
