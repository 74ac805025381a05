"""What a command handler gets (the unit's parts it may act on) and what it gives back."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from protocol.command import UnitCommand

if TYPE_CHECKING:
    from edge.devices.printer.driver import ReceiptPrinter
    from edge.eventlog import EventLog
    from edge.link.credentials import BrokerCredentials


class Link(Protocol):
    def reconnect(self) -> None: ...

    def reconcile_config(self) -> bool: ...


class Rebooter(Protocol):
    """Restarts the machine: `systemctl reboot` (or the unit's hook) on a Pi, a recorder in
    simulations and tests."""

    async def reboot(self) -> None: ...


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str
    data: dict[str, Any] | None = None
    # run once the answer is on its way (reconnect, reboot): doing it first would lose the
    # answer, which the hub would then ask for again after the reconnect
    after: Callable[[], Awaitable[None]] | None = None
    # not now: neither kept nor answered, so the hub publishes it again after its back-off
    # (a resident's data while their case is open at the window)
    retry: bool = False


@dataclass
class CommandContext:
    unit: str
    link: Link
    event_log: EventLog
    data_dir: Path
    window_name: str
    credentials: BrokerCredentials | None = None
    config_version: Callable[[], int | None] = lambda: None
    rebooter: Rebooter | None = None
    printer: Callable[[], ReceiptPrinter | None] = lambda: None
    busy: Callable[[], bool] = lambda: False  # a case is open at the window
    # the reference of the applicant of the case open at the window, if any
    open_applicant: Callable[[], str | None] = lambda: None
    started: float = field(default_factory=time.monotonic)


Handler = Callable[[UnitCommand, CommandContext], Awaitable[Outcome]]
