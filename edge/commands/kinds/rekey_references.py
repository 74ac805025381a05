"""`rekey_references`: the hub rotated its ID reference key (hub.window.rekey); this unit moves
the references it keeps to the new generation: each enrolled face template's link to its
resident (``pairs``: old reference -> new, secret, only those this unit may hold), and the
generation it asks the hub for from now on (edge.window.references). Answered with a count.

Not now, but later (``Outcome.retry``) while a case is open at the window: its applicant's
reference is of the old generation, and the events it still makes must say so. Events already
in the outbox carry their generation (``ref_generation``) and the hub carries them forward, so
they need not wait. Done once per command id; a second finds nothing left to move.
"""

from __future__ import annotations

import asyncio

from edge.commands.base import CommandContext, Outcome
from edge.retention import RESIDENTS_FILE
from edge.window.residents import ResidentFaces
from protocol import idchain
from protocol.command import UnitCommand

NAME = "rekey_references"


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    generation = command.args.get("generation")
    if not isinstance(generation, int) or generation < idchain.FIRST + 1:
        return Outcome(False, "generation must be a whole number from 2")
    if ctx.busy():
        return Outcome(False, "a case is open at the window", retry=True)
    residents = ResidentFaces(ctx.data_dir / RESIDENTS_FILE)
    pairs = idchain.parse_pairs(command.args.get("pairs"))
    moved = await asyncio.to_thread(residents.rekey, generation, pairs)
    now = await asyncio.to_thread(residents.generation)
    return Outcome(
        True, f"{moved} references moved; generation {now}",
        data={"moved": moved, "generation": now},
    )  # fmt: skip
