"""Real processes for chaos tests: hub ingest and unit agents run as `bianmin` commands, so a
kill -9 is a real kill -9; a TCP proxy the test controls stands in for the village link."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import ClassVar

from edge.eventlog import read_committed
from hub.db import make_engine
from hub.fleet.events import all_event_ids
from simulators.summary import DeliverySummary, compare
from tests.conftest import Broker
from tests.support.processes import BIANMIN, stop


class Proc:
    """A child process with its output in a log file; start, kill -9, terminate, restart.
    Every started process is remembered until it is stopped, so a failing test cannot leave
    agents running (tests/chaos/conftest.py reaps them)."""

    running: ClassVar[set[Proc]] = set()

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [BIANMIN, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        Proc.running.add(self)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        Proc.running.discard(self)

    def terminate(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        Proc.running.discard(self)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def hub_ingest(broker: Broker, database_url: str, log_dir: Path, name: str = "hub") -> Proc:
    return Proc(
        name,
        ["hub", "ingest", "--database", database_url, "--broker", str(broker.url)],
        {"BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password},
        log_dir,
    )


def unit_agent(
    broker: Broker,
    unit: str,
    root: Path,
    *,
    rate: float,
    max_events: int,
    port: int | None = None,
) -> Proc:
    url = f"mqtt://127.0.0.1:{port or broker.process.config.port}"
    return Proc(
        unit,
        [
            "edge", "run", "--unit", unit, "--broker", url,
            "--data-dir", str(root / unit), "--simulated-devices",
            "--rate", str(rate), "--max-events", str(max_events),
            "--ack-timeout", "2", "--keepalive", "5", "--health-interval", "5",
        ],
        {"BIANMIN_UNIT_PASSWORD": broker.creds.password_for(unit)},
        root,
    )  # fmt: skip


class HubView:
    """Reads the hub's database from the test process."""

    def __init__(self, database_url: str) -> None:
        self.engine = make_engine(database_url)

    def rows(self, units: list[str]) -> list[tuple[str, str, int]]:
        try:
            with self.engine.connect() as conn:
                return [(u, str(i), s) for u, i, s in all_event_ids(conn, units=units)]
        except Exception:  # tables not created yet by the hub process
            return []

    def count(self, units: list[str]) -> int:
        return len(self.rows(units))

    def close(self) -> None:
        self.engine.dispose()


def verdict(hub: HubView, root: Path, units: list[str]) -> DeliverySummary:
    committed = {u: read_committed(root / u / "outbox.sqlite3") for u in units}
    return compare(committed, hub.rows(units))


def outbox_seq(root: Path, unit: str) -> int:
    path = root / unit / "outbox.sqlite3"
    if not path.exists():
        return 0
    try:
        return max(read_committed(path).values(), default=0)
    except sqlite3.OperationalError:  # the unit has created the file but not its tables yet
        return 0
