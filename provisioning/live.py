"""Rotation and revocation on a running fleet (docs/provisioning.md, "rotate UNIT --live" and
"revoke UNIT"): the hub signs and delivers the new password in a `rotate_credentials` command
(provisioning asks it over its API with an operator token), the broker changes through its
dynamic-security admin topic (no restart), and a revoked unit is deleted from the broker, which
disconnects it at once.

The order of a rotation is what keeps a unit from being locked out:

1. a new password is made and kept in ``STATE_DIR/secrets/rotations/UNIT.json`` (0600) with
   the command's id, so a second run resumes instead of starting another rotation;
2. the hub publishes the signed command until the unit answers (or it expires); the unit
   stores the password as pending, durably, and answers ok;
3. only then the broker's password changes (``setClientPassword``), which disconnects the unit;
   it tries the pending password first and, once it worked, forgets the old one;
4. the identity store takes the new password (generation + 1) and the generated files follow.

If the unit does not answer in time nothing has changed on the broker: the old password keeps
working, the command stays on the hub until it expires, and running the rotation again picks it
up. A unit that is offline through step 3 still holds both passwords and gets in with the new
one when it returns.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mqttio import BrokerUrl, ClientTls
from provisioning import credentials, dynsec_control
from provisioning.dynsec import unit_role_name
from provisioning.errors import BrokerError
from provisioning.files import private_dir, write_private
from provisioning.store import IdentityStore, UnknownIdentity

FINAL = ("ok", "failed", "expired")


class HubError(RuntimeError):
    """The hub refused a request, or could not be reached; the message says which."""

    code = "hub_error"


@dataclass(frozen=True)
class HubApi:
    url: str
    token: str | None
    timeout: float = 30.0
    ca_file: str | None = None  # the county CA, for a hub served over HTTPS

    def call(self, method: str, path: str, body: Any = None) -> Any:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            resp = httpx.request(
                method, f"{self.url.rstrip('/')}{path}", json=body, headers=headers,
                timeout=self.timeout, verify=self.ca_file or True,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise HubError(f"cannot reach the hub at {self.url}: {exc}") from None
        if not resp.is_success:
            try:
                detail = resp.json().get("detail")
            except ValueError:
                detail = resp.text[:300]
            raise HubError(f"the hub answered {resp.status_code}: {detail}")
        return resp.json()

    def rotate_credentials(
        self, unit: str, password: str, generation: int, ttl_s: int
    ) -> dict[str, Any]:
        body = {"password": password, "generation": generation, "ttl_s": ttl_s}
        found: dict[str, Any] = self.call("POST", f"/api/units/{unit}/credentials/rotate", body)
        return found

    def get_command(self, command_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"/api/commands/{command_id}")
        return found

    def revoke(self, unit: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("POST", f"/api/units/{unit}/revoke", {"confirm": unit})
        return found


def _rotation_file(store: IdentityStore, unit: str) -> Path:
    return store.secrets_dir / "rotations" / f"{unit}.json"


def _wait(hub: HubApi, command_id: str, wait_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + wait_s
    while True:
        found = hub.get_command(command_id)
        if found["state"] in FINAL or time.monotonic() >= deadline:
            return found
        time.sleep(0.25)


def rotate_live(
    store: IdentityStore,
    unit: str,
    *,
    hub: HubApi,
    admin_url: BrokerUrl,
    admin_tls: ClientTls | None = None,
    wait_s: float = 60.0,
    ttl_s: int = 7 * 86400,
) -> dict[str, Any]:
    """Rotate ``unit``'s broker password on the running broker, through the unit (module
    docstring). Returns a summary without secrets; ``state`` is ``rotated`` when done,
    ``waiting`` when the unit has not answered yet (run it again later)."""
    identity = store.identity(unit)
    if identity is None:
        raise UnknownIdentity(f"no identity for unit {unit!r} (revoked, or never applied)")
    path = _rotation_file(store, unit)
    pending = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    command: dict[str, Any] | None = None
    if pending is not None:
        command = hub.get_command(pending["command"])
        if command["state"] in ("failed", "expired"):
            pending = command = None  # start again with a new password
    if pending is None:
        pending = {"password": credentials.new_password(), "generation": identity.generation + 1}
        command = hub.rotate_credentials(unit, pending["password"], pending["generation"], ttl_s)
        pending["command"] = command["id"]
        private_dir(path.parent)
        write_private(path, json.dumps(pending))
    assert command is not None
    command = _wait(hub, pending["command"], wait_s)
    summary = {"unit": unit, "command": command["id"], "generation": pending["generation"]}
    if command["state"] != "ok":
        return {**summary, "state": "waiting" if command["state"] not in FINAL else "failed",
                "command_state": command["state"], "detail": command.get("detail")}  # fmt: skip
    # the unit holds the new password: now the broker may take it (and drops the unit, which
    # comes back with it)
    dynsec_control.send_blocking(
        admin_url,
        [{"command": "setClientPassword", "username": unit, "password": pending["password"]}],
        tls=admin_tls,
    )
    new = identity.model_copy(
        update={"broker_password": SecretStr(pending["password"]),
                "generation": pending["generation"]}
    )  # fmt: skip
    store.save(new)
    store.write_outputs()
    path.unlink(missing_ok=True)
    return {**summary, "state": "rotated", "command_state": "ok"}


def revoke_live(
    store: IdentityStore,
    unit: str,
    *,
    hub: HubApi | None,
    admin_url: BrokerUrl | None,
    admin_tls: ClientTls | None = None,
) -> dict[str, Any]:
    """Revoke ``unit`` in the store (always), on the broker (its client deleted: disconnected
    now, refused from now on) and on the hub (token, retained topics, late messages). Each
    part is done even when an earlier one was done before, so running it again finishes a
    revocation that was interrupted."""
    store.revoke(unit)
    _rotation_file(store, unit).unlink(missing_ok=True)
    done: dict[str, Any] = {"unit": unit, "revoked": True, "broker": "not configured",
                            "hub": "not configured"}  # fmt: skip
    if admin_url is not None:
        try:
            dynsec_control.send_blocking(admin_url, [{"command": "deleteClient", "username": unit}])
            done["broker"] = "client deleted"
        except BrokerError as exc:
            if "not found" not in str(exc).lower():
                raise
            done["broker"] = "client already gone"
        try:
            dynsec_control.send_blocking(
                admin_url,
                [{"command": "deleteRole", "rolename": unit_role_name(unit)}],
                tls=admin_tls,
            )
        except BrokerError as exc:
            if "not found" not in str(exc).lower():
                raise
    if hub is not None:
        answer = hub.revoke(unit)
        done["hub"] = (
            "revoked"
            if answer.get("retained_cleared")
            else "revoked; retained topics "
            "not cleared (the hub has no broker connection): run revoke again"
        )
    return done
