"""`reconcile`: read the retained configuration again and report it (config/reported), as
after a reconnect: the applier re-reports the version it runs, or applies a newer one."""

from __future__ import annotations

from edge.commands.base import CommandContext, Outcome
from protocol.command import UnitCommand

NAME = "reconcile"


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    if not ctx.link.reconcile_config():
        return Outcome(False, "not connected to the broker")
    version = ctx.config_version()
    return Outcome(True, f"configuration asked for again; running version {version}")
