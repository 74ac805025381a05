"""A NATS cluster's configuration, generated from the same credentials and topic table as
Mosquitto's: subjects for topics, per-unit permissions, and files nats-server accepts."""

import subprocess

import pytest

from protocol import topics
from protocol.topics import Channel
from provisioning import credentials
from provisioning.nats import (
    MQTT_DELIVERY,
    NatsClusterConfig,
    hub_permissions,
    nats_binary,
    unit_permissions,
)
from tests.support.natscluster import require_nats


def test_topics_and_filters_become_the_subjects_the_gateway_gives_them():
    assert topics.nats_subject(topics.topic("t1", Channel.CONFIG_REPORTED)) == (
        "bianmin.v1.u.t1.config.reported"
    )
    assert topics.nats_subject(topics.subscription(Channel.TX)) == "bianmin.v1.u.*.tx"
    assert topics.nats_subject("bianmin/v1/u/#") == "bianmin.v1.u.>"
    concrete = topics.topic("t1", Channel.CMD_RESULT)
    assert topics.topic_of_subject(topics.nats_subject(concrete)) == concrete


def test_a_unit_may_publish_its_up_channels_and_subscribe_to_its_down_channels_literally():
    rules = unit_permissions("t1")
    assert rules["publish"] == {
        "allow": [f"bianmin.v1.u.t1.{c}" for c in ("tx", "state", "health", "config.reported",
                                                     "cmd.result")]
    }  # fmt: skip
    assert rules["subscribe"] == {
        "allow": ["bianmin.v1.u.t1.ack", "bianmin.v1.u.t1.config", "bianmin.v1.u.t1.cmd",
                  MQTT_DELIVERY]
    }  # fmt: skip
    assert not any("*" in s or ">" in s for s in rules["publish"]["allow"])
    assert hub_permissions()["publish"] == {"allow": ["bianmin.v1.u.>"]}


@pytest.mark.integration
def test_every_nodes_configuration_passes_nats_servers_own_check(tmp_path):
    require_nats()
    config = NatsClusterConfig.on_free_ports(tmp_path, credentials.generate(["t1", "t2"]))
    config.write()
    ports = {p for n in config.nodes for p in (n.client_port, n.cluster_port, n.mqtt_port)}
    assert len(ports) == 9  # no two listeners share a port
    for node in config.nodes:
        assert node.conf_path.stat().st_mode & 0o077 == 0  # passwords inside
        check = subprocess.run(
            [str(nats_binary()), "-t", "-c", str(node.conf_path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr + check.stdout
