"""Real processes for chaos tests: hub ingest and unit agents run as `bianmin` commands, so a
kill -9 is a real kill -9; a TCP proxy the test controls stands in for the village link."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from edge.eventlog import read_committed
from hub.db import make_engine
from hub.fleet.events import all_event_ids
from simulators.summary import DeliverySummary, compare
from tests.conftest import Broker

BIANMIN = str(Path(sys.executable).with_name("bianmin"))


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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
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


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.25
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(poll)


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


class CuttableProxy:
    """A TCP proxy between units and the broker. cut() drops every connection and refuses new
    ones until heal(): a village link going down and coming back."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def heal(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._server.close()
