"""The hub's ingest consumer: reads units' messages from the broker, commits them in batches,
and only then acknowledges them to the units.

Back-pressure: received messages wait in a bounded queue; past the high-water mark the consumer
stops reading its socket, so the broker (and behind it the units' outboxes) holds the backlog
instead of this process's memory. Reading resumes below the low-water mark.

Stopping: reading stops, the batch being committed is finished and acknowledged, and then the
connection closes. Messages still queued are dropped unacknowledged; units resend them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from hub.ingest.batch import commit_ingest_batch
from hub.ingest.intake import Intake, take
from hub.settings import HubSettings
from mqttio import AsyncMqttClient, BrokerUrl, NotConnected, Received
from protocol import topics
from protocol.messages import MAX_ACK_IDS, Ack, encode
from protocol.topics import Channel

log = logging.getLogger("bianmin.hub.ingest")
MAX_BATCH_BYTES = 8 * 1024 * 1024
# how long stop() waits for the batch in flight; a database that hangs longer costs only resends
STOP_TIMEOUT_S = 10.0


@dataclass
class IngestStats:
    messages: int = 0
    events: int = 0
    inserted: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    batches: int = 0
    db_errors: int = 0
    pauses: int = 0
    queued: int = 0
    queued_bytes: int = 0
    last_batch_ms: float = 0.0
    connected: bool = False


class IngestConsumer:
    def __init__(self, settings: HubSettings, engine: Engine, url: BrokerUrl) -> None:
        self.settings = settings
        self.engine = engine
        self.stats = IngestStats()
        self._queue: deque[Received] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._paused = False
        self._stopping = False
        self._writer_task: asyncio.Task[None] | None = None
        self.on_reports: list[Any] = []  # callbacks for config/reported (rollouts)
        subs = [topics.subscription(ch) for ch in Channel if ch.upstream]
        if settings.shared_subscription:
            # tx is split between hub processes; presence and heartbeats too, as each is
            # written once whichever process receives it.
            subs = [topics.shared(s) for s in subs]
        self.client = AsyncMqttClient(
            url,
            client_id=topics.hub_client_id(settings.instance, "ingest"),
            on_message=self._on_message,
            subscriptions=[(s, 1) for s in subs],
            tls_ca_file=str(settings.tls_ca_file) if settings.tls_ca_file else None,
            max_inflight=1000,
        )

    async def run(self) -> None:
        writer = self._writer_task = asyncio.create_task(self._writer(), name="ingest-writer")
        try:
            await self.client.run()
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def stop(self) -> None:
        """Stop reading, let the batch in flight commit and its acks go out, then disconnect."""
        self._stopping = True
        self.client.pause_reading()
        self._wake.set()
        writer = self._writer_task
        try:
            if writer is not None and not writer.done():
                await asyncio.wait_for(asyncio.shield(writer), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("stopped with a commit still running; its units will resend")
        except Exception:
            pass  # the writer's own failure, which run() raises
        finally:
            await self.client.stop()

    def snapshot(self) -> dict[str, Any]:
        self.stats.queued = len(self._queue)
        self.stats.queued_bytes = self._queued_bytes
        self.stats.connected = self.client.connected
        return asdict(self.stats)

    # -- receiving --------------------------------------------------------------------------

    def _on_message(self, msg: Received) -> None:
        self._queue.append(msg)
        self._queued_bytes += len(msg.payload)
        self._wake.set()
        if not self._paused and self._queued_bytes >= self.settings.ingest_queue_high_bytes:
            self._paused = True
            self.stats.pauses += 1
            self.client.pause_reading()

    def _take_batch(self) -> list[Received]:
        out: list[Received] = []
        size = 0
        limit = self.settings.ingest_batch_messages
        while self._queue and len(out) < limit and size < MAX_BATCH_BYTES:
            msg = self._queue.popleft()
            out.append(msg)
            size += len(msg.payload)
        self._queued_bytes -= size
        return out

    # -- writing ----------------------------------------------------------------------------

    async def _writer(self) -> None:
        while not self._stopping:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue  # woken by a message, or by stop()
            messages = self._take_batch()
            started = time.perf_counter()
            try:
                intake = await asyncio.to_thread(self._commit, messages)
            except Exception:
                # Nothing is acknowledged, so units resend; wait before retrying the database.
                self.stats.db_errors += 1
                log.exception("ingest commit failed; %d messages will be resent", len(messages))
                await asyncio.sleep(1.0)
                continue
            self.stats.last_batch_ms = round((time.perf_counter() - started) * 1000, 2)
            self._acknowledge(intake)
            for callback in self.on_reports:
                for unit, report in intake.reports:
                    callback(unit, report)
            if (
                self._paused
                and not self._stopping
                and self._queued_bytes <= self.settings.ingest_queue_low_bytes
            ):
                self._paused = False
                self.client.resume_reading()

    def _commit(self, messages: list[Received]) -> Intake:
        intake = take(messages, datetime.now(UTC))
        inserted = commit_ingest_batch(self.engine, intake.batch)
        s = self.stats
        s.messages += intake.messages
        s.events += intake.events
        s.inserted += len(inserted)
        s.duplicates += intake.events - len(inserted)
        s.dead_letters += len(intake.batch.dead)
        s.batches += 1
        return intake

    def _acknowledge(self, intake: Intake) -> None:
        # QoS 0 on purpose: an ack is idempotent and a lost one only makes the unit resend,
        # which earns another ack; QoS 1 would add a PUBACK per ack and guarantee nothing more
        # (sessions are clean, so an offline unit misses it either way).
        for unit, ids in intake.acks.items():
            for i in range(0, len(ids), MAX_ACK_IDS):
                payload = encode(Ack(ids=ids[i : i + MAX_ACK_IDS]))
                try:
                    self.client.publish(topics.topic(unit, Channel.ACK), payload, qos=0)
                except NotConnected:
                    return  # units resend after their ack timeout
