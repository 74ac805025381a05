"""The balena backend: every unit pre-registered as a device of one balena fleet, its identity
in device variables, its place in the county in tags, its config.txt in configuration
variables. The device's container (deploy/balena/) starts the agent from those variables.

Per unit, in this order, each step idempotent so an interrupted run can simply repeat it:

1. a device UUID, made locally and saved in the state file before anything is sent;
2. registration under that UUID, unless the device is already there (`device.has`);
3. environment variables: ``BIANMIN_UNIT_ID``, ``BIANMIN_BROKER_URL``, ``BIANMIN_HUB_URL``,
   ``BIANMIN_HARDWARE_PROFILE`` (plain), and ``BIANMIN_IDENTITY``, the whole identity file
   with its secrets (balena has no secret type for device variables: it is readable by whoever
   may read the fleet's variables, so grant the fleet to the county's operators only);
4. tags ``unit``, ``village``, ``town`` (the division's name; 镇, 街道 or 高新区) and ``profile``;
5. ``BALENA_HOST_CONFIG_<key>`` configuration variables from the profile's config.txt;
6. the device pinned to the balena release ``fleet.json`` names for it (its software: the
   agent's version on a balena unit is the release, not a wheel), when one is named.

The SDK's ``set`` calls are upserts (POST, then PATCH on a "unique" conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware_config.schema import HardwareProfile
from provisioning.balena_client import BalenaUnavailable
from provisioning.plan import Target
from provisioning.settings import BalenaSettings
from provisioning.state import BackendState, UnitState

FORMAT = 1
IDENTITY_VAR = "BIANMIN_IDENTITY"
CONFIG_PREFIX = "BALENA_HOST_CONFIG_"


def env_vars(target: Target) -> dict[str, str]:
    """The device's environment variables; ``BIANMIN_IDENTITY`` is the secret one."""
    identity = target.identity
    found = {
        "BIANMIN_UNIT_ID": identity.unit_id,
        "BIANMIN_BROKER_URL": identity.broker_url,
        "BIANMIN_HARDWARE_PROFILE": identity.hardware_profile,
        IDENTITY_VAR: identity.to_json(),
    }
    if identity.hub_url is not None:
        found["BIANMIN_HUB_URL"] = identity.hub_url
    return found


def tags(target: Target) -> dict[str, str]:
    return {
        "unit": target.unit,
        "village": target.village.name,
        "town": target.division.name,
        "profile": target.profile.name,
    }


def config_vars(profile: HardwareProfile) -> dict[str, str]:
    """config.txt as balena's variables: a list value is written as ``"a","b"``, which the
    supervisor turns into one line per item (dtoverlay needs that)."""
    found = {}
    for key, value in profile.pi.config_txt.items():
        text = ",".join(f'"{v}"' for v in value) if isinstance(value, list) else value
        found[CONFIG_PREFIX + key] = text
    return found


class BalenaBackend:
    name = "balena"

    def __init__(
        self, settings: BalenaSettings, connect: Callable[[str | None], Any], device_type: str
    ) -> None:
        self.settings = settings
        self._connect = connect
        self.device_type = device_type  # the fleet's default device type
        self._sdk: Any = None
        self.fleet_id: int | None = None

    @property
    def sdk(self) -> Any:
        if self._sdk is None:
            self._sdk = self._connect(self.settings.api_url)
        return self._sdk

    @property
    def slug(self) -> str:
        return f"{self.settings.organization}/{self.settings.fleet.lower()}"

    def release(self, target: Target) -> int | None:
        return self.settings.release_for(target.unit, target.village.division)

    def shape(self, target: Target) -> str:
        lines = [f"balena/{FORMAT}", self.slug]
        for group in (env_vars(target), tags(target), config_vars(target.profile)):
            lines += [f"{k}={v}" for k, v in sorted(group.items())]
        release = self.release(target)
        if release is not None:  # a new release changes the fingerprint: plan says update
            lines.append(f"release={release}")
        return "\n".join(lines)

    def prepare(self, state: BackendState, save: Callable[[], None]) -> None:
        """The fleet, found by its slug or created."""
        from balena import exceptions

        models = self.sdk.models
        try:
            fleet = models.application.get(self.slug)
        except exceptions.ApplicationNotFound:
            fleet = models.application.create(
                self.settings.fleet, self.device_type, self.settings.organization
            )
        except exceptions.BalenaException as exc:  # its text is in `message`, str() is empty
            reason = getattr(exc, "message", "") or type(exc).__name__
            raise BalenaUnavailable(f"balena fleet {self.slug}: {reason}") from None
        if state.fleet_id != fleet["id"]:
            state.fleet_id = int(fleet["id"])
            save()
        self.fleet_id = state.fleet_id

    def deliver(
        self, target: Target, fingerprint: str, unit_state: UnitState, save: Callable[[], None]
    ) -> None:
        models = self.sdk.models
        if unit_state.uuid is None:
            unit_state.uuid = models.device.generate_uuid()
            save()  # before registering: a resumed run looks for this UUID first
        uuid = unit_state.uuid
        if not unit_state.registered:
            if not models.device.has(uuid):
                reply = models.device.register(self.fleet_id, uuid, target.profile.board)
                # balena-sdk 17.3.0 sends /device/register (and the provisioning key request
                # before it) without checking the HTTP status: a refusal comes back as the
                # error body, a str, instead of an exception
                if not (isinstance(reply, dict) and reply.get("uuid") == uuid):
                    raise BalenaUnavailable(f"registration refused: {str(reply)[:200]}")
            unit_state.registered = True
            save()
        env, config = env_vars(target), config_vars(target.profile)
        for key, value in env.items():
            models.device.env_var.set(uuid, key, value)
        for key, value in tags(target).items():
            models.device.tags.set(uuid, key, value)
        for key, value in config.items():
            models.device.config_var.set(uuid, key, value)
        # what an earlier delivery set and this one does not (a profile without a config.txt
        # key any more, a hub URL taken out) goes; the rest of the device's variables stay
        for kind, now, model in (("env", env, models.device.env_var),
                                 ("config", config, models.device.config_var)):  # fmt: skip
            for key in sorted(set(unit_state.managed.get(kind, [])) - now.keys()):
                model.remove(uuid, key)
            unit_state.managed[kind] = sorted(now)
        release = self.release(target)
        if release is not None:
            models.device.pin_to_release(uuid, release)

    def withdraw(self, unit: str, unit_state: UnitState) -> None:
        """A revoked unit keeps its device record (its history) but loses its identity."""
        if unit_state.uuid is not None and unit_state.registered:
            self.sdk.models.device.env_var.remove(unit_state.uuid, IDENTITY_VAR)
            self.sdk.models.device.tags.set(unit_state.uuid, "revoked", "yes")

    def status(self, unit: str, unit_state: UnitState | None) -> str:
        if unit_state is None or not unit_state.registered or unit_state.uuid is None:
            return "not registered"
        device = self.sdk.models.device
        status = device.get_status(unit_state.uuid)
        online = "online" if device.is_online(unit_state.uuid) else "offline"
        return f"{status}, {online}"
