"""TLS on the county network, from the generated files to real processes: `provision init`
with an mqtts:// broker, an https:// hub and client certificates, `provision apply`, then
`bianmin broker --data-dir STATE/broker` (Mosquitto from the generated listeners.json and
certificates) and `bianmin hub serve` over HTTPS, its ingest on the TLS listener with its own
client certificate. One county per module; each test checks one thing against it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from bianmin.cli import app
from edge.bundle import identity_settings
from edge.settings import EdgeSettings
from edge.window.hubcalls import UnitHubClient
from edge.window.registry import QUERY_PATH
from hub.db import make_engine
from hub.fleet.events import all_event_ids
from mqttio import BrokerUrl, ClientTls
from protocol import topics
from protocol.case import RegistryQuery
from protocol.unit_identity import UnitIdentity
from provisioning import listeners
from provisioning.credentials import Credentials
from provisioning.credentials import load as load_credentials
from provisioning.mosquitto import (
    MosquittoConfig,
    MosquittoProcess,
    TlsListener,
    free_port,
    wait_for_port,
)
from provisioning.pki import CountyCA
from provisioning.store import IdentityStore
from tests.provisioning.helpers import hub_public_key, run, small_registry
from tests.support.brokers import require_mosquitto, try_connect
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
UNIT, OTHER = "qingshui-shequ", "dongjie-cun"  # the seed registry's first villages


@dataclass
class County:
    root: Path
    state: Path
    broker_port: int
    hub_url: str
    database: str
    hub_password: str

    def identity(self, unit: str) -> UnitIdentity:
        found = IdentityStore(self.state).identity(unit)
        assert found is not None
        return found

    def unit_settings(self, unit: str) -> EdgeSettings:
        data = self.root / "units" / unit
        return EdgeSettings(data_dir=data, **identity_settings(self.identity(unit), data))

    def broker_url(self, unit: str, password: str, host: str = "localhost") -> BrokerUrl:
        return BrokerUrl(host, self.broker_port, tls=True, username=unit, password=password)


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Iterator[County]:
    require_mosquitto()
    root = tmp_path_factory.mktemp("county-tls")
    state = root / "provision"
    broker_port, hub_port = free_port(), free_port()
    hub_url = f"https://localhost:{hub_port}"
    init = run(
        "init", "--state-dir", str(state),
        "--registry", str(small_registry(root / "villages.json", 3)),
        "--broker-url", f"mqtts://localhost:{broker_port}", "--broker-listen", "127.0.0.1",
        "--hub-url", hub_url, "--hub-public-key", hub_public_key(), "--client-certificates",
    )  # fmt: skip
    assert init.exit_code == 0, init.output
    assert run("apply", "--state-dir", str(state)).exit_code == 0
    database = f"sqlite:///{root / 'hub.sqlite3'}"
    imported = CliRunner().invoke(
        app, ["hub", "unit-token-import", str(state / "hub-unit-tokens.json"),
              "--database", database],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    hub_password = load_credentials(state / "broker" / "credentials.json").hub_password
    tls = state / "hub-tls"
    log = open(root / "processes.log", "ab")  # noqa: SIM115 - lives as long as the processes
    broker = subprocess.Popen(
        [BIANMIN, "broker", "--data-dir", str(state / "broker"),
         "--registry", str(root / "villages.json")],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )  # fmt: skip
    procs: list[subprocess.Popen[str]] = [broker]
    try:
        assert broker.stdout is not None
        announced = json.loads(broker.stdout.readline())  # printed once it listens
        assert announced["broker"] == f"mqtts://127.0.0.1:{broker_port}"
        procs.append(subprocess.Popen(
            [BIANMIN, "hub", "serve", "--database", database, "--port", str(hub_port),
             "--data-dir", str(root / "hub"), "--broker", f"mqtts://localhost:{broker_port}",
             "--broker-ca", str(tls / "ca.pem"), "--broker-cert", str(tls / "client.pem"),
             "--broker-key", str(tls / "client.key"), "--tls-cert", str(tls / "server.pem"),
             "--tls-key", str(tls / "server.key")],
            env={**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": hub_password},
            stdout=log, stderr=log, text=True,
        ))  # fmt: skip
        wait_for_port("127.0.0.1", hub_port, timeout=60)
        yield County(root, state, broker_port, hub_url, database, hub_password)
    finally:
        for proc in reversed(procs):
            stop(proc)
        if broker.stdout is not None:
            broker.stdout.close()
        log.close()


def test_the_generated_broker_files_are_readable_by_the_broker_user_only(county):
    broker_dir = county.state / "broker"
    names = {p.name for p in broker_dir.iterdir()}
    assert {"mosquitto.conf", "listeners.json", "server.pem", "server.key", "ca.pem"} <= names
    for path in broker_dir.iterdir():
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path
    conf = (broker_dir / "mosquitto.conf").read_text()
    assert f"listener {county.broker_port} 127.0.0.1\n" in conf
    assert "require_certificate true\nuse_identity_as_username false\n" in conf
    assert conf.count("listener ") == 1  # no plain listener unless asked for


def test_a_unit_started_from_its_bundle_connects_over_tls_and_its_cases_reach_the_hub(county):
    log_path = county.root / "unit.log"
    with open(log_path, "wb") as log_file:
        unit = subprocess.Popen(
            [BIANMIN, "edge", "run", "--bundle", str(county.state / "bundles" / UNIT),
             "--data-dir", str(county.root / "bundle-unit"), "--simulated-devices",
             "--rate", "20", "--max-events", "5", "--no-durable", "--health-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
    engine = make_engine(county.database)

    def arrived():
        with engine.connect() as conn:
            rows = all_event_ids(conn, units=[UNIT])
        return len(rows) >= 5 and rows

    try:
        rows = wait_until(arrived, 30, f"5 events from {UNIT} through TLS in the hub")
    finally:
        stop(unit)
        engine.dispose()
    assert sorted(seq for _u, _id, seq in rows)[:5] == [1, 2, 3, 4, 5]
    key = county.identity(UNIT).client_key_pem
    assert key is not None
    assert key.get_secret_value() not in log_path.read_text()


def test_the_broker_refuses_a_wrong_password_an_unknown_certificate_and_no_certificate(
    county, tmp_path
):
    settings = county.unit_settings(OTHER)
    own = settings.broker_tls()
    assert own is not None
    assert own.cert_file is not None
    password = county.identity(OTHER).broker_password.get_secret_value()
    stranger = CountyCA.create()
    cert, key = stranger.issue_client(OTHER)
    (tmp_path / "c.pem").write_text(cert)
    (tmp_path / "c.key").write_text(key)
    foreign = ClientTls(own.ca_file, str(tmp_path / "c.pem"), str(tmp_path / "c.key"))
    bare = ClientTls(own.ca_file)

    async def attempts():
        cid = topics.unit_client_id(OTHER)
        right = county.broker_url(OTHER, password)
        return (
            await try_connect(right, cid, tls=own),
            await try_connect(county.broker_url(OTHER, "wrong"), cid, tls=own),
            await try_connect(right, cid, tls=foreign),
            await try_connect(right, cid, tls=bare),
        )

    accepted, wrong_password, unknown_cert, no_cert = asyncio.run(attempts())
    assert accepted.connections == 1, accepted.last_error
    assert wrong_password.connections == 0
    assert "Not authorized" in (wrong_password.last_error or "")  # TLS was fine: MQTT refused
    for refused in (unknown_cert, no_cert):
        assert refused.connections == 0
        assert refused.last_error is not None


def test_a_unit_pinning_another_ca_or_reaching_the_broker_by_another_name_refuses_it(county):
    own = county.unit_settings(OTHER).broker_tls()
    assert own is not None
    password = county.identity(OTHER).broker_password.get_secret_value()
    other_ca = county.root / "other-ca.pem"
    other_ca.write_text(CountyCA.create().pem)
    pinned_other = ClientTls(str(other_ca), own.cert_file, own.key_file)

    async def attempts():
        cid = topics.unit_client_id(OTHER)
        return (
            await try_connect(county.broker_url(OTHER, password), cid, tls=pinned_other),
            # the certificate names localhost only, not the address
            await try_connect(county.broker_url(OTHER, password, "127.0.0.1"), cid, tls=own),
        )

    for refused in asyncio.run(attempts()):
        assert refused.connections == 0
        assert "CERTIFICATE_VERIFY_FAILED" in (refused.last_error or ""), refused.last_error


def test_the_hub_serves_https_that_a_units_http_client_verifies_with_the_county_ca(county):
    settings = county.unit_settings(UNIT)
    assert settings.hub_url == county.hub_url
    token = county.identity(UNIT).hub_token.get_secret_value()
    query = RegistryQuery(applicant="0" * 32, materials=("m1",))

    async def ask(verify):
        client = UnitHubClient(settings.hub_url, token, verify=verify)
        return await client.post(QUERY_PATH, query)

    answered = asyncio.run(ask(settings.hub_verify()))
    # over verified HTTPS the hub read the unit's token and the query: it has no open case of
    # that applicant, so the registry refuses it (issue 17) — the hub's answer, not TLS's
    assert answered.status_code == 404, answered.text
    assert answered.json()["detail"]["code"] == "registry_no_case"
    other_ca = county.root / "other-ca-http.pem"
    other_ca.write_text(CountyCA.create().pem)
    wrong = settings.model_copy(update={"tls_ca_file": other_ca})
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(ask(wrong.hub_verify()))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(ask(True))  # the system's CAs do not know the county's


def test_the_brokers_admin_changes_a_tls_only_broker_live_with_its_client_certificate(
    county, tmp_path
):
    """No plain listener to fall back on: the dynamic-security commands (a unit added while
    the broker runs) go over TLS with the admin's certificate."""
    generated = county.state / "broker"
    for name in ("ca.pem", "server.pem", "server.key", "admin.pem", "admin.key"):
        shutil.copy(generated / name, tmp_path / name)
    spec = listeners.TlsListenerSpec(host="127.0.0.1", port=free_port(), require_certificate=True)
    config = MosquittoConfig(
        tmp_path, port=0, tls=TlsListener.in_data_dir(tmp_path, spec), plain=False,
        credentials=Credentials(hub_password=county.hub_password, units={}),
    )  # fmt: skip
    password = county.identity(OTHER).broker_password.get_secret_value()
    url = BrokerUrl("localhost", spec.port, tls=True, username=OTHER, password=password)
    own = county.unit_settings(OTHER).broker_tls()
    with MosquittoProcess(config) as process:
        before = asyncio.run(try_connect(url, topics.unit_client_id(OTHER), tls=own))
        config.credentials = Credentials(hub_password=county.hub_password, units={OTHER: password})
        process.reload()
        after = asyncio.run(try_connect(url, topics.unit_client_id(OTHER), tls=own))
    assert before.connections == 0
    assert after.connections == 1, after.last_error
