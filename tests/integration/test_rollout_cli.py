"""`bianmin rollout ...` as an operator runs it: separate processes for the broker, the hub
(`hub serve`), two units (`edge run`) and each CLI command, with tokens from `hub user add`."""

import json
import os
import subprocess

import httpx
import pytest

from provisioning.mosquitto import free_port, wait_for_port
from tests.support.processes import BIANMIN, stop
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
UNITS = ["dongjie-cun", "xijie-cun"]


def run(*args, env=None, check=True):
    proc = subprocess.run(
        [BIANMIN, *args], capture_output=True, text=True, timeout=60, env=env or os.environ
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def wait_state(hub, rollout_id, state, timeout=30):
    def reached():
        found = httpx.get(f"{hub}/api/rollouts/{rollout_id}").json()
        return found if found["state"] == state else None

    return wait_until(reached, timeout, f"rollout {rollout_id} {state}", poll=0.2)


def test_an_operator_rolls_out_rolls_back_and_is_refused_through_the_cli(
    fresh_broker, database_url, tmp_path
):
    broker = fresh_broker(UNITS)
    port = free_port()
    hub = f"http://127.0.0.1:{port}"
    data = tmp_path / "hub"
    token = json.loads(
        run("hub", "user", "add", "ops", "--role", "operator", "--database", database_url).stdout
    )["token"]
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [BIANMIN, "hub", "serve", "--database", database_url, "--port", str(port),
                 "--broker", str(broker.url), "--data-dir", str(data)],
                env={**os.environ, "BIANMIN_HUB_BROKER_PASSWORD": broker.creds.hub_password},
            )
        )  # fmt: skip
        wait_for_port("127.0.0.1", port, timeout=30)
        key_file = tmp_path / "hub.pub"
        key_file.write_text(
            run("hub", "pubkey", "--key-file", str(data / "hub_signing_key.pem")).stdout
        )
        for unit in UNITS:
            procs.append(
                subprocess.Popen(
                    [BIANMIN, "edge", "run", "--unit", unit, "--broker", str(broker.url),
                     "--data-dir", str(tmp_path / unit), "--simulated-devices", "--rate", "0",
                     "--hub-url", hub, "--hub-key-file", str(key_file)],
                    env={**os.environ, "BIANMIN_UNIT_PASSWORD": broker.creds.password_for(unit)},
                )
            )  # fmt: skip
        as_ops = ["--hub", hub, "--token", token]
        first = json.loads(
            run(
                "rollout", "create", "--units", ",".join(UNITS), "--canary", UNITS[0], *as_ops
            ).stdout
        )
        assert (first["state"], first["stages"], first["units"]) == ("running", 2, 2)
        wait_state(hub, first["id"], "completed")
        second = json.loads(
            run("rollout", "create", "--units", ",".join(UNITS), "--deferred-material-days", "9",
                *as_ops).stdout
        )  # fmt: skip
        wait_state(hub, second["id"], "completed")
        back = json.loads(run("rollout", "rollback", str(second["id"]), *as_ops).stdout)
        assert (back["kind"], back["parent_id"]) == ("rollback", second["id"])
        wait_state(hub, back["id"], "completed")
        status = json.loads(
            run("rollout", "status", str(back["id"]), "--units", "--json", *as_ops).stdout
        )
        assert [(u["unit"], u["state"], u["version"]) for u in status["unit_states"]] == [
            ("dongjie-cun", "applied", 3),
            ("xijie-cun", "applied", 3),
        ]
        listed = json.loads(run("rollout", "status", "--json", *as_ops).stdout)
        assert [r["state"] for r in listed] == ["completed", "rolled_back", "completed"]

        refused = run("rollout", "pause", str(back["id"]), *as_ops, check=False)
        assert refused.returncode == 1
        assert refused.stderr.startswith("error (invalid_transition): ")
        anonymous = run("rollout", "create", "--all", "--hub", hub, check=False)
        assert (anonymous.returncode, anonymous.stderr.split(":")[0]) == (1, "error (unauthorized)")
        away = run("rollout", "status", "--hub", "http://127.0.0.1:9", check=False)
        assert (away.returncode, away.stderr.split(":")[0]) == (1, "error (hub_unreachable)")
    finally:
        for p in reversed(procs):
            stop(p)
    current = json.loads((tmp_path / UNITS[0] / "config" / "current.json").read_text())
    assert current["version"] == 3
    assert current["body"]["thresholds"]["deferred_material_days"] == 5  # the content of v1
