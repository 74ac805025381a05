"""Open a `unit.command` (signature first, against the pinned key, through protocol.command),
do it once per id and say how it went. Called by the `cmd` receiver (edge.notices.receiver),
which answers on `cmd/result` and then runs what must come after the answer."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from edge.commands.base import CommandContext, Outcome
from edge.commands.kinds import HANDLERS
from edge.commands.store import CommandStore
from protocol.bounds import MAX_TEXT, printable
from protocol.command import UnknownCommand, open_signed_command
from protocol.signing import Verifier

log = logging.getLogger("bianmin.edge.commands")


class CommandRunner:
    def __init__(
        self, unit: str, *, key: Verifier, store: CommandStore, context: CommandContext
    ) -> None:
        self.unit = unit
        self.key = key
        self.store = store
        self.context = context
        self.done = 0

    async def handle(self, raw: dict[str, Any]) -> Outcome:
        """Raises ProtocolError for a command to refuse (the receiver answers it)."""
        command = open_signed_command(raw, key=self.key, unit=self.unit, now=datetime.now(UTC))
        handler = HANDLERS.get(command.name)
        if handler is None:  # a kind the hub knows and this unit's version does not
            raise UnknownCommand(f"this unit does not know the command {command.name!r}")
        earlier = await asyncio.to_thread(self.store.done, str(command.id))
        if earlier is not None:
            ok, detail, data = earlier
            return Outcome(ok, detail, data)
        try:
            outcome = await handler(command, self.context)
        except Exception as exc:  # a failing command is answered, and the unit goes on
            log.exception("%s: command %s (%s) failed", self.unit, command.id, command.name)
            outcome = Outcome(False, f"failed: {type(exc).__name__}: {exc}")
        detail = printable(outcome.detail, MAX_TEXT)
        if outcome.retry:  # not kept: the copy the hub publishes again is tried again
            log.info("%s: command %s %s not now: %s", self.unit, command.name, command.id, detail)
            return Outcome(outcome.ok, detail, retry=True)
        await asyncio.to_thread(
            self.store.record, str(command.id), command.name, outcome.ok, detail, outcome.data
        )
        self.done += 1
        log.info("%s: command %s %s: %s", self.unit, command.name, command.id, detail)
        return Outcome(outcome.ok, detail, outcome.data, outcome.after)
