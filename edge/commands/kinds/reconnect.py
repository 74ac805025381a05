"""`reconnect`: drop the broker connection and connect again, once the answer is sent."""

from __future__ import annotations

from edge.commands.base import CommandContext, Outcome
from protocol.command import UnitCommand

NAME = "reconnect"


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    async def after() -> None:
        ctx.link.reconnect()

    return Outcome(True, "reconnecting", after=after)
