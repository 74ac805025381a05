"""`rotate_credentials`: keep the new broker password as pending, durably, before answering;
the link tries it first from the next connection on and forgets the old one once it worked
(edge.link.credentials). The broker's switch (dynsec) then disconnects this unit, which comes
back with the new password."""

from __future__ import annotations

import asyncio

from edge.commands.base import CommandContext, Outcome
from protocol.command import UnitCommand

NAME = "rotate_credentials"


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    creds = ctx.credentials
    if creds is None:
        return Outcome(False, "this unit connects without a password of its own")
    password, generation = command.args["password"], command.args["generation"]
    # protocol.command.check_args has checked both types
    if not isinstance(password, str) or not isinstance(generation, int):
        return Outcome(False, "password and generation are needed")
    if len(password) < 16:
        return Outcome(False, "the new password is too short")
    new = await asyncio.to_thread(creds.store_pending, password, generation)
    state = "stored as pending" if new else "already in use"
    return Outcome(True, f"password of generation {generation} {state}")
