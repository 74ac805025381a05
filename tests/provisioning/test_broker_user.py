"""The generated broker never runs as root: started by root it drops to the package's
``mosquitto`` account, which is handed the broker's files; started by anyone else it stays
that account. A real Mosquitto, its process's user read from /proc."""

from __future__ import annotations

import getpass
import os
import pwd
import shutil
import tempfile
from pathlib import Path

from provisioning import credentials
from provisioning.mosquitto import (
    BROKER_USER_ENV,
    MosquittoConfig,
    MosquittoProcess,
    broker_user,
    free_port,
    mosquitto_binary,
)
from tests.conftest import _require


def _uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])  # the real uid
    raise AssertionError("no Uid line")


def test_the_broker_account_is_never_root_unless_asked(monkeypatch):
    monkeypatch.delenv(BROKER_USER_ENV, raising=False)
    expected = "mosquitto" if os.geteuid() == 0 else getpass.getuser()
    assert broker_user() == expected
    assert broker_user() != "root"
    monkeypatch.setenv(BROKER_USER_ENV, "bianmin")
    assert broker_user() == "bianmin"


def test_a_broker_started_by_root_runs_as_mosquitto_and_owns_its_files(monkeypatch):
    monkeypatch.delenv(BROKER_USER_ENV, raising=False)
    if mosquitto_binary() is None:  # fails in CI, skips loudly elsewhere
        _require("Mosquitto", "the mosquitto binary is not installed (apt-get install mosquitto)")
    # a directory of its own: pytest's temporary base is root's only
    data = Path(tempfile.mkdtemp(prefix="bianmin-broker-user-"))
    creds = credentials.generate(["t001"])
    config = MosquittoConfig(data_dir=data, port=free_port(), credentials=creds)
    process = MosquittoProcess(config)
    try:
        process.start()
        assert process.proc is not None
        user = pwd.getpwuid(_uid_of(process.proc.pid)).pw_name
        assert user != "root"
        assert user == (broker_user())
        assert f"user {user}\n" in config.conf_path.read_text()
        for path in (data / "mosquitto.conf", data / "dynamic-security.json"):
            assert pwd.getpwuid(path.stat().st_uid).pw_name == user
            assert path.stat().st_mode & 0o077 == 0
    finally:
        process.stop()
        shutil.rmtree(data, ignore_errors=True)
