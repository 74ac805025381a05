"""Every error a person can make on the command line is one line, `error (code): message`,
with exit status 2 for bad usage or settings and 1 for failures while running; no traceback
unless asked for with --debug."""

import json
import subprocess
import time

import pytest

from bianmin.boundary import describe
from tests.support.processes import BIANMIN, stop

BAD = [
    # (arguments, code, exit status, words the message must hold)
    (["hub", "serve", "--broker", "foo://x"], "invalid_settings", 2, "mqtt://"),
    (["edge", "run", "--unit", "u1", "--broker", "mqtt://[bad", "--data-dir", "{tmp}"],
     "invalid_settings", 2, "broker_url"),
    (["simulate", "fleet", "--units", "1", "--broker", "mqtt://u:secret@x:99999", "--hub",
      "http://127.0.0.1:1"], "invalid_url", 2, "invalid port"),
    (["simulate", "fleet", "--units", "1", "--broker", "mqtt://127.0.0.1:1", "--hub",
      "http://127.0.0.1:1"], "hub_unreachable", 1, "127.0.0.1:1"),
    (["edge", "run", "--broker", "mqtt://127.0.0.1:1"], "usage", 2, "--unit"),
    (["no-such-command"], "usage", 2, "no-such-command"),
    (["hub", "cases", "rebuild", "--database", "mysql://u:secret@db/x"], "invalid_settings", 2,
     "postgresql+psycopg://"),
    (["hub", "cases", "rebuild", "--database", "postgresql+psycopg://u@127.0.0.1:1/x"],
     "database_unavailable", 1, "127.0.0.1"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "status", "words"), BAD, ids=lambda v: str(v)[:40])
def test_a_bad_input_is_one_line_with_a_stable_code_and_status(tmp_path, args, code, status, words):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    done = subprocess.run([BIANMIN, *argv], capture_output=True, text=True, timeout=60)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error ({code}): "), lines[0]
    assert words in lines[0]
    assert done.returncode == status
    assert "Traceback" not in done.stderr + done.stdout
    assert "secret" not in done.stderr


def test_debug_shows_the_traceback_for_the_developer_who_asks():
    done = subprocess.run(
        [BIANMIN, "--debug", "hub", "serve", "--broker", "foo://x"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Traceback" in done.stderr
    assert done.returncode != 0


def test_an_unexpected_error_says_how_to_see_more():
    code, message, status = describe(ZeroDivisionError("division by zero"))
    assert (code, status) == ("internal", 1)
    assert "--debug" in message


def test_an_unreachable_broker_is_reported_within_seconds_with_its_retry(tmp_path):
    """No silent wait: the first failed connection is logged at once with the next delay."""
    proc = subprocess.Popen(
        [BIANMIN, "edge", "run", "--unit", "u1", "--broker", "mqtt://127.0.0.1:1",
         "--data-dir", str(tmp_path), "--simulated-devices"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 20  # the unit's own start-up included
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "cannot connect to mqtt://u1@127.0.0.1:1" in line:
                assert "retrying in" in line
                break
        else:
            raise AssertionError("no report of the unreachable broker")
    finally:
        stop(proc)
        if proc.stderr is not None:
            proc.stderr.close()


def test_rebuild_shows_progress_and_keeps_stdout_for_its_json_line(tmp_path):
    done = subprocess.run(
        [BIANMIN, "hub", "cases", "rebuild", "--database", f"sqlite:///{tmp_path / 'h.db'}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rebuilt"] == 0
