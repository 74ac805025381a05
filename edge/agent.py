"""The unit agent: event log, link to the hub, heartbeat, and the event sources of the window."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from edge import retention
from edge.commands.base import CommandContext, Rebooter
from edge.commands.logring import ring
from edge.commands.runner import CommandRunner
from edge.commands.store import FILE_NAME as COMMANDS_FILE
from edge.commands.store import CommandStore
from edge.config import ArtifactFetcher, ConfigApplier
from edge.errors import SettingsError
from edge.eventlog import EventLog, SqliteEventLog
from edge.health import DeviceProbe, HealthReporter
from edge.kit import EventSource, RealKit, UnitKit
from edge.link import LinkSettings, UnitLink
from edge.link.credentials import FILE_NAME as CREDENTIALS_FILE
from edge.link.credentials import BrokerCredentials
from edge.notices.inbox import FILE_NAME as NOTICES_FILE
from edge.notices.inbox import NoticeInbox
from edge.notices.receiver import NoticeReceiver
from edge.private_files import secure_data_dir
from edge.settings import EdgeSettings
from edge.trust import TRUST_FILE, TrustStore
from edge.update import SoftwareDir, Updater
from edge.update.layout import now
from edge.update.supervisor import RESTART_STATUS
from edge.update.updater import SUPERVISED_ENV
from lifecycle import version
from protocol.signing import public_key_to_text

if TYPE_CHECKING:
    import httpx

    from edge.window.runtime import WindowRuntime

log = logging.getLogger("bianmin.edge")
LEDGER_PRUNE_INTERVAL_S = 24 * 3600.0


class Agent:
    """One unit. Several can share an event loop (the fleet simulator runs thousands)."""

    def __init__(
        self,
        settings: EdgeSettings,
        event_log: EventLog,
        link: UnitLink,
        health: HealthReporter,
        event_source: EventSource | None,
        config: ConfigApplier,
        kit: UnitKit,
        window: WindowRuntime | None = None,
        notices: NoticeReceiver | None = None,
        updater: Updater | None = None,
    ) -> None:
        self.settings = settings
        self.event_log = event_log
        self.link = link
        self.health = health
        self.config = config
        self.event_source = event_source
        self.kit = kit
        self.window = window
        self.notices = notices  # case notices from the hub on `cmd` (edge.notices)
        self.updater = updater  # the agent's own software updates (edge.update)
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_generating = asyncio.Event()
        self._restart = asyncio.Event()
        # the process's exit status once run_until returns: RESTART_STATUS after a switch to a
        # new version (the supervisor starts it), else 0
        self.exit_status = 0

    def request_restart(self) -> None:
        """Stop so that the supervisor starts the version `current` now points to."""
        self.exit_status = RESTART_STATUS
        self._restart.set()

    @property
    def unit(self) -> str:
        return self.settings.unit_id

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.config.run(), name=f"config-{self.unit}"))
        self._tasks.append(asyncio.create_task(self._prune_ledger(), name=f"prune-{self.unit}"))
        if self.window is not None:  # only a window keeps signatures and face templates
            s = self.settings
            policy = retention.Policy(
                s.signature_retention_days, s.template_retention_days,
                outbox_days=s.outbox_retention_days, log_days=s.log_retention_days,
                log_dir=s.log_dir,
            )  # fmt: skip
            purge = retention.sweep(s.data_dir, policy, s.retention_sweep_s, self.unit)
            self._tasks.append(asyncio.create_task(purge, name=f"retention-{self.unit}"))
        self._tasks.append(asyncio.create_task(self.link.run(), name=f"link-{self.unit}"))
        if self.notices is not None:
            task = asyncio.create_task(self.notices.run(), name=f"notices-{self.unit}")
            task.add_done_callback(_log_failure)
            self._tasks.append(task)
        self._tasks.append(
            asyncio.create_task(self.health.run(self.health_interval), name=f"health-{self.unit}")
        )
        if self.window is not None:
            task = asyncio.create_task(self.window.run(), name=f"window-{self.unit}")
            task.add_done_callback(_log_failure)
            self._tasks.append(task)
        if self.updater is not None:
            task = asyncio.create_task(self.updater.run(), name=f"update-{self.unit}")
            task.add_done_callback(_log_failure)
            self._tasks.append(task)
        if self.event_source is not None:
            self._tasks.append(
                asyncio.create_task(
                    self.event_source(self._stop_generating), name=f"events-{self.unit}"
                )
            )

    def health_interval(self) -> float:
        """The heartbeat period: the running configuration's, else the unit's own setting."""
        current = self.config.current
        if current is not None and current.thresholds.health_interval_s is not None:
            return current.thresholds.health_interval_s
        return self.settings.health_interval_s

    async def _prune_ledger(self) -> None:
        """Forget delivered ids past the ledger's age: at start, then daily (a unit may run for
        months without a restart)."""
        while True:
            try:
                await self.event_log.prune()
            except Exception:  # a failed prune only keeps old ids a day longer
                log.exception("%s: pruning the delivered ledger failed", self.unit)
            await asyncio.sleep(LEDGER_PRUNE_INTERVAL_S)

    def stop_generating(self) -> None:
        self._stop_generating.set()

    async def wait_drained(self) -> None:
        """Return once the hub has acknowledged every event this unit committed."""
        await self.link.drained.wait()

    async def close(self) -> None:
        self.stop_generating()
        with contextlib.suppress(Exception):
            await self.link.stop()
        if self.window is not None:
            with contextlib.suppress(Exception):
                await self.window.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.config.fetcher.close()
        with contextlib.suppress(Exception):
            await self.kit.close()
        if self.notices is not None:
            self.notices.inbox.close()
            if self.notices.commands is not None:
                self.notices.commands.store.close()
        await self.event_log.close()

    async def run_until(self, stop: asyncio.Event) -> None:
        self.start()
        try:
            stopping = asyncio.ensure_future(stop.wait())
            restarting = asyncio.ensure_future(self._restart.wait())
            await asyncio.wait((stopping, restarting), return_when=asyncio.FIRST_COMPLETED)
            for waiter in (stopping, restarting):
                waiter.cancel()
        finally:
            await self.close()


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


def build_agent(
    settings: EdgeSettings,
    *,
    kit: UnitKit | None = None,
    link_settings: LinkSettings | None = None,
    http: httpx.AsyncClient | None = None,
    restart: Callable[[], None] | None = None,
    clock: Callable[[], datetime] = now,
    supervised: bool | None = None,
    rebooter: Rebooter | None = None,
) -> Agent:
    """Build one unit from its settings and its kit (real hardware unless the caller gives
    another). ``http`` lets many simulated units share one connection pool. ``restart``
    replaces stopping the agent for a new version (tests), ``clock`` the time office hours are
    judged on, ``supervised`` whether `bianmin edge supervise` runs it (its environment says
    so otherwise)."""
    kit = kit or RealKit(settings)
    if settings.kiosk_port is None and kit.device_probe() is None:
        raise SettingsError("a unit without a window (--kiosk-port) has no devices to report")
    secure_data_dir(settings.data_dir)  # 0700, files 0600 (edge.private_files)
    event_log = SqliteEventLog(
        settings.outbox_path,
        settings.unit_id,
        limit_bytes=settings.outbox_limit_mb * 1024 * 1024,
        durable=settings.durable,
        ledger_days=settings.outbox_retention_days,  # also for units without a window
    )
    fetcher = ArtifactFetcher(
        settings.artifact_dir,
        settings.hub_url,
        http,
        durable=settings.durable,
        verify=settings.hub_verify(),
    )
    # one trust list for configs and commands, kept across restarts (edge/trust.py)
    pinned = settings.pinned_key()
    trust = TrustStore.open(
        settings.config_dir / TRUST_FILE,
        public_key_to_text(pinned) if pinned is not None else None,
        durable=settings.durable,
    )
    config = ConfigApplier(
        settings.unit_id,
        key=trust,
        fetcher=fetcher,
        config_dir=settings.config_dir,
        publish=lambda topic, payload, qos, retain: link.publish(topic, payload, qos, retain),
        durable=settings.durable,
    )
    notices = NoticeReceiver(
        settings.unit_id,
        key=trust,
        inbox=NoticeInbox(settings.data_dir / NOTICES_FILE, durable=settings.durable),
        publish=lambda topic, payload, qos, retain: link.publish(topic, payload, qos, retain),
    )
    if settings.broker_engine == "nats":
        link_settings = replace(link_settings or LinkSettings(), max_qos=0)
    brokers = settings.brokers()
    credentials = None
    if brokers[0].password is not None:
        # one password for every broker of a cluster: they share the credentials
        credentials = BrokerCredentials(
            settings.data_dir / CREDENTIALS_FILE, brokers[0].password,
            generation=settings.identity_generation, durable=settings.durable,
        )  # fmt: skip
    link = UnitLink(
        settings.unit_id,
        event_log,
        brokers,
        link_settings,
        on_config=config.on_config,
        on_command=notices.on_command,
        tls=settings.broker_tls(),
        credentials=credentials,
    )
    updater = Updater(
        settings.unit_id,
        key=trust,
        software=SoftwareDir(settings.data_dir, durable=settings.durable),
        fetcher=fetcher,
        running=version(),
        restart=lambda: (restart or agent.request_restart)(),
        report=config.report,
        supervised=os.environ.get(SUPERVISED_ENV) == "1" if supervised is None else supervised,
        clock=clock,
    )
    config.gate = updater.gate
    config.holds = updater.holds
    config.restore()
    source: EventSource | None = None
    window: WindowRuntime | None = None
    devices: DeviceProbe | None
    if settings.kiosk_port is not None:
        # The window's own cases are the unit's events; its devices report their status.
        from edge.window.runtime import WindowRuntime

        window = WindowRuntime(settings, event_log, config, kit, notices=notices.inbox)
        devices = window.device_status
        updater.busy = window.busy
    else:
        devices = kit.device_probe()
        source = kit.case_source(event_log)
    assert devices is not None  # checked above, before anything was opened
    if trust is not None:
        ring()  # the recent log lines the diagnostics command reports, from now on
        notices.commands = CommandRunner(
            settings.unit_id, key=trust,  # the same trust list as configs and notices
            store=CommandStore(settings.data_dir / COMMANDS_FILE, durable=settings.durable),
            context=CommandContext(
                unit=settings.unit_id, link=link, event_log=event_log,
                data_dir=settings.data_dir, window_name=settings.window_name,
                credentials=credentials, config_version=lambda: config.version,
                rebooter=rebooter or command_rebooter(settings.reboot_command),
                printer=lambda: _printer(window), busy=lambda: _busy(window),
                open_applicant=lambda: _open_applicant(window),
            ),
        )  # fmt: skip
    health = HealthReporter(
        settings.unit_id,
        event_log,
        link,
        devices,
        config_version=lambda: config.claimed_version,
        on_beat=updater.on_beat,
        trust=lambda: trust.report() if trust is not None else None,
    )
    agent = Agent(settings, event_log, link, health, source, config, kit, window, notices, updater)
    return agent


def _printer(window: WindowRuntime | None) -> Any:
    w = window.window if window is not None else None
    return w.p.devices.printer if w is not None else None


def _busy(window: WindowRuntime | None) -> bool:
    w = window.window if window is not None else None
    return w is not None and w.case is not None


def _open_applicant(window: WindowRuntime | None) -> str | None:
    w = window.window if window is not None else None
    case = w.case if w is not None else None
    return case.applicant.ref if case is not None and case.applicant is not None else None


def command_rebooter(command: list[str] | None) -> Rebooter | None:
    """The unit's reboot hook (EdgeSettings.reboot_command), or None: no remote reboot."""
    if not command:
        return None
    from edge.commands.reboot import CommandRebooter

    return CommandRebooter(command)
