"""`bianmin broker --data-dir STATE/broker` serves the credentials provisioning generated: a
provisioned unit logs in with its identity's password; after `rotate` the old password is
refused and the new one works, after `revoke` the unit is refused (broker restarted: doing
it live is later work, issue 14)."""

import asyncio
import json
import subprocess

import pytest

from mqttio import BrokerUrl
from protocol import topics
from provisioning.mosquitto import free_port
from provisioning.store import IdentityStore
from tests.provisioning.helpers import init, run, small_registry
from tests.support.brokers import require_mosquitto, try_connect
from tests.support.processes import BIANMIN, stop

pytestmark = pytest.mark.integration


def serve(state, registry, port):
    proc = subprocess.Popen(
        [BIANMIN, "broker", "--data-dir", str(state / "broker"), "--port", str(port),
         "--registry", str(registry)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    announced = json.loads(proc.stdout.readline())  # printed once it listens
    assert announced["kind"] == "mosquitto"
    return proc


def admitted(port, unit, password) -> bool:
    url = BrokerUrl("127.0.0.1", port).with_credentials(unit, password)
    client = asyncio.run(try_connect(url, topics.unit_client_id(unit)))
    return bool(client.connections)


def test_the_broker_admits_provisioned_units_and_refuses_rotated_and_revoked_credentials(
    tmp_path,
):
    require_mosquitto()
    port = free_port()
    registry = small_registry(tmp_path / "villages.json", 3)
    state = tmp_path / "provision"
    init(state, "--registry", str(registry), broker_url=f"mqtt://127.0.0.1:{port}")
    run("apply", "--state-dir", str(state))
    store = IdentityStore(state)
    first, second, third = (
        store.identity(u) for u in ("qingshui-shequ", "dongjie-cun", "xijie-cun")
    )
    assert first is not None
    assert second is not None
    assert third is not None

    def password(identity):
        return identity.broker_password.get_secret_value()

    proc = serve(state, registry, port)
    try:
        assert admitted(port, first.unit_id, password(first))
        assert not admitted(port, first.unit_id, "wrong")
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()

    rotated = store.rotate(second.unit_id)
    store.revoke(third.unit_id)
    proc = serve(state, registry, port)
    try:
        assert not admitted(port, second.unit_id, password(second))
        assert admitted(port, second.unit_id, password(rotated))
        assert not admitted(port, third.unit_id, password(third))
        assert admitted(port, first.unit_id, password(first))
    finally:
        stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()
