"""`bianmin provision` with the balena backend: the real balena-sdk against the fake balena API
(simulators/balena_api.py) on a free port. Nothing reaches the cloud."""

import json
import os
import signal
import subprocess
import time

import pytest

from provisioning.balena_backend import IDENTITY_VAR
from provisioning.balena_client import connect
from provisioning.state import StateFile
from provisioning.store import IdentityStore
from simulators.balena_api import FakeBalenaApi
from tests.provisioning.helpers import (
    assert_no_secret_in,
    hub_public_key,
    init,
    run,
    small_registry,
)
from tests.support.processes import BIANMIN

API_KEY = "fake-balena-api-key"
ENV = {"BALENA_API_KEY": API_KEY}


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def api():
    with FakeBalenaApi(api_key=API_KEY, organization="county") as server:
        yield server


def balena_state(tmp_path, api, units=None):
    state = tmp_path / "provision"
    extra = ["--registry", str(small_registry(tmp_path / "villages.json", units))] if units else []
    init(
        state, "--backend", "balena", "--balena-organization", "county",
        "--balena-fleet", "bianmin-windows", "--balena-api-url", api.url, *extra,
    )  # fmt: skip
    return state


def apply(state):
    return run("apply", "--state-dir", str(state), env=ENV)


def uuids(state) -> dict[str, str]:
    units = StateFile(state).state.backend("balena").units
    return {u: s.uuid for u, s in units.items() if s.uuid}


def test_76_units_are_registered_with_their_variables_and_a_second_apply_changes_nothing(
    tmp_path, api
):
    state = balena_state(tmp_path, api)

    first = apply(state)
    mutations = len(api.mutations())
    second = apply(state)

    assert first.exit_code == 0, first.output
    assert last_json(first.output)["delivered"] == 76
    assert len(api.state.applications) == 1
    fleet = next(iter(api.state.applications.values()))
    assert fleet["slug"] == "county/bianmin-windows"
    assert len(api.state.devices) == 76
    assert {d["belongs_to__application"]["__id"] for d in api.state.devices.values()} == {
        fleet["id"]
    }
    assert last_json(second.output)["delivered"] == 0
    assert len(api.mutations()) == mutations  # not one POST, PATCH or DELETE
    assert last_json(run("plan", "--state-dir", str(state), "--json").output)["changes"] == 0
    for result in (first, second):
        assert_no_secret_in(result.output, state)

    uuid = uuids(state)["qingshui-shequ"]
    identity = IdentityStore(state).identity("qingshui-shequ")
    assert identity is not None
    env = api.device_pairs("device_environment_variable", uuid)
    assert env[IDENTITY_VAR] == identity.to_json()
    assert env["BIANMIN_UNIT_ID"] == "qingshui-shequ"
    assert env["BIANMIN_BROKER_URL"] == "mqtt://10.20.0.2:1883"
    assert env["BIANMIN_HARDWARE_PROFILE"] == "pi4-cm3-80mm"
    assert api.device_pairs("device_tag", uuid) == {
        "unit": "qingshui-shequ",
        "village": "清水社区",
        "town": "清水镇",
        "profile": "pi4-cm3-80mm",
    }
    assert api.device_pairs("device_config_variable", uuid) == {
        "BALENA_HOST_CONFIG_camera_auto_detect": "0",
        "BALENA_HOST_CONFIG_dtoverlay": '"imx708","vc4-kms-v3d"',
        "BALENA_HOST_CONFIG_gpu_mem": "128",
        "BALENA_HOST_CONFIG_disable_splash": "1",
    }
    assert api.device(uuid)["device_type"] == "raspberrypi4-64"


def test_an_existing_fleet_is_reused(tmp_path, api):
    state = balena_state(tmp_path, api, units=3)
    apply(state)
    fresh = tmp_path / "again"  # another operator machine, same balena fleet
    init(
        fresh, "--backend", "balena", "--balena-organization", "county",
        "--balena-fleet", "bianmin-windows", "--balena-api-url", api.url,
        "--registry", str(tmp_path / "villages.json"),
    )  # fmt: skip
    before = len([r for r in api.mutations() if r.path == "/v7/application"])
    assert apply(fresh).exit_code == 0
    assert len([r for r in api.mutations() if r.path == "/v7/application"]) == before == 1


def test_a_failing_request_fails_one_unit_the_others_go_on_and_the_next_run_finishes(tmp_path, api):
    state = balena_state(tmp_path, api, units=8)
    api.state.fail_mutation_at = 40  # somewhere in the middle of the third or fourth unit

    failed = apply(state)

    assert failed.exit_code == 1
    result = last_json(failed.output)
    assert len(result["failed"]) == 1
    assert "injected failure" in next(iter(result["failed"].values()))
    assert result["delivered"] == 7
    resumed = last_json(apply(state).output)
    assert resumed["delivered"] == 1
    assert resumed["failed"] == {}
    assert len(api.state.devices) == 8  # nobody registered twice
    before = len(api.mutations())
    assert last_json(apply(state).output)["delivered"] == 0
    assert len(api.mutations()) == before


def test_a_lost_registration_reply_does_not_register_the_device_twice(tmp_path, api):
    """GIVEN the API registers a device but its answer is lost
    WHEN apply runs again
    THEN it finds the device by the UUID it saved before asking, and registers no other."""
    state = balena_state(tmp_path, api, units=3)
    api.state.lose_reply_to = "/device/register"

    first = last_json(apply(state).output)
    second = last_json(apply(state).output)

    assert len(first["failed"]) == 1
    assert second["delivered"] == 1
    assert len(api.state.devices) == 3
    assert {d["uuid"] for d in api.state.devices.values()} == set(uuids(state).values())


def test_a_killed_apply_resumes_and_ends_with_each_device_once(tmp_path, api):
    state = balena_state(tmp_path, api, units=20)
    proc = subprocess.Popen(
        [BIANMIN, "provision", "apply", "--state-dir", str(state)],
        env={**os.environ, **ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            units = StateFile(state).state.backend("balena").units if state.exists() else {}
            if sum(u.delivered is not None for u in units.values()) >= 5:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)  # no chance to clean up
        proc.wait()
    units = StateFile(state).state.backend("balena").units
    done = sum(u.delivered is not None for u in units.values())
    assert 5 <= done < 20, "killed in the middle"

    resumed = last_json(apply(state).output)

    assert resumed["delivered"] == 20 - done
    assert resumed["created"] == 0
    assert len(api.state.devices) == 20
    for uuid in uuids(state).values():
        assert IDENTITY_VAR in api.device_pairs("device_environment_variable", uuid)


def test_status_reads_each_devices_state_back(tmp_path, api):
    state = balena_state(tmp_path, api, units=2)
    apply(state)
    first, _second = list(uuids(state).values())
    api.set_device_status(first, "operational", online=True)

    shown = json.loads(run("status", "--state-dir", str(state), "--json", env=ENV).output)

    assert [r["balena"] for r in shown["units"]] == ["operational, online", "inactive, offline"]


def test_revoke_takes_the_identity_off_the_device(tmp_path, api):
    state = balena_state(tmp_path, api, units=2)
    apply(state)
    uuid = uuids(state)["qingshui-shequ"]

    run("revoke", "qingshui-shequ", "--state-dir", str(state))
    result = last_json(apply(state).output)

    assert result["withdrawn"] == 1
    assert IDENTITY_VAR not in api.device_pairs("device_environment_variable", uuid)
    assert api.device_pairs("device_tag", uuid)["revoked"] == "yes"
    assert last_json(run("plan", "--state-dir", str(state), "--json").output)["changes"] == 0


def test_without_an_api_key_apply_says_which_variable_to_set(tmp_path, api, monkeypatch):
    monkeypatch.delenv("BALENA_API_KEY", raising=False)
    state = balena_state(tmp_path, api, units=1)
    env = {k: v for k, v in os.environ.items() if k != "BALENA_API_KEY"}
    done = subprocess.run(
        [BIANMIN, "provision", "apply", "--state-dir", str(state)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "error (balena_error): no balena API key: set BALENA_API_KEY" in done.stderr


def test_the_fake_api_runs_as_a_command_for_the_operators_walk_through(tmp_path):
    proc = subprocess.Popen([BIANMIN, "simulate", "balena-api"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        served = json.loads(proc.stdout.readline())
        state = tmp_path / "provision"
        init(
            state, "--backend", "balena", "--balena-organization", served["organization"],
            "--balena-api-url", served["api_url"],
            "--registry", str(small_registry(tmp_path / "villages.json", 2)),
        )  # fmt: skip
        result = run("apply", "--state-dir", str(state), env={"BALENA_API_KEY": served["api_key"]})
        assert last_json(result.output)["delivered"] == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_changed_profile_replaces_the_config_variables_it_set_and_keeps_hand_set_ones(
    tmp_path, api
):
    state = balena_state(tmp_path, api, units=1)
    apply(state)
    uuid = uuids(state)["qingshui-shequ"]
    by_hand = connect(api.url, API_KEY).models  # someone in the balena dashboard
    by_hand.device.config_var.set(uuid, "BALENA_HOST_CONFIG_hdmi_force_hotplug", "1")
    fleet = json.loads((state / "fleet.json").read_text())
    fleet["default_profile"] = "pi5-usbcam-58mm"
    (state / "fleet.json").write_text(json.dumps(fleet))

    result = last_json(apply(state).output)

    assert result["delivered"] == 1
    assert api.device_pairs("device_config_variable", uuid) == {
        "BALENA_HOST_CONFIG_dtoverlay": '"vc4-kms-v3d"',
        "BALENA_HOST_CONFIG_enable_uart": "1",
        "BALENA_HOST_CONFIG_disable_splash": "1",
        "BALENA_HOST_CONFIG_hdmi_force_hotplug": "1",  # set by hand: not ours to remove
    }
    assert api.device_pairs("device_tag", uuid)["profile"] == "pi5-usbcam-58mm"


def test_status_of_a_device_deleted_in_the_dashboard_says_so_and_goes_on(tmp_path, api):
    state = balena_state(tmp_path, api, units=2)
    apply(state)
    gone = uuids(state)["qingshui-shequ"]
    api.state.devices = {i: d for i, d in api.state.devices.items() if d["uuid"] != gone}

    shown = json.loads(run("status", "--state-dir", str(state), "--json", env=ENV).output)

    first, second = shown["units"]
    assert first["balena"].startswith("unknown (DeviceNotFound")
    assert second["balena"] == "inactive, offline"


def test_balena_units_are_pinned_to_their_release_canary_first(tmp_path, api):
    """GIVEN three balena units delivered, and two releases of the fleet
    WHEN fleet.json pins the canary to the new release and the rest to the old one, then
    every unit to the new one
    THEN plan lists the release change as an update of exactly the units it moves, and apply
    pins each device (the fake API answers the SDK's pin_to_release calls)."""
    state = balena_state(tmp_path, api, units=3)
    assert apply(state).exit_code == 0
    fleet = next(iter(api.state.applications.values()))["slug"]
    old, new = api.add_release(fleet, "a" * 40), api.add_release(fleet, "b" * 40)
    devices = uuids(state)
    canary = sorted(devices)[0]
    registry = str(tmp_path / "villages.json")
    key = json.loads((state / "fleet.json").read_text())["hub_public_key"]

    def pin(*releases):
        result = run(
            "init", "--state-dir", str(state), "--broker-url", "mqtt://10.20.0.2:1883",
            "--hub-url", "http://10.20.0.2:8000", "--hub-public-key", key,
            "--backend", "balena", "--balena-organization", "county",
            "--balena-fleet", "bianmin-windows", "--balena-api-url", api.url,
            "--registry", registry, *(a for r in releases for a in ("--balena-release", r)),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        return last_json(run("plan", "--state-dir", str(state), "--json").output)

    planned = pin(f"{canary}={new}", str(old))
    assert planned["changes"] == 3
    assert apply(state).exit_code == 0
    assert {u: api.pinned_release(d) for u, d in devices.items()} == {
        u: new if u == canary else old for u in devices
    }

    planned = pin(str(new))
    assert planned["changes"] == 2  # the canary runs it already
    assert apply(state).exit_code == 0
    assert {api.pinned_release(d) for d in devices.values()} == {new}
    assert last_json(run("plan", "--state-dir", str(state), "--json").output)["changes"] == 0


def test_a_release_for_an_unknown_target_is_refused(tmp_path, api):
    from provisioning.settings import ProvisionSettingsError

    with pytest.raises(ProvisionSettingsError, match="'nowhere-cun' is neither a unit"):
        run(
            "init", "--state-dir", str(tmp_path / "provision"),
            "--broker-url", "mqtt://10.20.0.2:1883", "--hub-public-key", hub_public_key(),
            "--backend", "balena", "--balena-organization", "county",
            "--balena-release", "nowhere-cun=7",
        )  # fmt: skip
