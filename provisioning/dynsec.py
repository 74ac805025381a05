"""Who may do what on the broker, written for Mosquitto's dynamic-security plugin: the config
file it starts from, and the admin commands that change a running broker.

What Mosquitto 2.0.11 with this plugin does, as verified against the Debian binary (the tests
in tests/provisioning/ hold it to that):

- A SUBSCRIBE is checked against the filter exactly as sent, ``$share/<group>/`` included. A
  role allowing ``bianmin/v1/u/#`` does not allow ``$share/hub/bianmin/v1/u/+/tx``; a pattern
  ``$share/hub/bianmin/v1/u/#`` does, and ``$share/other/...`` stays refused. A refused filter
  gets SUBACK 0x80 and joins no group, so it takes no share of the hub's messages.
- ``%u`` and ``%c`` are not substituted in its ACLs (acl_file patterns did that), so every
  unit has a role of its own with literal topics.
- A client's ``clientid`` is checked with its password at CONNECT, before Mosquitto looks for
  a connection to take over: a unit using any other id is refused (CONNACK 5) and the
  connection that owns the id is left alone.
- Every delivery is checked again (``publishClientReceive``) on the concrete topic.
- It reads its file only at start; SIGHUP does not reload it. Changes go through the admin
  topic ``$CONTROL/dynamic-security/v1``, and the plugin then rewrites the file itself.
"""

from __future__ import annotations

from typing import Any

from protocol import topics
from protocol.topics import DOWN_CHANNELS, HUB_USER, ROOT, UP_CHANNELS
from provisioning.credentials import Credentials, hash_password

# A dot keeps the admin's name out of reach of any unit id (protocol.topics.UNIT_ID_PATTERN).
ADMIN_USER = "broker.admin"
CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
HUB_ROLE = "hub"
ADMIN_ROLE = "broker.admin"

Document = dict[str, Any]
Command = dict[str, Any]

# Deny by default; unsubscribing only ever takes access away, so it is always allowed.
DEFAULT_ACCESS = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


def _allow(acltype: str, topic: str) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": 0, "allow": True}


def unit_role_name(unit: str) -> str:
    return f"unit-{topics.check_unit_id(unit)}"


def unit_acls(unit: str) -> list[dict[str, Any]]:
    """Write its own up channels; subscribe to and receive its own down channels, each by its
    literal name (so no wildcard and no $share filter ever matches)."""
    acls = [_allow("publishClientSend", topics.topic(unit, ch)) for ch in UP_CHANNELS]
    for ch in DOWN_CHANNELS:
        own = topics.topic(unit, ch)
        acls += [_allow("subscribeLiteral", own), _allow("publishClientReceive", own)]
    return acls


def hub_acls() -> list[dict[str, Any]]:
    """Everything under the root, and the hub's own share group, which no unit may join."""
    everything = f"{ROOT}/#"
    return [
        _allow("publishClientSend", everything),
        _allow("publishClientReceive", everything),
        _allow("subscribePattern", everything),
        _allow("subscribePattern", topics.shared(everything)),
    ]


def admin_acls() -> list[dict[str, Any]]:
    return [
        _allow("publishClientSend", CONTROL_TOPIC),
        _allow("subscribeLiteral", RESPONSE_TOPIC),
        _allow("publishClientReceive", RESPONSE_TOPIC),
    ]


def _client(username: str, password: str, role: str, clientid: str | None) -> dict[str, Any]:
    client: dict[str, Any] = {"username": username, **hash_password(password).dynsec_fields()}
    if clientid is not None:
        client["clientid"] = clientid
    client["roles"] = [{"rolename": role}]
    return client


def document(creds: Credentials, admin_password: str) -> Document:
    """The plugin's config file. The hub's user has no bound client id: its processes each
    pick a unique one (protocol.topics.hub_client_id), and units cannot use them anyway."""
    clients = [
        _client(ADMIN_USER, admin_password, ADMIN_ROLE, None),
        _client(HUB_USER, creds.hub_password, HUB_ROLE, None),
    ]
    roles = [
        {"rolename": ADMIN_ROLE, "acls": admin_acls()},
        {"rolename": HUB_ROLE, "acls": hub_acls()},
    ]
    for unit, password in sorted(creds.units.items()):
        role = unit_role_name(unit)
        clients.append(_client(unit, password, role, topics.unit_client_id(unit)))
        roles.append({"rolename": role, "acls": unit_acls(unit)})
    return {"defaultACLAccess": DEFAULT_ACCESS, "clients": clients, "groups": [], "roles": roles}


def changes(before: Credentials, after: Credentials) -> list[Command]:
    """The admin commands that take a broker running ``before`` to ``after``.

    The plugin disconnects a client whose password is set or who is deleted, so only units
    whose credentials changed are touched; everyone else stays connected.
    """
    commands: list[Command] = []
    if after.hub_password != before.hub_password:
        commands.append(_set_password(HUB_USER, after.hub_password))
    for unit in sorted(before.units.keys() - after.units.keys()):
        commands.append({"command": "deleteClient", "username": unit})
        commands.append({"command": "deleteRole", "rolename": unit_role_name(unit)})
    for unit in sorted(after.units.keys() - before.units.keys()):
        role = unit_role_name(unit)
        commands.append({"command": "createRole", "rolename": role, "acls": unit_acls(unit)})
        commands.append(
            {
                "command": "createClient",
                "username": unit,
                "password": after.units[unit],
                "clientid": topics.unit_client_id(unit),
                "roles": [{"rolename": role}],
            }
        )
    for unit in sorted(after.units.keys() & before.units.keys()):
        if after.units[unit] != before.units[unit]:
            commands.append(_set_password(unit, after.units[unit]))
    return commands


def _set_password(username: str, password: str) -> Command:
    return {"command": "setClientPassword", "username": username, "password": password}
