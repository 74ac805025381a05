"""Shared pieces of the benchmarks: machine description, results files, a bench broker,
payloads shaped exactly like the units' messages, and child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import describe
from protocol.ids import uuid7
from protocol.messages import CaseEnvelope, CaseTransition, frame_tx_batch
from provisioning import credentials
from provisioning.mosquitto import (
    BrokerLimits,
    MosquittoConfig,
    MosquittoProcess,
    free_port,
    tool_broker_user,
)

RESULTS = Path(__file__).resolve().parent / "results"
BIANMIN = str(Path(sys.executable).with_name("bianmin"))
PYTHON = sys.executable


# what the hub and the units' MQTT path run on
PACKAGES = ("paho-mqtt", "sqlalchemy", "psycopg", "pydantic", "fastapi")


def write_results(
    name: str, figures: dict[str, Any], details: dict[str, Any], root: Path = RESULTS
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{name}.json"
    doc = {"benchmark": name, "machine": describe(PACKAGES), "figures": figures, "details": details}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def unit_ids(n: int) -> list[str]:
    return [f"b{i:05d}" for i in range(n)]


class BenchBroker:
    """A Mosquitto with the project's generated configuration and per-unit credentials; the
    queue limit is raised so a pre-loaded backlog is not dropped while the consumer is paused."""

    def __init__(self, root: Path, units: list[str], max_queued: int = 2_000_000) -> None:
        self.creds = credentials.generate(units)
        self.creds_path = root / "credentials.json"
        credentials.save(self.creds, self.creds_path)
        limits = BrokerLimits(max_queued_messages=max_queued)
        self.config = MosquittoConfig(
            data_dir=root / "broker",
            port=free_port(),
            credentials=self.creds,
            limits=limits,
            persistence=False,
            run_as=tool_broker_user(),
        )
        self.process = MosquittoProcess(self.config)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.config.port}"

    def __enter__(self) -> BenchBroker:
        self.process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.stop()


def event_json(unit: str, seq: int, ts: datetime | None = None) -> bytes:
    env = CaseEnvelope(
        id=uuid7(),
        unit=unit,
        seq=seq,
        ts=ts or datetime.now(UTC),
        body=CaseTransition(
            case_id=uuid7(),
            state="identified",
            matter_code="SOC-001",
            data={"method": "face", "distance": 0.31, "id_masked": "3411**********1234"},
        ),
    )
    return env.model_dump_json().encode()


def batch_payload(events: list[bytes]) -> bytes:
    return frame_tx_batch(events)


class Child:
    """A child process whose last stdout line is a JSON result."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGSTOP)

    def cont(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    def finish(self, timeout: float = 60, *, ask: bool = True) -> dict[str, Any]:
        """Collect the result line; ``ask`` sends SIGTERM first, else wait for a natural exit."""
        if ask and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=timeout)
        lines = [ln for ln in (out or "").splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def pids_named(name: str) -> list[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


class CpuMeter:
    """CPU seconds used by groups of processes between start() and stop()."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {g: sum(cpu_seconds(p) for p in pids) for g, pids in self.groups.items()}

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> dict[str, float]:
        end = self._now()
        return {g: round(end[g] - self._start.get(g, 0.0), 2) for g in self.groups}


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_until(predicate: Any, timeout: float, poll: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False
