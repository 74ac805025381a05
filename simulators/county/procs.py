"""Child processes of a county run that chaos may kill: the hub (`bianmin hub serve`) and the
unit workers. A SIGKILL here is a real kill -9; a restart runs the same command again on the
same data. (tests/chaos/harness.py has the same for tests; simulators may not import tests.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

BIANMIN = str(Path(sys.executable).with_name("bianmin"))


class Child:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C at the terminal reaches the orchestrator only
            )  # fmt: skip
        return self

    def kill(self) -> None:
        """kill -9."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not end in ``timeout`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def hub_child(
    root: Path, database_url: str, broker_port: int, port: int, broker_password: str,
    villages_file: Path | None = None,
) -> Child:  # fmt: skip
    registry = ["--villages", str(villages_file)] if villages_file else []
    return Child(
        "hub",
        [BIANMIN, "hub", "serve", "--database", database_url,
         "--broker", f"mqtt://127.0.0.1:{broker_port}", "--port", str(port),
         "--data-dir", str(root / "hub"), "--environment", "local", "--log-format", "json",
         *registry],
        {"BIANMIN_HUB_BROKER_PASSWORD": broker_password, "BIANMIN_HUB_ROLLOUT_TICK_S": "0.5",
         "BIANMIN_HUB_STALE_AFTER_S": "30"},
        root,
    )  # fmt: skip


def worker_child(root: Path, name: str, spec_path: Path) -> Child:
    return Child(name, [sys.executable, "-m", "simulators.county.worker", str(spec_path)], {}, root)
