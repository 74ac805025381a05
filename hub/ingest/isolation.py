"""Commit a batch of messages so that one message the database refuses never takes its
neighbours down.

The happy path is one transaction for the whole batch, as before. When that commit fails and
the error blames a value (hub/faults.py), the batch is bisected: each half is tried in
a transaction of its own, a half that commits is done, a half that fails is split again, and a
single message that fails alone is dead-lettered with the database's reason. When the error
does not blame a value (the database is down), it propagates: nothing is dead-lettered and
the consumer tries the whole batch again later.

Cost: with k refused messages in a batch of n, about 2·k·log2(n) extra transactions, and only
when a commit failed. A commit that fails costs no fsync, so the price is mostly the good
halves' commits.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from hub.faults import blames_the_data, describe_fault
from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import Intake, refused
from mqttio import Received
from protocol.errors import ProtocolError
from protocol.messages import ConfigReported

log = logging.getLogger("bianmin.hub.ingest")
Take = Callable[[Sequence[Received]], Intake]


class RefusedByDatabase(ProtocolError):
    """A message that passed validation but that the database would not store; its code is
    the dead letter's reason code."""

    code = "database_refused"


@dataclass
class Outcome:
    """What was committed: the acks and reports to pass on, and counts for the stats."""

    acks: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    reports: list[tuple[str, ConfigReported]] = field(default_factory=list)
    online: set[str] = field(default_factory=set)  # units whose presence said online
    messages: int = 0
    events: int = 0
    inserted: int = 0
    dead_letters: int = 0
    refused: int = 0  # messages the database would not store, dead-lettered with its reason
    lost: int = 0  # refused messages whose dead letter could not be stored either
    commits: int = 0  # transactions tried

    def add(self, intake: Intake, inserted: set[uuid.UUID]) -> None:
        for unit, ids in intake.acks.items():
            self.acks[unit].extend(ids)
        self.reports += intake.reports
        self.online |= intake.batch.online()
        self.messages += intake.messages
        self.events += intake.events
        self.inserted += len(inserted)
        self.dead_letters += len(intake.batch.dead)


def commit_messages(
    engine: Engine,
    messages: Sequence[Received],
    take: Take,
    now: datetime,
    *,
    first: Intake | None = None,
) -> Outcome:
    """Commit ``messages`` (``take`` turns them into a batch; ``first``: what it gave for all
    of them, already); isolate and dead-letter the ones the database refuses. Raises when the
    database, not a message, is the problem."""
    run = _Isolation(engine, take, now)
    failure = run.attempt(messages, first)
    if failure is not None:
        log.info(
            "a batch of %d messages failed at commit (%s); isolating the cause",
            len(messages),
            describe_fault(failure),
        )
        run.settle(messages, failure)
    return run.outcome


class _Isolation:
    def __init__(self, engine: Engine, take: Take, now: datetime) -> None:
        self.engine = engine
        self.take = take
        self.now = now
        self.outcome = Outcome()
        self.dbapi = engine.dialect.loaded_dbapi

    def attempt(
        self, messages: Sequence[Received], intake: Intake | None = None
    ) -> BaseException | None:
        """Commit ``messages`` in one transaction; the error if the data is to blame (anything
        else propagates)."""
        if intake is None:
            intake = self.take(messages)
        self.outcome.commits += 1
        try:
            inserted = commit_ingest_batch(self.engine, intake.batch)
        except Exception as exc:
            if not blames_the_data(exc, self.dbapi):
                raise
            return exc
        self.outcome.add(intake, inserted)
        return None

    def settle(self, messages: Sequence[Received], failure: BaseException) -> None:
        """``messages`` failed together with ``failure``: commit what goes in, refuse the rest."""
        if len(messages) == 1:
            self.refuse(messages[0], failure)
            return
        half = len(messages) // 2
        left, right = messages[:half], messages[half:]
        left_failure = self.attempt(left)
        if left_failure is not None:
            self.settle(left, left_failure)
            right_failure = self.attempt(right)
        elif len(right) > 1:
            # the left half went in, so the cause is in the right half: no need to try it whole
            right_failure = failure
        else:
            right_failure = self.attempt(right)  # alone, for its own reason
        if right_failure is not None:
            self.settle(right, right_failure)

    def refuse(self, msg: Received, failure: BaseException) -> None:
        reason = describe_fault(failure)
        log.warning("dead-lettering a message on %s the database refused: %s", msg.topic, reason)
        intake = refused(msg, RefusedByDatabase(reason), self.now)
        self.outcome.commits += 1
        self.outcome.refused += 1
        try:
            commit_ingest_batch(self.engine, intake.batch)
        except Exception as exc:
            if not blames_the_data(exc, self.dbapi):
                raise
            # Not acknowledged either: the unit sends it again and it is refused again.
            self.outcome.lost += 1
            log.error("the dead letter for %s could not be stored: %s", msg.topic, exc)
            return
        self.outcome.add(intake, set())
