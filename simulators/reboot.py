"""A unit's reboot hook for simulations and tests: counts the reboots it was asked for (the
real hook, edge.commands.reboot, runs systemctl)."""

from __future__ import annotations


class SimulatedRebooter:
    def __init__(self) -> None:
        self.reboots = 0

    async def reboot(self) -> None:
        self.reboots += 1
