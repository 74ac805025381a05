"""Apply signed desired configurations on the unit, one at a time, all or nothing.

For each payload on the unit's retained `config` topic:

1. parse it and verify the Ed25519 signature on the raw dict with the key pinned at
   provisioning, before any model sees the data;
2. validate the envelope, check it names this unit, validate the body schema;
3. refuse a version older than the running one (no rollback attack); the running version
   again with the same signature is a redelivery (every reconnect brings the retained
   message back) and is acknowledged again, with different content it is refused;
   a hub key list in the body moves the unit's trust list forward (edge/trust.py), durably,
   before anything else of the config is used;
4. fetch the artifacts (resumable, hash-checked) and check the catalog slice against the body;
5. persist the payload (write-new, fsync, rename), then swap the running config in one
   assignment, then report `applied`.

Any failure reports `rejected` with a coded reason and leaves the old config running.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.config.artifacts import ArtifactFetcher
from edge.config.contents import BLACKLISTS, CALENDARS, SLICES
from edge.config.files import write_atomic
from edge.errors import (
    ArtifactInvalid,
    ConfigRejected,
    NoPinnedKey,
    StaleConfig,
    VersionConflict,
)
from edge.trust import TrustStore
from firmware_config.schema import HardwareProfile
from protocol import topics
from protocol.bounds import MAX_TEXT, printable
from protocol.calendar import WorkCalendar
from protocol.catalog import CatalogSlice
from protocol.config import (
    ArtifactRef,
    ConfigBody,
    Thresholds,
    open_signed_config,
    parse_raw,
    raw_version,
)
from protocol.errors import ProtocolError
from protocol.messages import ConfigReported, SignedConfig, encode, utc_now
from protocol.topics import Channel

log = logging.getLogger("bianmin.edge.config")
Publish = Callable[[str, bytes, int, bool], bool]
# Asked about every configuration applied (or delivered again): None when it is in effect as it
# is, else the report to send instead of `applied` (a software update deferred or refused:
# edge.update.updater).
Gate = Callable[[int, ConfigBody], Awaitable[ConfigReported | None]]
CURRENT_FILE = "current.json"


@dataclass(frozen=True)
class RunningConfig:
    """The configuration the unit runs. Frozen: readers hold one consistent version."""

    version: int
    issued_at: datetime
    sig: str
    body: ConfigBody
    catalog: CatalogSlice
    # HMAC references on the integrity blacklist; None when the hub sent no blacklist
    blacklist: frozenset[str] | None = None
    # the working-day calendar it carries; None when the hub sent none (see work_calendar)
    calendar: WorkCalendar | None = None

    @property
    def profile(self) -> HardwareProfile:
        return self.body.profile

    @property
    def thresholds(self) -> Thresholds:
        return self.body.thresholds

    @property
    def work_calendar(self) -> WorkCalendar:
        """The calendar deadlines are counted on: the configuration's, or the seed's when it
        carries none (``calendar_source`` says which)."""
        return self.calendar if self.calendar is not None else WorkCalendar.seed()

    @property
    def calendar_source(self) -> str:
        return "config" if self.calendar is not None else "seed"

    @property
    def face_verify_threshold(self) -> float:
        override = self.thresholds.face_verify_threshold
        return override if override is not None else self.profile.face.verify_threshold

    @property
    def rating_timeout_s(self) -> int:
        override = self.thresholds.rating_timeout_s
        return override if override is not None else self.profile.rating.timeout_s


class ConfigApplier:
    def __init__(
        self,
        unit: str,
        *,
        key: Ed25519PublicKey | TrustStore | None,
        fetcher: ArtifactFetcher,
        config_dir: Path,
        publish: Publish,
        durable: bool = True,
    ) -> None:
        self.unit = unit
        self.key = key
        self.fetcher = fetcher
        self.config_dir = config_dir
        self.publish = publish
        self.durable = durable
        self.current: RunningConfig | None = None
        self.listeners: list[Callable[[RunningConfig], None]] = []
        self.gate: Gate | None = None
        # whether the gate holds a body back from `applied` right now (edge.update.updater)
        self.holds: Callable[[ConfigBody], bool] | None = None
        self.applied = 0
        self.rejected = 0
        # a verified version whose artifacts were missing at start: still the rollback floor
        self._floor: tuple[int, str] | None = None
        self._pending: bytes | None = None
        self._wake: asyncio.Event | None = None
        self._rejections: OrderedDict[str, ConfigReported] = OrderedDict()
        self._topic = topics.topic(unit, Channel.CONFIG_REPORTED)
        config_dir.mkdir(parents=True, exist_ok=True)

    @property
    def version(self) -> int | None:
        return self.current.version if self.current else None

    @property
    def claimed_version(self) -> int | None:
        """The version the heartbeat claims: None while the running configuration is held back
        from `applied` (its software update deferred, on trial or refused), so that the hub
        never counts it applied from a heartbeat before the unit's own report says so."""
        current = self.current
        if current is None or (self.holds is not None and self.holds(current.body)):
            return None
        return current.version

    # -- start-up ---------------------------------------------------------------------------

    def restore(self) -> None:
        """Load the persisted config (verified again: the disk is not trusted more than MQTT).
        Without its artifacts in the cache, its version still guards against rollback and it
        is applied again (downloading) once run() starts."""
        path = self.config_dir / CURRENT_FILE
        if not path.exists() or self.key is None:
            return
        payload = path.read_bytes()
        try:
            envelope, body = open_signed_config(parse_raw(payload), key=self.key, unit=self.unit)
        except ProtocolError as exc:
            log.warning("%s: ignoring the persisted config: %s", self.unit, exc)
            return
        missing = [a for a in body.all_artifacts() if self.fetcher.cached(a) is None]
        if missing:
            self._floor = (envelope.version, envelope.sig)
            self.on_config(payload)
            return
        try:
            self.current = self._running(envelope, body)
        except ConfigRejected as exc:
            self._floor = (envelope.version, envelope.sig)
            log.warning("%s: persisted config unusable (%s); fetching again", self.unit, exc)
            self.on_config(payload)

    # -- the link's hook and the worker -------------------------------------------------------

    def on_config(self, payload: bytes) -> None:
        """Called for every message on the unit's `config` topic. The newest payload wins.
        An empty payload is the broker clearing the retained message: nothing to apply."""
        if not payload:
            return
        self._pending = payload
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        self._wake = asyncio.Event()
        if self._pending is not None:
            self._wake.set()
        while True:
            await self._wake.wait()
            self._wake.clear()
            payload, self._pending = self._pending, None
            if payload is not None:
                self.report(await self.apply(payload))

    def report(self, outcome: ConfigReported) -> bool:
        """Publish the outcome on `config/reported`; False when offline (a reconnect brings the
        retained config back, and with it the same report)."""
        return self.publish(self._topic, encode(outcome), 1, False)

    # -- applying -----------------------------------------------------------------------------

    async def apply(self, payload: bytes) -> ConfigReported:
        digest = hashlib.sha256(payload).hexdigest()
        known = self._rejections.get(digest)
        if known is not None:
            return known.model_copy(update={"ts": utc_now()})
        version = 0
        try:
            raw = parse_raw(payload)
            version = raw_version(raw)
            if self.key is None:
                raise NoPinnedKey("no hub public key was pinned at provisioning")
            envelope, body = open_signed_config(raw, key=self.key, unit=self.unit)
            if self._is_redelivery(envelope):
                return await self._gated(envelope.version, body)
            self._check_version(envelope)
            if body.keys is not None and isinstance(self.key, TrustStore):
                self.key.accept(body.keys, signed_by=envelope.key_id)
            for ref in body.all_artifacts():
                await self.fetcher.fetch(ref)
            running = self._running(envelope, body)
            write_atomic(self.config_dir / CURRENT_FILE, payload, durable=self.durable)
            self.current = running  # the one step that switches the unit over
            self._floor = None
        except (ProtocolError, ConfigRejected) as exc:
            return self._reject(digest, version, exc)
        self.applied += 1
        self.fetcher.prune({a.sha256 for a in body.all_artifacts()})
        for listener in self.listeners:
            try:
                listener(running)
            except Exception:  # a listener must not undo an applied config
                log.exception("%s: config listener failed", self.unit)
        log.info("%s: applied config version %d", self.unit, running.version)
        return await self._gated(running.version, body)

    async def _gated(self, version: int, body: ConfigBody) -> ConfigReported:
        if self.gate is not None:
            held = await self.gate(version, body)
            if held is not None:
                return held
        return self._outcome(version, "applied")

    def _is_redelivery(self, envelope: SignedConfig) -> bool:
        cur = self.current
        return cur is not None and cur.version == envelope.version and cur.sig == envelope.sig

    def _check_version(self, envelope: SignedConfig) -> None:
        running = self.current.version if self.current else 0
        floor = self._floor[0] if self._floor else 0
        if envelope.version == running:
            raise VersionConflict(
                f"version {envelope.version} is already running with different content"
            )
        if envelope.version < max(running, floor):
            raise StaleConfig(
                f"version {envelope.version} is older than the running version "
                f"{max(running, floor)}"
            )
        if self._floor and envelope.version == floor and envelope.sig != self._floor[1]:
            raise VersionConflict(f"version {floor} was applied before with different content")

    def _running(self, envelope: SignedConfig, body: ConfigBody) -> RunningConfig:
        catalog = SLICES.get(body.catalog.artifact, self._cached(body.catalog.artifact))
        if catalog.catalog_version != body.catalog.version:
            raise ArtifactInvalid(
                f"catalog slice is version {catalog.catalog_version}, "
                f"the config says {body.catalog.version}"
            )
        if len(catalog.matters) != body.catalog.matters:
            raise ArtifactInvalid(
                f"catalog slice has {len(catalog.matters)} matters, "
                f"the config says {body.catalog.matters}"
            )
        blacklist = calendar = None
        if body.blacklist is not None:
            blacklist = BLACKLISTS.get(body.blacklist, self._cached(body.blacklist))
        if body.calendar is not None:
            calendar = CALENDARS.get(body.calendar, self._cached(body.calendar))
        return RunningConfig(
            envelope.version, envelope.issued_at, envelope.sig, body, catalog, blacklist, calendar
        )

    def _cached(self, ref: ArtifactRef) -> Path:
        path = self.fetcher.cached(ref)
        if path is None:
            raise ArtifactInvalid(f"{ref.path}: not in the artifact cache")
        return path

    def _reject(self, digest: str, version: int, exc: Exception) -> ConfigReported:
        code = getattr(exc, "code", "config_rejected")
        outcome = self._outcome(version, "rejected", f"{code}: {exc}")
        self.rejected += 1
        log.warning("%s: rejected config version %d: %s", self.unit, version, outcome.reason)
        if code != "artifact_unavailable":  # the network may be back next time
            self._rejections[digest] = outcome
            while len(self._rejections) > 16:
                self._rejections.popitem(last=False)
        return outcome

    @staticmethod
    def _outcome(
        version: int, status: Literal["applied", "rejected"], reason: str | None = None
    ) -> ConfigReported:
        # the reason quotes exceptions (an HTTP error's text has line breaks), and the
        # contract takes printable text only (protocol/bounds.py)
        short = printable(reason, MAX_TEXT) if reason else None
        return ConfigReported(version=version, status=status, reason=short, ts=utc_now())
