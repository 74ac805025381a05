"""`bianmin edge supervise -- edge run ...`: the process systemd starts on a unit. It runs the
agent from the installed version `current` points to (or the provisioned install), and judges
a version on trial: healthy (its health marker) within the limit, or rolled back.

The supervisor is the provisioned install's code and is never replaced by an update, so a new
version that cannot even start cannot take the judge down with it. A rollback points `current`
back, records the version as refused with the reason (the old version reports it to the hub)
and starts the old version. Outside a trial, an agent that exits is not restarted here: the
supervisor exits with its status and systemd's Restart= applies, except for the agent's
"restart into the new version" status, which starts the new version at once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from edge.update.layout import Outcome, SoftwareDir, UpdateState, now
from edge.update.updater import SUPERVISED_ENV

log = logging.getLogger("bianmin.edge.supervise")
RESTART_STATUS = 75  # EX_TEMPFAIL: the agent switched `current` and wants to be started again
TRIAL_LIMIT_S = 120.0
STOP_GRACE_S = 15.0


def agent_command(args: Sequence[str]) -> list[str]:
    """The agent's command line: the provisioned interpreter, without the working directory on
    sys.path (-P), so the installed version on PYTHONPATH comes first."""
    return [sys.executable, "-P", "-c", "from bianmin.cli import main; main()", *args]


class Supervisor:
    def __init__(
        self,
        command: Sequence[str],
        software: SoftwareDir,
        *,
        trial_limit_s: float = TRIAL_LIMIT_S,
        poll_s: float = 0.2,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = list(command)
        self.software = software
        self.trial_limit_s = trial_limit_s
        self.poll_s = poll_s
        self.monotonic = monotonic
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = False

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[SUPERVISED_ENV] = "1"
        current = self.software.current()
        if current is not None:
            path = env.get("PYTHONPATH")
            env["PYTHONPATH"] = str(current) + (os.pathsep + path if path else "")
        return env

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._forward)
        while True:
            state = self.software.load()
            self._child = subprocess.Popen(self.command, env=self._env())
            if state.trial is not None and not self._judge(state):
                continue  # rolled back: start the previous version
            status = self._child.wait()
            if status == RESTART_STATUS and not self._stopping:
                log.info("the agent switched versions; starting it again")
                continue
            return status

    def _judge(self, state: UpdateState) -> bool:
        """Wait for the version on trial to report healthy. True: it did (the trial ends, the
        agent goes on running); False: it was stopped and rolled back."""
        assert state.trial is not None
        assert self._child is not None
        trial = state.trial
        deadline = self.monotonic() + self.trial_limit_s
        reason: str | None = None
        while True:
            if self.software.healthy_version() == trial.version:
                break
            status = self._child.poll()
            if status is not None:
                reason = f"exited with status {status} before reporting healthy"
                break
            if self._stopping:  # shut down during the trial: judge again at the next start
                return True
            if self.monotonic() >= deadline:
                reason = f"not healthy within {self.trial_limit_s:g} s"
                break
            time.sleep(self.poll_s)
        if reason is None:
            state.trial = None
            state.last = Outcome(version=trial.version, status="installed", at=now())
            self.software.save(state)
            keep = {Path(trial.path)} | ({Path(trial.previous)} if trial.previous else set())
            self.software.prune(keep)
            log.info("version %s is healthy and stays", trial.version)
            return True
        self._stop_child()
        previous = Path(trial.previous) if trial.previous else None
        self.software.switch(previous)
        full = f"update_rolled_back: {reason}"
        state.refuse(trial.version, full)
        state.trial = None
        state.last = Outcome(version=trial.version, status="rolled_back", reason=full, at=now())
        self.software.save(state)
        self.software.clear_healthy()
        log.error("version %s rolled back: %s", trial.version, reason)
        return False

    def _stop_child(self) -> None:
        child = self._child
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def supervise(args: Sequence[str], data_dir: Path, *, trial_limit_s: float = TRIAL_LIMIT_S) -> int:
    software = SoftwareDir(data_dir)
    software.ensure()
    return Supervisor(agent_command(args), software, trial_limit_s=trial_limit_s).run()
