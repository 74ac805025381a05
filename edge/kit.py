"""What a unit is built from beyond its settings: its devices, its camera, its keys and, for a
unit without a window, where its cases and device statuses come from.

`edge run` uses ``RealKit``: drivers named by the county's hardware profile and keys from the
provisioning files. The simulators assemble a kit of the same shape from simulated parts
(simulators/kit.py); the agent and the window never know which one they were given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from edge.devices.bundle import Devices, real_devices
from edge.errors import SettingsError
from edge.settings import EdgeSettings
from firmware_config.schema import HardwareProfile

if TYPE_CHECKING:
    from edge.eventlog import EventLog
    from edge.health import DeviceProbe
    from edge.window.camera import CameraDevice

# A source of case events for a unit without a window (the simulated fleet): runs until the
# event is set.
EventSource = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class WindowKeys:
    """The keys provisioning gives a window: for ID-number references and face templates."""

    id_key: bytes | None  # None: the window asks the hub for references (edge.window.references)
    template_key: bytes


class UnitKit(Protocol):
    def initial_profile(self) -> HardwareProfile | None:
        """The profile to build the window from before the county's configuration arrives;
        None: wait for the county's (real devices must match what is plugged in)."""
        ...

    def devices(self, profile: HardwareProfile) -> Devices: ...

    def camera(self, profile: HardwareProfile) -> CameraDevice | None: ...

    def keys(self) -> WindowKeys: ...

    def device_probe(self) -> DeviceProbe | None:
        """Device statuses for the heartbeat of a unit without a window; None if it has none."""
        ...

    def case_source(self, event_log: EventLog) -> EventSource | None:
        """Case events of a unit without a window, appended to ``event_log``; None for a real
        unit (its window makes them)."""
        ...

    async def close(self) -> None: ...


class RealKit:
    """The hardware of a real unit, from its profile, and its keys from provisioning files."""

    def __init__(self, settings: EdgeSettings) -> None:
        self.settings = settings

    def initial_profile(self) -> HardwareProfile | None:
        return None

    def devices(self, profile: HardwareProfile) -> Devices:
        return real_devices(profile)

    def camera(self, profile: HardwareProfile) -> CameraDevice | None:
        from edge.camera import make_camera
        from edge.window.camera import CameraDevice

        return CameraDevice(make_camera(profile.camera), profile.camera.backend)

    def keys(self) -> WindowKeys:
        s = self.settings
        id_key = s.window_id_key()
        template_key = s.window_template_key()
        if template_key is None:
            raise SettingsError("the window needs its keys: --bundle DIR, or --template-key-file")
        return WindowKeys(id_key, template_key[:32])

    def device_probe(self) -> DeviceProbe | None:
        return None

    def case_source(self, event_log: EventLog) -> EventSource | None:
        return None

    async def close(self) -> None:
        return None
