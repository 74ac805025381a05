"""`erase_resident`: erase one resident's data on this unit (hub.residents sends it to every
unit that served them): their enrolled face template and its link, the signatures of their
cases, their entries in the agents' lists of cases to carry. Answered with counts only.

Not now, but later (``Outcome.retry``: no answer, so the hub publishes it again after its
back-off until it expires) while the resident's case is open at the window, or while events of
their cases wait in the outbox: erasing under an open case would break it, and the hub must
receive every event before it can erase the resident from what they made. Done once per
command id (edge.commands.store), and a second command finds nothing more to erase.
"""

from __future__ import annotations

import asyncio
import json
import re

from edge.commands.base import CommandContext, Outcome
from edge.erasure import erase_resident
from edge.retention import RESIDENTS_FILE
from edge.window.residents import ResidentFaces
from edge.window.store import AGENT_PENDING
from protocol.command import UnitCommand

NAME = "erase_resident"
_REF = re.compile(r"^[0-9a-f]{32}$")
_CASE = re.compile(r"^[0-9a-f-]{36}$")
SCAN_CHUNK = 500


def case_ids(text: object) -> list[str]:
    """The case ids of the ``cases`` argument (comma-separated UUIDs); others are ignored."""
    if not isinstance(text, str):
        return []
    return [c for c in (p.strip() for p in text.split(",")) if _CASE.match(c)]


def _undelivered(ctx: CommandContext, needles: list[bytes]) -> int:
    """Events still in the outbox that name the resident or one of their cases."""
    found, seq = 0, 0
    while batch := ctx.event_log.after(seq, SCAN_CHUNK):
        found += sum(1 for e in batch if any(n in e.payload for n in needles))
        seq = batch[-1].seq
    return found


async def _drop_pending(ctx: CommandContext, cases: set[str]) -> int:
    raw = ctx.event_log.get_state(AGENT_PENDING)
    if not raw or not cases:
        return 0
    entries = json.loads(raw)
    kept = [e for e in entries if e.get("case_id") not in cases]
    if len(kept) != len(entries):
        await ctx.event_log.put_state({AGENT_PENDING: json.dumps(kept, ensure_ascii=False)})
    return len(entries) - len(kept)


async def _behind(ctx: CommandContext, generation: object) -> bool:
    """Whether the command's reference generation is past the unit's (protocol.idchain)."""
    if not isinstance(generation, int) or generation <= 1:
        return False
    residents = ResidentFaces(ctx.data_dir / RESIDENTS_FILE)
    return generation > await asyncio.to_thread(residents.generation)


async def handle(command: UnitCommand, ctx: CommandContext) -> Outcome:
    ref = command.args.get("applicant")
    if not isinstance(ref, str) or not _REF.match(ref):
        return Outcome(False, "applicant must be a reference (32 hex digits)")
    cases = case_ids(command.args.get("cases"))
    if await _behind(ctx, command.args.get("generation")):
        # the reference is of a generation this unit has not reached: its rekey_references
        # (already issued by the hub) moves the resident's link there first
        return Outcome(False, "the unit's references are not re-keyed yet", retry=True)
    if ctx.open_applicant() == ref:
        return Outcome(False, "the resident's case is open at the window", retry=True)
    waiting = _undelivered(ctx, [ref.encode(), *(c.encode() for c in cases)])
    if waiting:
        detail = f"{waiting} events of the resident's cases are not delivered yet"
        return Outcome(False, detail, retry=True)
    erased = await asyncio.to_thread(erase_resident, ctx.data_dir, ref, cases)
    counts = erased.counts() | {"carry_list": await _drop_pending(ctx, set(cases))}
    said = ", ".join(f"{v} {k}" for k, v in counts.items())
    return Outcome(True, f"resident erased: {said}", data=counts)
