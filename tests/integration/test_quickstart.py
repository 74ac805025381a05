"""The README's commands, run as a user would run them."""

import json
import os
import subprocess
import time

import httpx
import pytest

from provisioning.mosquitto import BROKER_USER_ENV, free_port, wait_for_port
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def _last_json_line(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def _users_environment() -> dict[str, str]:
    """The environment a user has: without the suite's own broker account (tests/conftest.py),
    so the demo's broker is started exactly as `make demo` starts it, root included."""
    return {k: v for k, v in os.environ.items() if k != BROKER_USER_ENV}


def test_readme_quickstart_demo_delivers_everything_exactly_once(tmp_path):
    port = free_port()
    proc = subprocess.run(
        [BIANMIN, "demo", "--units", "5", "--duration", "10", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_users_environment(),
    )
    assert proc.returncode == 0, proc.stderr
    assert f"dashboard: http://127.0.0.1:{port}/" in proc.stdout
    # the villages received their first signed configuration (two canaries, then the rest)
    assert "config: rollout 1 completed, 5/5 units applied" in proc.stderr
    summary = _last_json_line(proc.stdout)
    assert summary["units"] == 5
    assert summary["committed_by_units"] > 0
    assert summary["in_hub"] == summary["committed_by_units"]
    assert (summary["lost"], summary["duplicates"]) == (0, 0)


def test_demo_falls_back_to_the_embedded_broker(tmp_path):
    """Machines without Mosquitto get the in-process amqtt broker, same rules, same verdict."""
    proc = subprocess.run(
        [BIANMIN, "demo", "--units", "4", "--duration", "6", "--port", str(free_port()),
         "--embedded-broker"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "amqtt (embedded)" in proc.stderr
    summary = _last_json_line(proc.stdout)
    assert summary["committed_by_units"] > 0
    assert summary["in_hub"] == summary["committed_by_units"]
    assert (summary["lost"], summary["duplicates"]) == (0, 0)


def test_cli_roles_in_separate_processes_agree_on_what_was_delivered(tmp_path, postgres_database):
    """`bianmin broker`, `bianmin hub serve` (on PostgreSQL) and `bianmin simulate fleet`, each
    its own process, as an operator and a developer would run them."""
    broker_port, hub_port = free_port(), free_port()
    data = tmp_path / "broker"
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [BIANMIN, "broker", "--port", str(broker_port), "--data-dir", str(data)],
                stdout=subprocess.DEVNULL,
            )
        )
        wait_for_port("127.0.0.1", broker_port)
        creds = json.loads((data / "credentials.json").read_text())
        env = {**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": creds["hub_password"]}
        procs.append(
            subprocess.Popen(
                [
                    BIANMIN, "hub", "serve",
                    "--database", postgres_database,
                    "--broker", f"mqtt://127.0.0.1:{broker_port}",
                    "--port", str(hub_port),
                    "--data-dir", str(tmp_path / "hub"),
                ],
                env=env,
            )
        )  # fmt: skip
        wait_for_port("127.0.0.1", hub_port, timeout=30)
        healthz = f"http://127.0.0.1:{hub_port}/healthz"
        wait_until(lambda: httpx.get(healthz).json()["broker_connected"], 20, "the hub's broker")
        fleet = subprocess.run(
            [
                BIANMIN, "simulate", "fleet",
                "--units", "12",
                "--broker", f"mqtt://127.0.0.1:{broker_port}",
                "--hub", f"http://127.0.0.1:{hub_port}",
                "--credentials", str(data / "credentials.json"),
                "--rate", "2", "--duration", "4",
                "--data-dir", str(tmp_path / "units"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert fleet.returncode == 0, fleet.stderr
        summary = _last_json_line(fleet.stdout)
        assert summary["units"] == 12
        assert summary["committed_by_units"] > 20
        assert summary["in_hub"] == summary["committed_by_units"]
        assert summary["lost"] == summary["duplicates"] == summary["unexpected"] == 0
        units = httpx.get(f"http://127.0.0.1:{hub_port}/api/units").json()
        assert len(units) >= 12
    finally:
        for p in reversed(procs):
            stop(p)


@pytest.mark.parametrize("after_s", [3.0, 6.5, 9.0])
def test_ctrl_c_under_full_load_never_reports_a_false_loss(tmp_path, after_s):
    """76 units at a high rate, stopped with SIGINT at different moments: what a unit still
    holds is in flight, never lost; the temporary directory (keys included) is removed."""
    port = free_port()
    proc = subprocess.Popen(
        [BIANMIN, "demo", "--units", "76", "--rate", "4", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )  # fmt: skip
    try:
        wait_until(lambda: _dashboard_up(port) or proc.poll() is not None, 60, "the dashboard")
        time.sleep(after_s)  # the load runs: every unit generating, the window, a rollout
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(2)  # SIGINT, as Ctrl-C
        out, err = proc.communicate(timeout=120)
    finally:
        stop(proc)
    assert proc.returncode == 0, err
    summary = _last_json_line(out)
    assert summary["units"] == 76
    assert summary["committed_by_units"] > 0
    assert (summary["lost"], summary["duplicates"], summary["unexpected"]) == (0, 0, 0), summary
    assert summary["in_hub"] + summary["in_flight"] == summary["committed_by_units"]
    assert not list(tmp_path.glob("bianmin-demo-*")), "the demo's temporary directory remains"


def _dashboard_up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
