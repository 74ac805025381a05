"""The dynamic-security config and admin commands, without a broker: the hashes Mosquitto
recomputes, a role per unit with literal topics, and changes that touch only what changed."""

from __future__ import annotations

import base64
import hashlib

import pytest

from protocol import topics
from protocol.errors import InvalidTopic
from protocol.topics import HUB_USER
from provisioning import credentials, dynsec
from provisioning.credentials import Credentials, hash_password
from provisioning.dynsec_control import chunks, encode


def test_a_password_hash_is_the_pbkdf2_sha512_mosquitto_recomputes():
    salt = bytes(range(12))
    fields = hash_password("secret", salt).dynsec_fields()
    expected = hashlib.pbkdf2_hmac("sha512", b"secret", salt, 101)
    assert fields == {
        "password": base64.b64encode(expected).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": 101,
    }


def test_a_salt_mosquitto_would_silently_reject_is_refused_here():
    with pytest.raises(ValueError, match="12 bytes"):
        hash_password("secret", bytes(16))


def test_each_unit_has_its_client_id_bound_and_a_role_of_its_own_without_wildcards():
    creds = credentials.generate(["t001", "t002"])
    doc = dynsec.document(creds, "admin-secret")
    clients = {c["username"]: c for c in doc["clients"]}
    roles = {r["rolename"]: r["acls"] for r in doc["roles"]}
    for unit in ["t001", "t002"]:
        assert clients[unit]["clientid"] == topics.unit_client_id(unit)
        assert clients[unit]["roles"] == [{"rolename": dynsec.unit_role_name(unit)}]
        acl_topics = [a["topic"] for a in roles[dynsec.unit_role_name(unit)]]
        assert all(f"/{unit}/" in t for t in acl_topics)
        assert not any(c in t for t in acl_topics for c in "+#%$")
    assert "clientid" not in clients[HUB_USER]  # every hub process picks its own


def test_nothing_is_allowed_that_a_role_does_not_name_except_unsubscribing():
    doc = dynsec.document(credentials.generate(["t001"]), "admin-secret")
    assert doc["defaultACLAccess"] == {
        "publishClientSend": False,
        "publishClientReceive": False,
        "subscribe": False,
        "unsubscribe": True,
    }


def test_only_the_hubs_role_names_the_share_group_and_only_the_admin_the_control_topic():
    doc = dynsec.document(credentials.generate(["t001", "t002"]), "admin-secret")
    naming = {
        needle: {
            r["rolename"] for r in doc["roles"] if any(needle in a["topic"] for a in r["acls"])
        }
        for needle in ["$share/", "$CONTROL/"]
    }
    assert naming == {"$share/": {dynsec.HUB_ROLE}, "$CONTROL/": {dynsec.ADMIN_ROLE}}
    shared = [a["topic"] for r in doc["roles"] for a in r["acls"] if "$share/" in a["topic"]]
    assert shared == [topics.shared(f"{topics.ROOT}/#")]


def test_the_admin_name_can_never_be_a_units():
    with pytest.raises(InvalidTopic, match="invalid unit id"):
        topics.check_unit_id(dynsec.ADMIN_USER)


def test_changes_touch_only_the_units_whose_credentials_changed():
    before = Credentials(hub_password="h", units={"kept": "k", "rotated": "r1", "gone": "g"})
    after = Credentials(hub_password="h2", units={"kept": "k", "rotated": "r2", "new": "n"})
    commands = dynsec.changes(before, after)
    assert [(c["command"], c.get("username") or c.get("rolename")) for c in commands] == [
        ("setClientPassword", HUB_USER),
        ("deleteClient", "gone"),
        ("deleteRole", "unit-gone"),
        ("createRole", "unit-new"),
        ("createClient", "new"),
        ("setClientPassword", "rotated"),
    ]
    created = commands[4]
    assert created["clientid"] == topics.unit_client_id("new")
    assert created["roles"] == [{"rolename": "unit-new"}]
    assert dynsec.changes(after, after) == []


def test_many_commands_go_in_several_messages_each_under_the_limit():
    commands = [
        {"command": "createClient", "username": f"u{n:04d}", "password": "x" * 30}
        for n in range(2000)
    ]
    batches = chunks(commands, limit=16 * 1024)
    assert sum(len(b) for b in batches) == len(commands)
    assert all(len(encode(b)) <= 16 * 1024 for b in batches)
    assert max(len(encode(b)) for b in batches) > 15 * 1024  # and they are filled
    assert len(batches) > 1
