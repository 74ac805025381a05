"""The agent's side of a software update.

The configuration applier asks ``gate`` about every configuration it applies (and every
redelivery): a body whose ``software`` names another version than the running one is checked
(the release's own signature, the wheel, a version refused before) and installed beside the
running version, and the configuration is reported ``deferred`` instead of ``applied`` until
the unit runs that version. ``run`` then waits until the window is idle (no case open) and,
when the policy says so, outside office hours, records a trial, switches `current` and asks
for a restart. The supervisor (edge.update.supervisor) judges the new version: it must write
the health marker within a limit, which it does here (``on_beat``) once a heartbeat with the
new version went out with every device ok. Otherwise the supervisor rolls back and records the
version as refused, and the old version answers the same configuration with ``rejected`` and
the reason: never a retry loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from edge.config.artifacts import ArtifactFetcher
from edge.errors import ReleaseRefused, ReleaseSignature
from edge.update.layout import SoftwareDir, Trial, now
from edge.update.wheel import install_wheel
from protocol.bounds import MAX_TEXT, printable
from protocol.config import ConfigBody
from protocol.errors import SignatureError
from protocol.messages import ConfigReported, Health, utc_now
from protocol.signing import Verifier
from protocol.software import SoftwareTarget, UpdatePolicy

log = logging.getLogger("bianmin.edge.update")
# Why the unit cannot restart now ("case_open: ..."), or None when it is idle.
Busy = Callable[[], str | None]
Report = Callable[[ConfigReported], bool]
SUPERVISED_ENV = "BIANMIN_SUPERVISED"


@dataclass(frozen=True)
class _Pending:
    config_version: int
    target: SoftwareTarget
    path: Path

    @property
    def version(self) -> str:
        return self.target.release.version


class Updater:
    def __init__(
        self,
        unit: str,
        *,
        key: Verifier | None,
        software: SoftwareDir,
        fetcher: ArtifactFetcher,
        running: str,
        restart: Callable[[], None],
        report: Report,
        supervised: bool,
        busy: Busy = lambda: None,
        clock: Callable[[], datetime] = now,
        poll_s: float = 5.0,
    ) -> None:
        self.unit = unit
        self.key = key
        self.software = software
        self.fetcher = fetcher
        self.running = running
        self.restart = restart
        self.report = report
        self.supervised = supervised
        self.busy = busy
        self.clock = clock
        self.poll_s = poll_s
        self._pending: _Pending | None = None
        self._reported: str | None = None
        self._wake = asyncio.Event()
        self._trial_config: int | None = None  # the configuration to report once healthy
        # read once: only this process ends its own trial (by writing the health marker)
        trial = software.load().trial
        self._trial = (
            trial is not None and trial.version == running and software.healthy_version() != running
        )
        self.switched = False

    # -- the applier's question ----------------------------------------------------------------

    async def gate(self, config_version: int, body: ConfigBody) -> ConfigReported | None:
        """None when the configuration is in effect as it is (no software asked for, or the
        running version is it); otherwise the report to send instead of `applied`."""
        target = body.software
        if target is None:
            self._pending = None
            return None
        if target.release.version == self.running:
            self._pending = None
            if self._on_trial():
                # `applied` only once the supervisor keeps this version: an applied report is
                # final for the hub, and a rollback after it would go uncounted
                self._trial_config = config_version
                return _outcome(
                    config_version,
                    "deferred",
                    f"trial: version {self.running} started, not yet healthy",
                )
            return None
        version = target.release.version
        refused = self.software.load().refused.get(version)
        if refused is not None:
            self._pending = None
            return _outcome(config_version, "rejected", f"version {version}: {refused}")
        if not self.supervised:
            self._pending = None
            return _outcome(
                config_version,
                "rejected",
                "update_unsupported: the agent runs without `bianmin edge supervise`, which "
                "judges a new version and rolls it back",
            )
        try:
            path = await asyncio.to_thread(self._install, target)
        except ReleaseRefused as exc:
            reason = f"{exc.code}: {exc}"
            state = self.software.load()
            state.refuse(version, reason)
            self.software.save(state)
            log.warning("%s: release %s refused: %s", self.unit, version, reason)
            return _outcome(config_version, "rejected", f"version {version}: {reason}")
        self._pending = _Pending(config_version, target, path)
        self._reported = None
        self._wake.set()
        why = self.deferral(target.policy)
        self._reported = why
        return _outcome(config_version, "deferred", why or f"restarting: into version {version}")

    def holds(self, body: ConfigBody) -> bool:
        """Whether ``body`` is not (yet) in effect as a whole: it names another version than
        the running one, or this version is still on trial."""
        if body.software is None:
            return False
        return body.software.release.version != self.running or self._on_trial()

    def _install(self, target: SoftwareTarget) -> Path:
        release = target.release
        if self.key is None:
            raise ReleaseRefused("no hub public key was pinned at provisioning")
        try:
            release.verify(self.key)
        except SignatureError as exc:
            raise ReleaseSignature(f"the release's signature does not verify: {exc}") from None
        wheel = self.fetcher.cached(release.artifact)
        if wheel is None:  # the applier fetched it and checked its hash just before
            raise ReleaseRefused(f"{release.artifact.path}: not in the artifact cache")
        return install_wheel(wheel, release, self.software.versions)

    # -- when ----------------------------------------------------------------------------------

    def deferral(self, policy: UpdatePolicy) -> str | None:
        """Why the switch must wait now, or None."""
        busy = self.busy()
        if busy is not None:
            return busy
        if policy.outside_office_hours and policy.in_office_hours(self.clock()):
            hours = ", ".join(f"{a}-{b}" for a, b in policy.office_hours)
            return f"office_hours: waiting for the end of office hours ({hours} {policy.timezone})"
        return None

    def wake(self) -> None:
        """Look again now (the window closed a case)."""
        self._wake.set()

    async def run(self) -> None:
        while not self.switched:
            if self._pending is None:  # nothing to wait for: no polling (fleets of thousands)
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
            self._wake.clear()
            pending = self._pending
            if pending is None:
                continue
            why = self.deferral(pending.target.policy)
            if why is not None:
                if why != self._reported:
                    self._reported = why
                    log.info("%s: update to %s deferred: %s", self.unit, pending.version, why)
                    self.report(_outcome(pending.config_version, "deferred", why))
                continue
            self._switch(pending)

    def _switch(self, pending: _Pending) -> None:
        state = self.software.load()
        previous = self.software.current()
        state.trial = Trial(
            version=pending.version,
            path=str(pending.path),
            previous=str(previous) if previous is not None else None,
            config_version=pending.config_version,
            started_at=now(),
        )
        self.software.save(state)
        self.software.clear_healthy()
        self.software.switch(pending.path)
        self.switched = True
        log.warning(
            "%s: switching from %s to %s; restarting", self.unit, self.running, pending.version
        )
        self.restart()

    # -- the new version proving itself -------------------------------------------------------

    def on_beat(self, health: Health, published: bool) -> None:
        """After each heartbeat: a version on trial that got a heartbeat out (the link is up)
        with every device present and ok writes the health marker the supervisor waits for."""
        if not published or not self._on_trial():
            return
        if not all(d.present and d.ok for d in health.devices.values()):
            return
        self.software.mark_healthy(self.running)
        self._trial = False
        log.info("%s: version %s reports healthy", self.unit, self.running)
        if self._trial_config is not None:
            self.report(_outcome(self._trial_config, "applied", None))
            self._trial_config = None

    def _on_trial(self) -> bool:
        """This version was switched to and has not written its health marker yet."""
        return self._trial


def _outcome(
    version: int, status: Literal["applied", "rejected", "deferred"], reason: str | None
) -> ConfigReported:
    short = printable(reason, MAX_TEXT) if reason else None
    return ConfigReported(version=version, status=status, reason=short, ts=utc_now())
