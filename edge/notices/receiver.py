"""The unit's side of the `cmd` channel: each message is opened in the safe order (size, JSON,
the signature on the raw object against the pinned hub key, the model, this unit), stored
(idempotent by id), and only then answered on `cmd/result` with the same id. A case notice is
stored in the inbox; an operator command (``unit.command``) is done once by the command runner
(edge.commands), and what must follow its answer (a reconnect, a reboot) runs after it.

A refused message is answered too when it carries an id (``ok: false`` with the reason's
code), so the hub stops sending what this unit will never accept; one without an id is only
logged. One bad message never stops the next: they are handled one at a time, in order, off
the link's callback.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge.notices.inbox import NoticeInbox
from protocol import topics
from protocol.bounds import MAX_TEXT, printable
from protocol.command import COMMAND_KIND
from protocol.errors import ProtocolError
from protocol.messages import CommandResult, encode, utc_now
from protocol.notice import NOTICE_KIND, open_signed_notice, parse_command, raw_id
from protocol.signing import Verifier
from protocol.topics import Channel

if TYPE_CHECKING:
    from edge.commands.runner import CommandRunner

log = logging.getLogger("bianmin.edge.notices")
Publish = Callable[[str, bytes, int, bool], bool]
MAX_QUEUED = 256  # commands waiting; beyond it the oldest wait for the hub's next publication
AFTER_ANSWER_S = 0.5  # a reconnect or reboot waits this long for its answer to leave


@dataclass
class ReceiverStats:
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    dropped: int = 0
    handled: int = 0  # commands taken off the queue and done with, answered or not


class NoticeReceiver:
    def __init__(
        self,
        unit: str,
        *,
        key: Verifier | None,  # the pinned key, or the unit's trust list (edge/trust.py)
        inbox: NoticeInbox,
        publish: Publish,
    ) -> None:
        self.unit = unit
        self.key = key
        self.inbox = inbox
        self.publish = publish
        self.stats = ReceiverStats()
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._topic = topics.topic(unit, Channel.CMD_RESULT)
        self.commands: CommandRunner | None = None  # operator commands (edge.commands)
        self._after: Callable[[], Awaitable[None]] | None = None
        self._background: set[asyncio.Task[None]] = set()

    def on_command(self, payload: bytes) -> None:
        """The link's hook for every message on this unit's `cmd` topic."""
        if len(self._queue) >= MAX_QUEUED:
            self._queue.popleft()  # unanswered: the hub publishes it again
            self.stats.dropped += 1
        self._queue.append(payload)
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                result = await self.handle(self._queue.popleft())
                if result is not None:
                    # offline: the hub publishes again after the reconnect, and is answered then
                    self.publish(self._topic, encode(result), 1, False)
                after, self._after = self._after, None
                if after is not None:
                    self._run_after(after)
                self.stats.handled += 1

    @property
    def pending_after(self) -> int:
        """What follows answers already sent (a reconnect, a reboot) and has not run yet."""
        return len(self._background)

    def _run_after(self, after: Callable[[], Awaitable[None]]) -> None:
        async def later() -> None:
            await asyncio.sleep(AFTER_ANSWER_S)
            try:
                await after()
            except Exception:
                log.exception("%s: what follows a command's answer failed", self.unit)

        task = asyncio.create_task(later())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def handle(self, payload: bytes) -> CommandResult | None:
        """Open, store and answer one command; None when there is nobody to answer."""
        command_id: uuid.UUID | None = None
        try:
            raw = parse_command(payload)
            command_id = raw_id(raw)
            if raw.get("kind") == COMMAND_KIND and command_id is not None:
                return await self._command(command_id, raw)
            if raw.get("kind") != NOTICE_KIND:
                raise UnknownCommand(f"unknown command kind {str(raw.get('kind'))[:40]!r}")
            if self.key is None:
                raise NoPinnedKey("no hub public key was pinned at provisioning")
            notice = open_signed_notice(raw, key=self.key, unit=self.unit)
        except ProtocolError as exc:
            self.stats.refused += 1
            log.warning("%s: refused a command on cmd: %s: %s", self.unit, exc.code, exc)
            if command_id is None:
                return None
            return _result(command_id, False, f"{exc.code}: {exc}")
        try:
            new = await asyncio.to_thread(self.inbox.add, notice, payload)
        except Exception:
            # not stored, so not answered: the hub publishes it again
            log.exception("%s: could not store notice %s", self.unit, notice.id)
            return None
        if new:
            self.stats.stored += 1
            log.info("%s: stored %s for case %s", self.unit, notice.label, notice.case_ref)
        else:
            self.stats.duplicates += 1
        return _result(notice.id, True, "stored" if new else "stored already")

    async def _command(self, command_id: uuid.UUID, raw: dict[str, object]) -> CommandResult | None:
        if self.commands is None:
            raise NoPinnedKey("no hub public key was pinned at provisioning")
        try:
            outcome = await self.commands.handle(raw)
        except ProtocolError as exc:
            self.stats.refused += 1
            log.warning("%s: refused command %s: %s: %s", self.unit, command_id, exc.code, exc)
            return _result(command_id, False, f"{exc.code}: {exc}")
        if outcome.retry:  # not now: unanswered, so the hub publishes it again later
            return None
        self._after = outcome.after
        try:
            return CommandResult(
                id=command_id, ok=outcome.ok, detail=outcome.detail, ts=utc_now(),
                data=outcome.data,
            )  # fmt: skip
        except ValueError as exc:  # data beyond the protocol's bounds: say so, not crash
            log.error(
                "%s: command %s gave data the protocol refuses: %s", self.unit, command_id, exc
            )
            return _result(command_id, False, "the unit's answer did not fit the protocol")


class UnknownCommand(ProtocolError):
    code = "unknown_command"


class NoPinnedKey(ProtocolError):
    code = "no_pinned_key"


def _result(command_id: uuid.UUID, ok: bool, detail: str) -> CommandResult:
    return CommandResult(id=command_id, ok=ok, detail=printable(detail, MAX_TEXT), ts=utc_now())
