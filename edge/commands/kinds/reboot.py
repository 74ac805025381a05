"""`reboot`: restart the machine through the unit's reboot hook, after the answer is sent.
The answer is kept (edge.commands.store), so the copy the hub publishes again after the
reboot is answered without rebooting twice."""

from __future__ import annotations

from edge.commands.base import CommandContext, Outcome
from protocol.command import UnitCommand

NAME = "reboot"


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    rebooter = ctx.rebooter
    if rebooter is None:
        return Outcome(False, "no reboot hook on this unit (edge setting reboot_command)")
    if ctx.busy():
        return Outcome(False, "a case is open at the window; not rebooting now")
    return Outcome(True, "rebooting", after=rebooter.reboot)
