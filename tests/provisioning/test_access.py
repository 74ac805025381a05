"""The rules the embedded broker applies, as plain functions (Mosquitto gets the same rules
from provisioning/dynsec.py; tests/provisioning/test_broker_isolation.py runs both)."""

from __future__ import annotations

import pytest

from protocol import topics
from protocol.topics import HUB_USER, ROOT, Channel
from provisioning.access import Action, may, may_connect

PASSWORDS = {HUB_USER: "hub-secret", "t001": "secret-1", "t002": "secret-2"}


@pytest.mark.parametrize(
    ("username", "password", "client_id", "admitted"),
    [
        ("t001", "secret-1", "unit-t001", True),
        ("t001", "secret-1", "unit-t002", False),  # another unit's id: a takeover
        ("t001", "secret-1", "hub-1-ingest-0a1b2c3d", False),  # the hub's
        ("t001", "secret-1", "", False),
        ("t001", "secret-2", "unit-t001", False),
        ("t001", "密码", "unit-t001", False),  # not ASCII: refused, not a crash
        ("t009", "secret-1", "unit-t009", False),
        (HUB_USER, "hub-secret", "hub-1-ingest-0a1b2c3d", True),
        (HUB_USER, "hub-secret", "anything", True),
        (None, None, "unit-t001", False),
    ],
)
def test_who_may_connect_under_which_client_id(username, password, client_id, admitted):
    assert may_connect(PASSWORDS, username, password, client_id) is admitted


def test_only_the_hub_may_join_its_share_group_and_only_that_group():
    tx = topics.shared(topics.subscription(Channel.TX))
    assert may(HUB_USER, tx, Action.SUBSCRIBE)
    assert not may(
        HUB_USER, topics.shared(topics.subscription(Channel.TX), "other"), Action.SUBSCRIBE
    )
    assert not may(HUB_USER, tx, Action.PUBLISH)
    assert not may("t001", tx, Action.SUBSCRIBE)
    assert not may("t001", topics.shared(topics.topic("t001", Channel.CONFIG)), Action.SUBSCRIBE)


def test_the_hub_may_do_anything_under_the_root_and_nothing_outside_it():
    assert may(HUB_USER, f"{ROOT}/#", Action.SUBSCRIBE)
    assert may(HUB_USER, topics.topic("t001", Channel.CONFIG), Action.PUBLISH)
    assert not may(HUB_USER, "#", Action.SUBSCRIBE)
    assert not may(HUB_USER, "$SYS/#", Action.SUBSCRIBE)


@pytest.mark.parametrize("channel", list(Channel))
def test_a_unit_writes_its_up_channels_and_reads_its_down_channels_by_their_names(channel):
    own, other = topics.topic("t001", channel), topics.topic("t002", channel)
    up = channel.upstream
    assert may("t001", own, Action.PUBLISH) is up
    assert may("t001", own, Action.SUBSCRIBE) is not up
    assert may("t001", own, Action.RECEIVE) is not up
    for action in Action:
        assert not may("t001", other, action)
    assert not may("t001", topics.subscription(channel, "+"), Action.SUBSCRIBE)
