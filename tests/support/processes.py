"""Running `bianmin` as a separate process, as a user would, and stopping it in order."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

# the console script of the environment running the tests
BIANMIN = str(Path(sys.executable).with_name("bianmin"))


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 15) -> None:
    """SIGTERM (the orderly shutdown every long-running command handles), then SIGKILL if it
    does not end within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
