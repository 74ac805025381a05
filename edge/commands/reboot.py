"""The real reboot hook: the command the unit's settings name (``reboot_command``, e.g.
``["sudo", "-n", "/usr/bin/systemctl", "reboot"]`` with a sudoers line for the agent's user),
run once the `reboot` command's answer is on its way."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("bianmin.edge.commands")


class CommandRebooter:
    def __init__(self, command: list[str]) -> None:
        self.command = list(command)

    async def reboot(self) -> None:
        log.warning("rebooting: %s", " ".join(self.command))
        proc = await asyncio.create_subprocess_exec(*self.command)
        code = await proc.wait()
        if code != 0:
            log.error("the reboot hook exited with status %d", code)
