"""The Mosquitto that provisioning runs: its generated files, its packet limit taken from the
protocol, credential changes applied live, and a loud failure when its rules did not load."""

from __future__ import annotations

import asyncio

import pytest

from mqttio import BrokerUrl
from protocol import topics
from protocol.messages import MAX_CONFIG_BYTES
from protocol.topics import Channel
from provisioning import credentials
from provisioning.errors import BrokerError
from provisioning.mosquitto import (
    BrokerLimits,
    MosquittoConfig,
    MosquittoProcess,
    free_port,
    packet_limit,
)
from tests.support.aio import async_test
from tests.support.brokers import (
    Listener,
    connected,
    listener,
    require_mosquitto,
    serving,
    try_connect,
)
from tests.support.waiting import eventually

LONGEST_UNIT = "x" * 64


def test_the_packet_limit_is_the_largest_protocol_payload_plus_its_header():
    assert BrokerLimits().max_packet_size == packet_limit()
    header = 1 + 2 + topics.MAX_TOPIC_BYTES + 2 + 1  # type, topic, packet id, MQTT 5 properties
    assert packet_limit() == MAX_CONFIG_BYTES + header


def test_the_config_names_the_plugin_and_its_file_and_the_old_files_are_gone(tmp_path):
    require_mosquitto()
    for stale in ("passwd", "acl"):
        (tmp_path / stale).write_text("left by an earlier version\n")
    config = MosquittoConfig(tmp_path, free_port(), credentials=credentials.generate(["t001"]))
    config.write()
    conf = config.conf_path.read_text()
    assert f"plugin_opt_config_file {config.dynsec_path}" in conf
    assert f"max_packet_size {packet_limit()}" in conf
    assert "acl_file" not in conf
    assert "password_file" not in conf
    assert config.dynsec_path.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "passwd").exists()
    assert not (tmp_path / "acl").exists()
    assert config.admin_password not in config.dynsec_path.read_text()


def test_a_missing_plugin_stops_the_start_with_a_message_saying_what_to_do(tmp_path):
    config = MosquittoConfig(
        tmp_path, free_port(), credentials=credentials.generate(["t001"]), dynsec_plugin="/no.so"
    )
    with pytest.raises(BrokerError, match="dynamic-security plugin"):
        config.write()


@pytest.mark.integration
def test_a_broker_whose_rules_did_not_load_is_not_left_running(tmp_path, monkeypatch):
    """Mosquitto runs on, refusing everyone, when the plugin cannot read its file."""
    require_mosquitto()
    config = MosquittoConfig(tmp_path, free_port(), credentials=credentials.generate(["t001"]))
    original = config.write

    def broken_write() -> None:
        original()
        config.dynsec_path.write_text("{not json")

    monkeypatch.setattr(config, "write", broken_write)
    process = MosquittoProcess(config)
    with pytest.raises(BrokerError, match="refuse everyone"):
        process.start()
    assert process.proc is None


@pytest.mark.integration
@async_test
async def test_the_largest_message_passes_on_the_longest_topic_and_a_byte_more_is_cut_off(
    tmp_path,
):
    async with serving("mosquitto", [LONGEST_UNIT], tmp_path) as broker:
        reported = topics.topic(LONGEST_UNIT, Channel.CONFIG_REPORTED)
        hub = listener(broker.hub_url, "hub-test-watch", [reported])
        unit = listener(broker.unit_url(LONGEST_UNIT), topics.unit_client_id(LONGEST_UNIT), [])
        async with connected(hub, unit):
            # the same limit for everyone, so a unit may send as much as the hub's config
            fits = packet_limit() - (1 + 2 + len(reported) + 2)  # an MQTT 3.1.1 PUBLISH
            assert fits >= MAX_CONFIG_BYTES
            unit.client.publish(reported, b"a" * fits)
            await eventually(lambda: hub.got, 10, "the largest message")
            unit.client.publish(reported, b"a" * (fits + 1))
            await eventually(lambda: unit.client.connections == 2, 10, "the cut and reconnect")
        assert [len(m.payload) for m in hub.got] == [fits]


@pytest.mark.integration
@async_test
async def test_reload_applies_changed_credentials_and_leaves_everyone_else_connected(tmp_path):
    """GIVEN a running broker with t001..t003 WHEN t002's password changes, t003 is removed
    and t004 is added, then reload() THEN t002 logs in only with its new password, t003 is
    disconnected and refused, t004 gets in with its own client id and rules, and t001 never
    noticed."""
    require_mosquitto()
    creds = credentials.generate(["t001", "t002", "t003"])
    process = MosquittoProcess(MosquittoConfig(tmp_path, free_port(), credentials=creds))
    await asyncio.to_thread(process.start)
    base = BrokerUrl(process.config.host, process.config.port)

    def unit(name: str, password: str, filters: list[str] | None = None) -> Listener:
        url = base.with_credentials(name, password)
        return listener(url, topics.unit_client_id(name), filters or [])

    try:
        old_t002, old_t003 = creds.units["t002"], creds.units["t003"]
        bystander, removed = unit("t001", creds.units["t001"]), unit("t003", old_t003)
        async with connected(bystander, removed):
            creds.units["t002"] = credentials.new_password()
            del creds.units["t003"]
            creds.units["t004"] = credentials.new_password()
            await asyncio.to_thread(process.reload)

            await eventually(lambda: not removed.client.connected, 5, "t003 to be cut off")
            for user, password, client_id, admitted in [
                ("t002", old_t002, "t002", False),
                ("t002", creds.units["t002"], "t002", True),
                ("t003", old_t003, "t003", False),
                ("t004", creds.units["t004"], "t004", True),
                ("t004", creds.units["t004"], "t001", False),
            ]:
                url = base.with_credentials(user, password)
                attempt = await try_connect(url, topics.unit_client_id(client_id))
                assert bool(attempt.connections) is admitted, (user, client_id)
            assert bystander.client.connected
            assert bystander.client.connections == 1
            own, other = topics.topic("t004", Channel.CONFIG), topics.topic("t001", Channel.CONFIG)
            newcomer = unit("t004", creds.units["t004"], [own, other])
            async with connected(newcomer):
                assert newcomer.client.refused_subscriptions == [other]
    finally:
        await asyncio.to_thread(process.stop)
