"""The hub's ingest consumer: reads units' messages from the broker, commits them in batches,
and only then acknowledges them to the units.

Back-pressure: received messages wait in a bounded queue; past the high-water mark the consumer
stops reading its socket, so the broker (and behind it the units' outboxes) holds the backlog
instead of this process's memory. Reading resumes below the low-water mark.

Failures: a message the database refuses is isolated and dead-lettered, and the rest of its
batch committed (hub/ingest/isolation.py). A database that is unavailable is nobody's fault:
the batch is kept and tried again, with growing pauses, until it commits.

Sharing: on Mosquitto or EMQX hub processes split the units' traffic through $share/hub/...;
on a NATS cluster (settings.broker_engine "nats") through a native queue group
(hub/ingest/natsqueue.py), with the MQTT connection kept for what the hub publishes.

Receiving: on Mosquitto or EMQX the subscription is read by the lean MQTT 5 receiver
(mqttio/lean.py, settings.ingest_receiver "lean"), which PUBACKs each message only once its
batch is committed and sends the batch's acks to units in one write; paho's client keeps the
hub's other publications. With "paho" the one paho connection does both, as before.

Stopping: reading stops, the batch being committed is finished and acknowledged, and then the
connection closes. Messages still queued are dropped unacknowledged; units resend them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from hub.commands.revocation import revoked_units
from hub.ingest.fastpath import ack_json
from hub.ingest.intake import Intake, take
from hub.ingest.isolation import Outcome, commit_messages
from hub.ingest.natsqueue import NatsQueueSource
from hub.settings import HubSettings
from hub.window.idgen import GenerationCache, Generations, RotationUnderWay
from mqttio import AsyncMqttClient, BrokerUrl, NotConnected, Received
from mqttio.lean import LeanSubscriber
from protocol import topics
from protocol.messages import MAX_ACK_IDS, ack_payload
from protocol.topics import HUB_USER, Channel

log = logging.getLogger("bianmin.hub.ingest")
MAX_BATCH_BYTES = 8 * 1024 * 1024
# how long stop() waits for the batch in flight; a database that hangs longer costs only resends
STOP_TIMEOUT_S = 10.0
# pauses between tries of a batch while the database is unavailable
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 15.0


BATCH_BUCKETS = (1, 10, 100, 1000, 5000)


@dataclass
class IngestStats:
    messages: int = 0
    events: int = 0
    inserted: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    refused: int = 0  # messages the database would not store, dead-lettered at commit
    batches: int = 0
    isolations: int = 0  # batches that had to be split to find what the database refused
    db_errors: int = 0  # commits that failed with the database unavailable (then retried)
    pauses: int = 0
    queued: int = 0
    queued_bytes: int = 0
    last_batch_ms: float = 0.0
    # how long the oldest message still waiting for the database has waited (0: none waits)
    lag_s: float = 0.0
    connected: bool = False
    # messages per committed batch, counted into BATCH_BUCKETS (upper bounds; the last is +inf)
    batch_sizes: list[int] = field(default_factory=lambda: [0] * (len(BATCH_BUCKETS) + 1))
    batch_messages_sum: int = 0


REVOKED_REFRESH_S = 5.0


def carried(intake: Intake, gens: Generations) -> Intake:
    """``intake``, its events to be stored with references of ``gens.current``
    (hub.ingest.references, when the batch is written)."""
    intake.batch.generations = gens
    return intake


@dataclass(frozen=True)
class _Decoded:
    now: datetime
    revoked: frozenset[str]
    gens: Generations
    intake: Intake


class IngestConsumer:
    def __init__(
        self, settings: HubSettings, engine: Engine, url: BrokerUrl | Sequence[BrokerUrl]
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.stats = IngestStats()
        self._queue: deque[Received] = deque()
        self._arrived: deque[float] = deque()  # monotonic arrival time of each queued message
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._paused = False
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._writer_task: asyncio.Task[None] | None = None
        self.on_reports: list[Any] = []  # callbacks for config/reported (rollouts)
        self.on_commit: list[Callable[[], None]] = []  # after each batch (case projection)
        # units that came online in a committed batch (notices owed to them go out again)
        self.on_online: list[Callable[[set[str]], None]] = []
        # revoked units (hub.commands.revocation), read again every REVOKED_REFRESH_S: another
        # hub process may have revoked one
        self.revoked: frozenset[str] = frozenset()
        # the reference generation and chain keys, read again every few seconds like revoked
        self.generations = GenerationCache(settings.id_key_path, strict=not settings.local)
        self._revoked_at = -REVOKED_REFRESH_S
        subs = [topics.subscription(ch) for ch in Channel if ch.upstream]
        if settings.shared_subscription:
            # tx is split between hub processes; presence and heartbeats too, as each is
            # written once whichever process receives it.
            subs = [topics.shared(s) for s in subs]
        self.source: NatsQueueSource | None = None
        if settings.broker_engine == "nats":
            first = url if isinstance(url, BrokerUrl) else url[0]
            self.source = NatsQueueSource(
                settings.nats_urls,
                user=first.username or HUB_USER,
                password=first.password,
                name=topics.hub_client_id(settings.instance, "ingest"),
                on_message=self._on_message,
                pending_bytes=settings.ingest_queue_high_bytes,
            )
            subs = []  # the queue group reads; MQTT only publishes
        self.receiver: LeanSubscriber | None = None
        if self.source is None and settings.ingest_receiver == "lean":
            self.receiver = LeanSubscriber(
                url,
                client_id=topics.hub_client_id(settings.instance, "ingest"),
                on_message=self._on_message,
                subscriptions=[(s, 1) for s in subs],
                tls=settings.broker_tls(),
            )
            subs = []  # the lean receiver reads; paho only publishes
        self.client = AsyncMqttClient(
            url,
            client_id=topics.hub_client_id(settings.instance, "ingest"),
            on_message=self._on_message,
            subscriptions=[(s, 1) for s in subs],
            tls=settings.broker_tls(),
            max_inflight=1000,
            # On NATS what the hub publishes goes at QoS 0 (configs stay retained): no unit
            # subscribes at QoS 1 there, so JetStream would store each message for nobody.
            max_qos=0 if self.source is not None else 1,
        )

    @property
    def connected(self) -> bool:
        return (
            self.client.connected
            and (self.source is None or self.source.connected)
            and (self.receiver is None or self.receiver.connected)
        )

    async def wait_ready(self) -> None:
        """Until this process receives its share: SUBACK on MQTT, or membership of the NATS
        queue group (and the MQTT connection it publishes acks on)."""
        await self.client.wait_subscribed()
        if self.receiver is not None:
            await self.receiver.wait_subscribed()
        if self.source is not None:
            await self.source.joined.wait()

    async def run(self) -> None:
        writer = self._writer_task = asyncio.create_task(self._writer(), name="ingest-writer")
        source = None
        if self.source is not None:
            source = asyncio.create_task(self.source.run(), name="ingest-nats")
        receiver = None
        if self.receiver is not None:
            receiver = asyncio.create_task(self.receiver.run(), name="ingest-receiver")
        try:
            if receiver is not None and self.receiver is not None:
                # paho's connection comes second: whoever waits for it to publish (tests, the
                # rollout driver) then knows the subscription is in place too
                subscribed = asyncio.create_task(self.receiver.wait_subscribed())
                try:
                    await asyncio.wait((receiver, subscribed), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    subscribed.cancel()
            await self.client.run()
        finally:
            if receiver is not None and self.receiver is not None:
                await self.receiver.stop()
                with contextlib.suppress(asyncio.CancelledError):
                    await receiver
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            if source is not None and self.source is not None:
                await self.source.stop()
                source.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await source

    async def stop(self) -> None:
        """Stop reading, let the batch in flight commit and its acks go out, then disconnect."""
        self._stopping = True
        self._pause_reading()
        self._wake.set()
        self._stop_requested.set()
        writer = self._writer_task
        try:
            if writer is not None and not writer.done():
                await asyncio.wait_for(asyncio.shield(writer), STOP_TIMEOUT_S)
        except TimeoutError:
            log.warning("stopped with a commit still running; its units will resend")
        except Exception:
            pass  # the writer's own failure, which run() raises
        finally:
            if self.source is not None:
                await self.source.stop()
            if self.receiver is not None:
                await self.receiver.stop()
            await self.client.stop()

    def snapshot(self) -> dict[str, Any]:
        self.stats.queued = len(self._queue)
        self.stats.queued_bytes = self._queued_bytes
        self.stats.lag_s = time.monotonic() - self._arrived[0] if self._arrived else 0.0
        self.stats.connected = self.connected
        return asdict(self.stats)

    # -- receiving --------------------------------------------------------------------------

    def _on_message(self, msg: Received) -> None:
        self._queue.append(msg)
        self._arrived.append(time.monotonic())
        self._queued_bytes += len(msg.payload)
        self._wake.set()
        if not self._paused and self._queued_bytes >= self.settings.ingest_queue_high_bytes:
            self._paused = True
            self.stats.pauses += 1
            self._pause_reading()

    def _pause_reading(self) -> None:
        if self.source is not None:
            self.source.pause_reading()
        elif self.receiver is not None:
            self.receiver.pause_reading()
        else:
            self.client.pause_reading()

    def _take_batch(self) -> list[Received]:
        out: list[Received] = []
        size = 0
        limit = self.settings.ingest_batch_messages
        while self._queue and len(out) < limit and size < MAX_BATCH_BYTES:
            msg = self._queue.popleft()
            self._arrived.popleft()
            out.append(msg)
            size += len(msg.payload)
        self._queued_bytes -= size
        return out

    # -- writing ----------------------------------------------------------------------------

    async def _writer(self) -> None:
        # The next batch, taken and being decoded while this one commits: decoding is Python
        # (GIL), the commit mostly waits on the database (no GIL), so the two overlap. Commits
        # and their acks stay strictly one after the other.
        ahead: tuple[list[Received], asyncio.Future[_Decoded]] | None = None
        while not self._stopping:
            if ahead is not None:
                messages, decoded = ahead
                ahead = None
            elif not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue  # woken by a message, or by stop()
            else:
                messages = self._take_batch()
                decoded = asyncio.ensure_future(asyncio.to_thread(self._decode, messages))
            started = time.perf_counter()
            committing = asyncio.ensure_future(self._commit_until_stored(messages, decoded))
            if self._queue and not self._stopping:
                following = self._take_batch()
                ahead = following, asyncio.ensure_future(asyncio.to_thread(self._decode, following))
            outcome = await committing
            if outcome is None:
                return  # stopping while the database was unavailable: units resend
            self.stats.last_batch_ms = round((time.perf_counter() - started) * 1000, 2)
            self._acknowledge(outcome, messages)
            for callback in self.on_reports:
                for unit, report in outcome.reports:
                    callback(unit, report)
            for wake in self.on_commit:
                wake()
            if outcome.online:
                for callback in self.on_online:
                    callback(outcome.online)
            if (
                self._paused
                and not self._stopping
                and self._queued_bytes <= self.settings.ingest_queue_low_bytes
            ):
                self._paused = False
                if self.source is not None:
                    self.source.resume_reading()
                elif self.receiver is not None:
                    self.receiver.resume_reading()
                else:
                    self.client.resume_reading()

    async def _commit_until_stored(
        self, messages: list[Received], decoded: asyncio.Future[_Decoded]
    ) -> Outcome | None:
        """Commit the batch, trying again while the database is unavailable; None if stop()
        came first. Nothing is acknowledged or dead-lettered until a commit went through."""
        pause = RETRY_FIRST_S
        first: _Decoded | None = None
        with contextlib.suppress(Exception):  # decoding again below says what went wrong
            first = await decoded
        while True:
            try:
                if first is None:
                    first = await asyncio.to_thread(self._decode, messages)
                return await asyncio.to_thread(self._commit, messages, first)
            except RotationUnderWay:
                log.warning("ID reference key rotation under way: %d messages wait for it",
                            len(messages))  # fmt: skip
            except Exception:
                self.stats.db_errors += 1
                # the database is unavailable, or the hub is at fault: no message is
                log.exception(
                    "ingest commit failed, not for any message's sake; "
                    "%d messages wait and are tried again in %.0f s",
                    len(messages),
                    pause,
                )
            first = None  # decoded again for the next try (the revoked units may have changed)
            if self._stopping:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), pause)
            if self._stopping:
                return None
            pause = min(pause * 2, RETRY_MAX_S)

    def revoke(self, unit: str) -> None:
        """This process revoked ``unit``: refuse its messages from now on."""
        self.revoked = self.revoked | {unit}

    def _decode(self, messages: list[Received]) -> _Decoded:
        """The batch's intake (decoded and checked), the time it was received at, and the
        revoked units it was checked against; in a worker thread."""
        now = datetime.now(UTC)
        if time.monotonic() - self._revoked_at >= REVOKED_REFRESH_S:
            self.revoked = revoked_units(self.engine)
            self._revoked_at = time.monotonic()
        revoked = self.revoked
        # a rotation under way (hub.window.rekey): the batch waits, unacknowledged, and is
        # tried again like one the database refused; the units keep it in their outboxes
        gens = self.generations.get(self.engine)
        gens.check()
        drift_s = self.settings.clock_drift_threshold_s
        intake = carried(take(messages, now, drift_s=drift_s, revoked=revoked), gens)
        return _Decoded(now, revoked, gens, intake)

    def _commit(self, messages: list[Received], decoded: _Decoded) -> Outcome:
        now, revoked = decoded.now, decoded.revoked
        # checked again at the commit: the batch may have been decoded while another committed
        gens = self.generations.get(self.engine)
        gens.check()
        first = decoded.intake if gens is decoded.gens else None  # else taken again below
        drift_s = self.settings.clock_drift_threshold_s
        outcome = commit_messages(
            self.engine, messages,
            lambda part: carried(take(part, now, drift_s=drift_s, revoked=revoked), gens),
            now,
            first=first,
        )  # fmt: skip
        s = self.stats
        s.messages += outcome.messages
        s.events += outcome.events
        s.inserted += outcome.inserted
        s.duplicates += outcome.events - outcome.inserted
        s.dead_letters += outcome.dead_letters
        s.refused += outcome.refused
        s.isolations += outcome.commits > 1
        s.batches += 1
        s.batch_sizes[bisect_left(BATCH_BUCKETS, len(messages))] += 1
        s.batch_messages_sum += len(messages)
        return outcome

    def _acknowledge(self, outcome: Outcome, messages: list[Received]) -> None:
        receiver = self.receiver
        if receiver is not None:
            acks = [
                (topics.topic(unit, Channel.ACK), ack_json(ids[i : i + MAX_ACK_IDS]))
                for unit, ids in outcome.acks.items()
                for i in range(0, len(ids), MAX_ACK_IDS)
            ]
            with contextlib.suppress(NotConnected):  # units resend after their ack timeout
                receiver.publish_many(acks)
            # Every message of the batch is released, a refused one whose dead letter could not
            # be stored too: its unit, never acked, sends it again.
            receiver.acknowledge([m.token for m in messages])
            return
        # QoS 0 on purpose: an ack is idempotent and a lost one only makes the unit resend,
        # which earns another ack; QoS 1 would add a PUBACK per ack and guarantee nothing more
        # (sessions are clean, so an offline unit misses it either way).
        for unit, ids in outcome.acks.items():
            for i in range(0, len(ids), MAX_ACK_IDS):
                payload = ack_payload(ids[i : i + MAX_ACK_IDS])
                try:
                    self.client.publish(topics.topic(unit, Channel.ACK), payload, qos=0)
                except NotConnected:
                    return  # units resend after their ack timeout
